using System.CommandLine;
using LightNfv.Bench.Experiments;
using LightNfv.Bench.Reports;
using LightNfv.Core.Descriptors;
using LightNfv.Core.Errors;

namespace LightNfv.Cli.Commands;

/// <summary>`bench noisy`: a victim VNF alone and beside one aggressor at a time, of its own tenant and another (issue 17 item 4).</summary>
public static class BenchNoisyCommand
{
    public static Command Create()
    {
        var tech = new Option<string>("--tech") { Description = "Comma-separated technologies of the victim", DefaultValueFactory = _ => "process,container" };
        var aggressors = new Option<string>("--aggressors") { Description = "Comma-separated aggressors", DefaultValueFactory = _ => string.Join(',', AggressorKinds.All.Select(a => a.ToName())) };
        var pinning = new Option<string>("--pinning") { Description = "unpinned, pinned (victim and aggressor on different CPUs) or both", DefaultValueFactory = _ => "both" };
        var seconds = new Option<double>("--seconds") { Description = "Seconds of iperf3 per measurement, and of each half of a pair (1 to 30; a half lasts at least 2 s)", DefaultValueFactory = _ => 3 };
        var pings = new Option<int>("--pings") { Description = "ICMP echoes per measurement (10 to 10000)", DefaultValueFactory = _ => 500 };
        var pairs = new Option<int>("--pairs") { Description = "Frozen/running pairs per aggressor, in one iperf3 test (0 to 10; 0 compares with the alone rows only)", DefaultValueFactory = _ => 4 };
        var output = new Option<DirectoryInfo>("--out", "-o") { Description = "Where noisy.json, noisy.md and noisy.svg go", DefaultValueFactory = _ => new DirectoryInfo("bench-out") };
        var cmd = new Command("noisy", "Measure a victim VNF's throughput and RTT alone and beside a CPU burn, a memory hog, a fork bomb and a packet flood of the same and of another tenant; writes noisy.json/md/svg")
        {
            tech, aggressors, pinning, seconds, pings, pairs, output,
        };
        cmd.SetAction((pr, ct) => Cli.Guard((ctx, token) =>
        {
            var technologies = new List<Technology>();
            foreach (var name in pr.GetValue(tech)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (!TechnologyNames.TryParse(name, out var t))
                {
                    throw new LightNfvException(ErrorKind.Invalid, $"--tech: '{name}' is not a technology; accepted: {string.Join(", ", TechnologyNames.All)}");
                }
                ctx.Backends.Require(t);
                technologies.Add(t);
            }
            var kinds = new List<AggressorKind>();
            foreach (var name in pr.GetValue(aggressors)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (!AggressorKinds.TryParse(name, out var k))
                {
                    throw new LightNfvException(ErrorKind.Invalid, $"--aggressors: '{name}' is not an aggressor; accepted: {string.Join(", ", AggressorKinds.All.Select(a => a.ToName()))}");
                }
                kinds.Add(k);
            }
            IReadOnlyList<bool> pins = pr.GetValue(pinning) switch
            {
                "both" => [false, true],
                "unpinned" => [false],
                "pinned" => [true],
                var other => throw new LightNfvException(ErrorKind.Invalid, $"--pinning: '{other}' is not one of unpinned, pinned, both"),
            };
            if (pins.Contains(true) && Environment.ProcessorCount < 2)
            {
                throw new LightNfvException(ErrorKind.Invalid, $"--pinning: pinning needs two CPUs and this host has {Environment.ProcessorCount}; use --pinning unpinned");
            }
            if (pr.GetValue(seconds) is < 1 or > 30)
            {
                throw new LightNfvException(ErrorKind.Invalid, $"--seconds: {pr.GetValue(seconds)} is outside 1 to 30");
            }
            if (pr.GetValue(pings) is < 10 or > 10000)
            {
                throw new LightNfvException(ErrorKind.Invalid, $"--pings: {pr.GetValue(pings)} is outside 10 to 10000");
            }
            if (pr.GetValue(pairs) is < 0 or > 10)
            {
                throw new LightNfvException(ErrorKind.Invalid, $"--pairs: {pr.GetValue(pairs)} is outside 0 to 10");
            }
            LightNfv.Host.Processes.ChildReaper.EnableSubreaper();
            var command = "lightnfv " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1));
            var before = NoisyReportWriter.LoadAverage();
            var experiment = new NoisyExperiment(ctx.Instances, new NoisyOptions
            {
                Technologies = technologies,
                Aggressors = kinds,
                Pinning = pins,
                Duration = TimeSpan.FromSeconds(pr.GetValue(seconds)),
                PingCount = pr.GetValue(pings),
                Pairs = pr.GetValue(pairs),
            });
            experiment.Progress += l => Console.Error.WriteLine(l);
            var rows = experiment.Run(token);
            var report = new NoisyReport(
                LightNfv.Bench.Environment.HostProbe.Describe(ctx.Host.Cgroups.Version, ctx.Host.Tuning ?? "", command, DateTimeOffset.UtcNow),
                NoisyExperiment.Declared, before, NoisyReportWriter.LoadAverage(), rows);
            var dir = pr.GetValue(output)!.FullName;
            NoisyReportWriter.WriteAll(report, dir);
            Console.Write(NoisyReportWriter.Markdown(report));
            Console.WriteLine();
            foreach (var file in new[] { "noisy.json", "noisy.md", "noisy.svg" })
            {
                Console.WriteLine(Path.Combine(dir, file));
            }
            return Task.FromResult(rows.Any(r => r.Error is not null) ? 8 : 0);
        }, ct));
        return cmd;
    }
}
