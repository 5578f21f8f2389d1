using LightNfv.Bench;
using LightNfv.Bench.Experiments;
using LightNfv.Bench.Reports;
using LightNfv.Core.Descriptors;
using LightNfv.Host.Namespaces;
using LightNfv.IntegrationTests.Infrastructure;

namespace LightNfv.IntegrationTests.Bench;

/// <summary>One short real benchmark run: every metric of the draft's table comes out for the process backend.</summary>
public sealed class BenchRunnerTests(ITestOutputHelper output) : IntegrationTest(output)
{
    [Fact]
    public void A_short_process_run_reports_every_metric_and_leaves_nothing()
    {
        if (NeedsRoot())
        {
            return;
        }
        var options = new BenchOptions
        {
            Technologies = [Technology.Process, Technology.Unikernel],
            Runs = 2,
            WarmupRuns = 1,
            NetworkRuns = 1,
            ThroughputDuration = TimeSpan.FromSeconds(1),
            PingCount = 20,
            Settle = TimeSpan.FromMilliseconds(50),
            MemorySettle = TimeSpan.FromMilliseconds(50),
        };
        var report = new BenchRunner(Lab.Instances, options).Run();
        foreach (var r in report.Results)
        {
            Output.WriteLine($"{r.Technology}/{r.Variant} {r.Metric} {r.Median} ({r.Runs} runs)");
        }

        string[] all = [Metrics.InstantiationMs, Metrics.ReadyMs, Metrics.TxGbps, Metrics.RxGbps, Metrics.RttMs, Metrics.MemoryMb];
        foreach (var metric in all)
        {
            var r = report.Results.Single(x => x.Technology == "process" && x.Variant == "cold" && x.Metric == metric);
            r.Median.ShouldBeGreaterThan(0, metric);
            r.Samples.Count.ShouldBe(r.Runs);
        }
        report.Results.Where(x => x.Technology == "process" && x.Variant == "cold" && x.Metric == Metrics.InstantiationMs).Single().Runs.ShouldBe(2);
        report.Results.ShouldContain(x => x.Technology == "process" && x.Variant == "warm" && x.Metric == Metrics.InstantiationMs);
        // The floor rows of the same run: start-up and the bare data path.
        report.Results.ShouldContain(x => x.Technology == FloorExperiment.Technology && x.Metric == Metrics.ReadyMs);
        report.Results.ShouldContain(x => x.Technology == FloorExperiment.Technology && x.Metric == Metrics.TxGbps);
        // A technology this build cannot run is reported with its reason, not dropped.
        report.Unavailable.ShouldContain(u => u.Technology == "unikernel");

        var dir = Path.Combine(Lab.StateDirectory, "bench-out");
        ReportWriter.WriteAll(report, dir);
        ReportWriter.ReadJson(File.ReadAllText(Path.Combine(dir, "results.json"))).Results.Count.ShouldBe(report.Results.Count);
        File.ReadAllText(Path.Combine(dir, "results.md")).ShouldContain("| process | cold |");

        // Every instance and shell of the run is gone; only the lab itself remains until down.
        Lab.Instances.List().ShouldBeEmpty();
        NetNamespace.List(Lab.LabName + "-").ShouldBeEmpty();
    }
}
