using System.CommandLine;

namespace LightNfv.Cli.Commands;

/// <summary>`lightnfv release ID`: end a quarantine (thaw, rejoin the segment).</summary>
public static class ReleaseCommand
{
    public static Command Create()
    {
        var id = new Argument<string>("instance") { Description = "Instance id, id prefix or name" };
        var cmd = new Command("release", "End an instance's quarantine: thaw it where it stopped and rejoin its port to its segment") { id };
        cmd.SetAction((pr, ct) => Cli.OnPlatform(async (platform, token) =>
        {
            var r = await platform.ReleaseAsync(pr.GetValue(id)!, token).ConfigureAwait(false);
            Console.WriteLine(Json.Text(r, "id"));
            return 0;
        }, ct));
        return cmd;
    }
}
