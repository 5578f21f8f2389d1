using System.CommandLine;
using System.Globalization;

namespace LightNfv.Cli.Commands;

/// <summary>`lightnfv top`: CPU, memory and traffic per running instance (the daemon's latest samples, or two samples taken here).</summary>
public static class TopCommand
{
    public static Command Create()
    {
        var cmd = new Command("top", "Show CPU, memory and network use of running instances");
        cmd.SetAction((pr, ct) => Cli.OnPlatform(async (platform, token) =>
        {
            var inv = CultureInfo.InvariantCulture;
            var rows = await platform.TopAsync(token).ConfigureAwait(false);
            Table.Write(Console.Out, ["ID", "NAME", "TECHNOLOGY", "CPU%", "MEM MiB", "PKT/S", "RX MB", "TX MB"], rows.EnumerateArray().Select(r => (IReadOnlyList<string>)
            [
                Json.Text(r, "id"), Json.Text(r, "name"), Json.Text(r, "technology"), r.GetProperty("cpuPercent").GetDouble().ToString("0.0", inv),
                (r.GetProperty("memoryBytes").GetUInt64() / 1048576.0).ToString("0.0", inv), r.GetProperty("packetRate").GetDouble().ToString("0", inv),
                (r.GetProperty("rxBytes").GetUInt64() / 1e6).ToString("0.0", inv), (r.GetProperty("txBytes").GetUInt64() / 1e6).ToString("0.0", inv),
            ]));
            return 0;
        }, ct));
        return cmd;
    }
}
