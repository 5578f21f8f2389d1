using System.Diagnostics;
using System.Globalization;
using System.Text;
using LightNfv.Core.Descriptors;
using LightNfv.IntegrationTests.Infrastructure;

namespace LightNfv.IntegrationTests.Cli;

/// <summary>
/// `lightnfv logs` as docker's, without and with a daemon: -f shows lines while the VNF writes them and ends when it
/// stops; --timestamps gives each line the time its tender read it; --since and --tail select by them.
/// </summary>
public sealed class LogsCommandTests(ITestOutputHelper output) : IntegrationTest(output)
{
    private const int Lines = 20;

    private static string CliDll => Path.Combine(AppContext.BaseDirectory, "lightnfv.dll");

    private static string Dotnet => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } h && File.Exists(h) ? h : "dotnet";

    private HostState.CommandResult Lightnfv(params string[] args)
    {
        var r = HostState.Run(Dotnet, [CliDll, .. args], Lab.CliEnvironment, TimeSpan.FromSeconds(60));
        Output.WriteLine($"$ lightnfv {string.Join(' ', args)}  -> exit {r.ExitCode}\n{r.Stdout}{r.Stderr}");
        return r;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Follow_since_timestamps_and_tail_work_with_and_without_a_daemon(bool throughDaemon)
    {
        RequireAvailable(Technology.Process);
        using var daemon = throughDaemon ? DaemonApi.StartDaemon(Lab) : null;
        // A line every 200 ms, a bounded count: about 4 s of output, then the VNF exits by itself.
        var descriptor = Path.Combine(Lab.StateDirectory, "ticker.yaml");
        File.WriteAllText(descriptor, Descriptors.Command("ticker",
            ["sh", "-c", $"i=0; while [ $i -lt {Lines} ]; do i=$((i+1)); echo \"tick $i\"; sleep 0.2; done"]));
        var run = Lightnfv("run", "-f", descriptor);
        run.ExitCode.ShouldBe(0, run.ToString());
        var id = run.Stdout.Trim().Split(' ')[0];

        // -f -t: read as the CLI prints, noting when each line arrives.
        var psi = new ProcessStartInfo(Dotnet) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, StandardOutputEncoding = Encoding.UTF8 };
        foreach (var a in new[] { CliDll, "logs", "-f", "-t", id })
        {
            psi.ArgumentList.Add(a);
        }
        foreach (var (k, v) in Lab.CliEnvironment)
        {
            psi.Environment[k] = v;
        }
        var arrivals = new List<(DateTimeOffset At, string Line)>();
        using (var follow = Process.Start(psi)!)
        {
            var stderr = follow.StandardError.ReadToEndAsync();
            while (await follow.StandardOutput.ReadLineAsync() is { } line)
            {
                arrivals.Add((DateTimeOffset.UtcNow, line));
            }
            follow.WaitForExit(30_000).ShouldBeTrue("logs -f did not end after the VNF stopped");
            Output.WriteLine($"logs -f -t -> exit {follow.ExitCode}\n{string.Join('\n', arrivals.Select(a => $"{a.At:HH:mm:ss.fff} {a.Line}"))}\n{await stderr}");
            follow.ExitCode.ShouldBe(0);
        }
        var endedAt = DateTimeOffset.UtcNow;
        arrivals.Count.ShouldBe(Lines);
        var stamped = arrivals.Select(a => Parse(a.Line)).ToList();
        stamped.Select(s => s.Text).ShouldBe(Enumerable.Range(1, Lines).Select(i => $"tick {i}"));
        // The tender's times: in order, about 200 ms apart (the script's sleep), never ahead of their arrival.
        for (var i = 1; i < Lines; i++)
        {
            (stamped[i].Time - stamped[i - 1].Time).TotalMilliseconds.ShouldBeInRange(150, 1500, $"line {i + 1}");
        }
        for (var i = 0; i < Lines; i++)
        {
            stamped[i].Time.ShouldBeLessThanOrEqualTo(arrivals[i].At.AddMilliseconds(50));
        }
        // Shown while running: a line reached the CLI before the VNF wrote its last one; and -f ended soon after that.
        arrivals.Min(a => a.At).ShouldBeLessThan(stamped[^1].Time, "no line showed while the VNF ran");
        (endedAt - stamped[^1].Time).TotalSeconds.ShouldBeLessThan(5, "logs -f did not end soon after the VNF stopped");

        // --tail 2, and --since with a pasted --timestamps time (nanoseconds) and with a duration.
        Lightnfv("logs", "--tail", "2", id).Stdout.ShouldBe("tick 19\ntick 20\n");
        var since = arrivals[9].Line.Split(' ')[0];
        Lightnfv("logs", "--since", since, id).Stdout.ShouldBe(string.Concat(Enumerable.Range(10, Lines - 9).Select(i => $"tick {i}\n")));
        Lightnfv("logs", "--since", "1h", "--tail", "3", "-t", id).Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .ShouldBe(arrivals.TakeLast(3).Select(a => a.Line));
        Lightnfv("logs", "--since", "1m", id).Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length.ShouldBe(Lines);
        var bad = Lightnfv("logs", "--since", "yesterday", id);
        bad.ExitCode.ShouldBe(2);
        bad.Stderr.ShouldContain("since:");

        Lightnfv("rm", id).ExitCode.ShouldBe(0);
        // The tender went with the VNF: no helper of this instance is left.
        HostState.ProcessesMentioning(id).ShouldBeEmpty();
    }

    private static (DateTimeOffset Time, string Text) Parse(string line)
    {
        var space = line.IndexOf(' ', StringComparison.Ordinal);
        space.ShouldBeGreaterThan(0, line);
        var stamp = line[..space];
        // RFC3339 with nine fraction digits, UTC, as docker prints.
        stamp.ShouldMatch(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$");
        var time = DateTimeOffset.ParseExact(stamp[..^3] + "Z", "yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
        return (time, line[(space + 1)..]);
    }
}
