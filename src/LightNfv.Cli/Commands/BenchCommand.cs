using System.CommandLine;
using LightNfv.Bench;
using LightNfv.Bench.Experiments;
using LightNfv.Bench.Reports;
using LightNfv.Core.Descriptors;
using LightNfv.Core.Errors;

namespace LightNfv.Cli.Commands;

public static class BenchCommand
{
    /// <summary>`bench scale`: the density curve of one technology.</summary>
    private static Command ScaleCommand()
    {
        var tech = new Option<string>("--tech") { Description = "The technology to scale", DefaultValueFactory = _ => "process" };
        var runtime = new Option<string?>("--runtime") { Description = "OCI runtime for --tech container (crun or runc)" };
        var counts = new Option<string>("--counts") { Description = "Checkpoints, comma-separated", DefaultValueFactory = _ => "1,10,100,500" };
        var output = new Option<DirectoryInfo>("--out", "-o") { Description = "Where results.json and results.md go", DefaultValueFactory = _ => new DirectoryInfo("bench-out") };
        var cmd = new Command("scale", "Start instances cumulatively and record the k-th instance's instantiation time and memory per instance; removes them all afterwards") { tech, runtime, counts, output };
        cmd.SetAction((pr, ct) => Cli.Guard((ctx, token) =>
        {
            if (!TechnologyNames.TryParse(pr.GetValue(tech), out var t))
            {
                throw new LightNfvException(ErrorKind.Invalid, $"--tech: '{pr.GetValue(tech)}' is not a technology; accepted: {string.Join(", ", TechnologyNames.All)}");
            }
            var points = new List<int>();
            foreach (var c in pr.GetValue(counts)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (!int.TryParse(c, out var n) || n < 1 || n > 5000)
                {
                    throw new LightNfvException(ErrorKind.Invalid, $"--counts: '{c}' is not a count from 1 to 5000");
                }
                points.Add(n);
            }
            ctx.Backends.Require(t);
            LightNfv.Host.Processes.ChildReaper.EnableSubreaper();
            var experiment = new ScalingExperiment(ctx.Instances, new ScalingOptions { Technology = t, Runtime = pr.GetValue(runtime), Counts = points.Distinct().Order().ToArray() });
            var result = ProgressDisplay.Run(
                (lines, steps) =>
                {
                    experiment.Progress += lines;
                    experiment.Step += steps;
                },
                () => experiment.Run(token));
            var report = new BenchReport(
                LightNfv.Bench.Environment.HostProbe.Describe(ctx.Host.Cgroups.Version, ctx.Host.Tuning ?? "", "lightnfv " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1)), DateTimeOffset.UtcNow),
                [], [])
            { Scaling = [result] };
            var dir = pr.GetValue(output)!.FullName;
            ReportWriter.WriteAll(report, dir);
            Console.Write(SummaryTable.RenderScaling(report));
            WrotePaths(dir);
            return Task.FromResult(result.StoppedEarly is null ? 0 : 8);
        }, ct));
        return cmd;
    }

    /// <summary>The three files, one per line, after the short summary (the full tables are in results.md).</summary>
    private static void WrotePaths(string dir)
    {
        Console.WriteLine();
        foreach (var file in new[] { "results.json", "results.md", "results.svg" })
        {
            Console.WriteLine(Path.Combine(dir, file));
        }
    }

    public static Command Create()
    {
        var tech = new Option<string>("--tech") { Description = "Comma-separated technologies (default: all)", DefaultValueFactory = _ => string.Join(',', TechnologyNames.All) };
        var runs = new Option<int?>("--runs") { Description = "Measured runs per technology (default 20, 5 with --quick)" };
        var quick = new Option<bool>("--quick") { Description = "A short run of a few minutes" };
        var output = new Option<DirectoryInfo>("--out", "-o") { Description = "Where results.json and results.md go", DefaultValueFactory = _ => new DirectoryInfo("bench-out") };
        var cmd = new Command("bench", "Measure every available technology like the draft (instantiation, throughput, RTT, image, memory) and write results.json, results.md and results.svg") { tech, runs, quick, output };
        cmd.Subcommands.Add(ScaleCommand());
        cmd.Subcommands.Add(BenchNoisyCommand.Create());
        foreach (var c in BenchDaemonCommands.Create())
        {
            cmd.Subcommands.Add(c);
        }
        cmd.SetAction((pr, ct) => Cli.Guard((ctx, token) =>
        {
            var technologies = new List<Technology>();
            foreach (var name in pr.GetValue(tech)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (!TechnologyNames.TryParse(name, out var t))
                {
                    throw new LightNfvException(ErrorKind.Invalid, $"--tech: '{name}' is not a technology; accepted: {string.Join(", ", TechnologyNames.All)}");
                }
                technologies.Add(t);
            }
            var isQuick = pr.GetValue(quick);
            var n = pr.GetValue(runs) ?? (isQuick ? 5 : 20);
            if (n < 1)
            {
                throw new LightNfvException(ErrorKind.Invalid, $"--runs: {n} is not a positive number of runs");
            }
            var options = new BenchOptions
            {
                Technologies = technologies,
                Runs = n,
                WarmupRuns = isQuick ? 2 : 3,
                Quick = isQuick,
                NetworkRuns = isQuick ? 1 : 3,
                ThroughputDuration = TimeSpan.FromSeconds(isQuick ? 1 : 3),
                PingCount = isQuick ? 200 : 1000,
                Command = "lightnfv " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1)),
            };
            var runner = new BenchRunner(ctx.Instances, options);
            var report = ProgressDisplay.Run(
                (lines, steps) =>
                {
                    runner.Progress += lines;
                    runner.Step += steps;
                },
                () => runner.Run(token));
            var dir = pr.GetValue(output)!.FullName;
            ReportWriter.WriteAll(report, dir);
            // The console's benchmark page shows the latest run of this state directory.
            LatestResults.Remember(ctx.Options.StateDirectory, dir);
            Console.Write(SummaryTable.Render(report));
            WrotePaths(dir);
            // Exit 0 when anything was measured; what failed is in the report and summed up in one line here.
            if (BenchOutcome.Summary(report) is { } summary)
            {
                Console.Error.WriteLine(summary);
            }
            return Task.FromResult(BenchOutcome.ExitCode(report));
        }, ct));
        return cmd;
    }
}
