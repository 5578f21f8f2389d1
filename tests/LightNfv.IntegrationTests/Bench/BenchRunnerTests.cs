using LightNfv.Bench;
using LightNfv.Bench.Experiments;
using LightNfv.Bench.Reports;
using LightNfv.Core.Backends;
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
        RequireRoot();
        var options = ShortBench.Options(Technology.Process, Technology.StandardVm);
        // A technology this host cannot run must be reported, not dropped: one whose probe fails, whatever this host has.
        Lab.Registry.Register(new UnavailableBackend(Technology.StandardVm, "not on this host (a test's stand-in)"));
        var runner = new BenchRunner(Lab.Instances, options);
        var steps = new List<BenchStep>();
        runner.Step += steps.Add;
        var report = runner.Run();
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
        // The live display's counters: every warm-up and measured run of both subjects (cold, warm), then the network
        // runs of the floor and the cold subject, each phase ending at its total.
        var instantiation = steps.Where(s => s.Phase == "instantiation").ToList();
        instantiation.Select(s => s.Done).ShouldBe(Enumerable.Range(1, (1 + 2) * 2));
        instantiation.ShouldAllBe(s => s.Total == 6);
        var network = steps.Where(s => s.Phase == "network").ToList();
        network.Select(s => s.Done).ShouldBe([1, 2]);
        network.ShouldAllBe(s => s.Total == 2 && s.Line.Length > 0);

        // A technology this build cannot run is reported with its reason, not dropped.
        report.Unavailable.ShouldContain(u => u.Technology == "standardvm" && u.Reason.Contains("stand-in"));

        var dir = Path.Combine(Lab.StateDirectory, "bench-out");
        ReportWriter.WriteAll(report, dir);
        ReportWriter.ReadJson(File.ReadAllText(Path.Combine(dir, "results.json"))).Results.Count.ShouldBe(report.Results.Count);
        File.ReadAllText(Path.Combine(dir, "results.md")).ShouldContain("| process | cold |");

        // Every instance and shell of the run is gone; only the lab itself remains until down.
        Lab.Instances.List().ShouldBeEmpty();
        NetNamespace.List(Lab.LabName + "-").ShouldBeEmpty();
    }

    /// <summary>A backend whose probe always fails; the bench must never call anything else on it.</summary>
    private sealed class UnavailableBackend(Technology technology, string reason) : IBackend
    {
        public Technology Technology => technology;
        public BackendProbe Probe() => BackendProbe.Missing(reason);
        public Task<BackendInstance> CreateAsync(InstanceSpec spec, CancellationToken cancellationToken) => throw new InvalidOperationException("probe failed");
        public Task<BackendInstance> StartAsync(InstanceSpec spec, BackendInstance instance, CancellationToken cancellationToken) => throw new InvalidOperationException("probe failed");
        public Task<BackendInstance> StopAsync(BackendInstance instance, TimeSpan grace, CancellationToken cancellationToken) => throw new InvalidOperationException("probe failed");
        public Task DestroyAsync(BackendInstance instance, CancellationToken cancellationToken) => throw new InvalidOperationException("probe failed");
        public InstanceObservation Inspect(BackendInstance instance) => throw new InvalidOperationException("probe failed");
        public InstanceStats Stats(BackendInstance instance) => throw new InvalidOperationException("probe failed");
    }
}
