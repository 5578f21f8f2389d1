using System.CommandLine;
using System.Globalization;
using LightNfv.Cli.Commands.Output;

namespace LightNfv.Cli.Commands;

/// <summary>
/// `lightnfv top [-w]`: CPU, memory and traffic per running instance (the daemon's latest samples, or two samples taken
/// here); -w repeats every interval until Ctrl-C, like top and `kubectl top` with watch.
/// </summary>
public static class TopCommand
{
    public static Command Create()
    {
        var output = OutputFormat.Create(OutputFormat.JsonFormat, OutputFormat.Yaml, OutputFormat.Name);
        var watch = new Option<bool>("--watch", "-w") { Description = "Repeat every --interval until Ctrl-C" };
        var interval = new Option<double>("--interval") { Description = "Seconds between samples with -w (0.5 to 3600)", DefaultValueFactory = _ => 2 };
        interval.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<double>() is < 0.5 or > 3600)
            {
                r.AddError($"--interval: {r.GetValueOrDefault<double>().ToString(CultureInfo.InvariantCulture)} is out of range; use 0.5 to 3600 seconds");
            }
        });
        var cmd = new Command("top", "Show CPU, memory and network use of running instances (also: stats, docker's word)") { output, watch, interval };
        cmd.Aliases.Add("stats");
        cmd.SetAction((pr, ct) => Cli.OnPlatform(async (platform, token) =>
        {
            var inv = CultureInfo.InvariantCulture;
            while (true)
            {
                var rows = await platform.TopAsync(token).ConfigureAwait(false);
                if (!OutputFormat.TryPrint(pr.GetValue(output), rows))
                {
                    Table.Write(Console.Out, ["ID", "NAME", "TECHNOLOGY", "CPU%", "MEM MiB", "PKT/S", "RX MB", "TX MB", "SPOOFED"], rows.EnumerateArray().Select(r => (IReadOnlyList<string>)
                    [
                        Json.Text(r, "id"), Json.Text(r, "name"), Json.Text(r, "technology"), r.GetProperty("cpuPercent").GetDouble().ToString("0.0", inv),
                        (r.GetProperty("memoryBytes").GetUInt64() / 1048576.0).ToString("0.0", inv), r.GetProperty("packetRate").GetDouble().ToString("0", inv),
                        (r.GetProperty("rxBytes").GetUInt64() / 1e6).ToString("0.0", inv), (r.GetProperty("txBytes").GetUInt64() / 1e6).ToString("0.0", inv),
                        // Frames the instance sent with another MAC, IPv4 source or ARP sender, dropped at its port.
                        r.TryGetProperty("spoofedFramesDropped", out var spoofed) ? spoofed.GetUInt64().ToString(inv) : "-",
                    ]));
                }
                if (!pr.GetValue(watch))
                {
                    return 0;
                }
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(pr.GetValue(interval)), token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return 0; // Ctrl-C ends a watch: not an error
                }
                Console.WriteLine();
            }
        }, ct));
        return cmd;
    }
}
