using System.CommandLine;

namespace LightNfv.Cli.Commands;

/// <summary>`lightnfv restart`: stop (if running) then start, as docker restart; refused for a VNF's replica like stop and start are.</summary>
public static class RestartCommand
{
    public static Command Create()
    {
        var id = new Argument<string>("instance") { Description = "Instance id, id prefix or name" };
        var grace = new Option<double>("--time", "-t") { Description = "Seconds to wait after SIGTERM before SIGKILL (0 to 3600)", DefaultValueFactory = _ => 5 };
        var cmd = new Command("restart", "Stop an instance if it runs, then start it again; under a daemon, standalone instances only") { id, grace };
        cmd.SetAction((pr, ct) => Cli.OnPlatform(async (platform, token) =>
        {
            var reference = pr.GetValue(id)!;
            var current = await platform.InspectAsync(reference, token).ConfigureAwait(false);
            if (Json.Text(current, "state") == "running")
            {
                await platform.StopAsync(reference, pr.GetValue(grace), detach: false, token).ConfigureAwait(false);
            }
            var r = await platform.StartAsync(reference, token).ConfigureAwait(false);
            Console.WriteLine(Json.Text(r, "id"));
            return 0;
        }, ct));
        return cmd;
    }
}
