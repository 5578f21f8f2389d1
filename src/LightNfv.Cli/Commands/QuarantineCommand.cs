using System.CommandLine;
using System.Globalization;

namespace LightNfv.Cli.Commands;

/// <summary>`lightnfv quarantine ID`: freeze a suspect instance and cut its port, in one call.</summary>
public static class QuarantineCommand
{
    public static Command Create()
    {
        var id = new Argument<string>("instance") { Description = "Instance id, id prefix or name" };
        var cmd = new Command("quarantine", "Freeze a running instance and cut its port from its segment, memory kept for inspection; " +
            "a VNF's replica gets a replacement. 'lightnfv release' ends it, 'lightnfv rm' removes it") { id };
        cmd.SetAction((pr, ct) => Cli.OnPlatform(async (platform, token) =>
        {
            var r = await platform.QuarantineAsync(pr.GetValue(id)!, token).ConfigureAwait(false);
            var instance = r.GetProperty("instance");
            var port = r.TryGetProperty("port", out var p) && p.ValueKind == System.Text.Json.JsonValueKind.String ? $"port {p.GetString()} cut" : "no port";
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{Json.Text(instance, "id")}  quarantined ({Json.Text(r, "freeze")}, {port}) in {r.GetProperty("milliseconds").GetDouble():0.0} ms"));
            return 0;
        }, ct));
        return cmd;
    }
}
