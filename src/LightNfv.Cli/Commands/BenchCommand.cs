using System.CommandLine;
using LightNfv.Bench;
using LightNfv.Bench.Experiments;
using LightNfv.Bench.Reports;
using LightNfv.Core.Descriptors;
using LightNfv.Core.Errors;

namespace LightNfv.Cli.Commands;

public static class BenchCommand
{
    public static Command Create()
    {
        var tech = new Option<string>("--tech") { Description = "Comma-separated technologies (default: all)", DefaultValueFactory = _ => string.Join(',', TechnologyNames.All) };
        var runs = new Option<int?>("--runs") { Description = "Measured runs per technology (default 20, 5 with --quick)" };
        var quick = new Option<bool>("--quick") { Description = "A short run of a few minutes" };
        var output = new Option<DirectoryInfo>("--out", "-o") { Description = "Where results.json and results.md go", DefaultValueFactory = _ => new DirectoryInfo("bench-out") };
        var cmd = new Command("bench", "Measure every available technology like the draft (instantiation, memory, ...) and write results.json and results.md") { tech, runs, quick, output };
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
                NetworkRuns = isQuick ? 1 : 3,
                ThroughputDuration = TimeSpan.FromSeconds(isQuick ? 1 : 3),
                PingCount = isQuick ? 200 : 1000,
                Command = "lightnfv " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1)),
            };
            var runner = new BenchRunner(ctx.Instances, options);
            runner.Progress += line => Console.Error.WriteLine(line);
            var report = runner.Run(token);
            var dir = pr.GetValue(output)!.FullName;
            ReportWriter.WriteAll(report, dir);
            Console.WriteLine(ReportWriter.Markdown(report));
            Console.Error.WriteLine($"wrote {Path.Combine(dir, "results.json")} and results.md");
            return Task.FromResult(0);
        }, ct));
        return cmd;
    }
}
