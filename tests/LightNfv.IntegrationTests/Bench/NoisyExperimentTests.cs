using LightNfv.Bench.Experiments;
using LightNfv.Bench.Reports;
using LightNfv.Core.Descriptors;
using LightNfv.Host.Namespaces;
using LightNfv.IntegrationTests.Infrastructure;

namespace LightNfv.IntegrationTests.Bench;

/// <summary>`bench noisy` cut to one technology, one aggressor and 1 s: the rows and the JSON come out, nothing stays.</summary>
public sealed class NoisyExperimentTests(ITestOutputHelper output) : IntegrationTest(output)
{
    [Fact]
    public void A_short_run_beside_a_memory_hog_reports_every_row_the_oom_kill_and_leaves_nothing()
    {
        RequireRoot();
        var cgroupsBefore = Lab.Host.Cgroups.ListChildren(Lab.CgroupParent).ToHashSet();
        var experiment = new NoisyExperiment(Lab.Instances, new NoisyOptions
        {
            Technologies = [Technology.Process],
            Aggressors = [AggressorKind.MemoryHog],
            Pinning = [false],
            Duration = TimeSpan.FromSeconds(1),
            Pairs = 2,
            PingCount = 50,
            Settle = TimeSpan.FromMilliseconds(50),
        });
        var peak = 0;
        ulong loadGeneratorCpu = 0;
        experiment.Progress += line =>
        {
            Output.WriteLine(line);
            peak = Math.Max(peak, Lab.Instances.List().Count);
            if (line.Contains("beside", StringComparison.Ordinal) && Lab.Host.Cgroups.Open(Lab.Host.LabCgroupPath) is { } lab)
            {
                loadGeneratorCpu = Math.Max(loadGeneratorCpu, lab.ReadStats().CpuNanoseconds);
            }
        };
        var rows = experiment.Run();
        var report = new NoisyReport(LightNfv.Bench.Environment.HostProbe.Describe("v1", "", "test", DateTimeOffset.UnixEpoch), NoisyExperiment.Declared,
            NoisyReportWriter.LoadAverage(), NoisyReportWriter.LoadAverage(), rows);
        Output.WriteLine(NoisyReportWriter.Markdown(report));

        rows.ShouldAllBe(r => r.Error == null);
        rows.Select(r => (r.Aggressor, r.Tenant)).ShouldBe([(null, NoisyRatios.Before), ("memory-hog", "same"), ("memory-hog", "other"), (null, NoisyRatios.After)]);
        rows.ShouldAllBe(r => r.Victim != null && r.Victim.Gbps > 0 && r.Victim.RttP99Ms > 0 && r.Victim.RttSamples > 0);
        rows[0].Victim!.CpusUsed.ShouldNotBeNull().ShouldBeGreaterThan(0.1, "the victim and its load generator used CPU alone");
        foreach (var r in rows.Skip(1).SkipLast(1))
        {
            r.ThroughputPercent.ShouldNotBeNull();
            r.Pairs.ShouldBe(2, "both pairs of the one test have reports inside their phases (2 s each, the shortest)");
            r.Alone.ShouldNotBeNull().RttSamples.ShouldBeGreaterThan(0);
            r.Outcome.ShouldNotBeNull();
            r.Outcome.MemoryLimitBytes.ShouldBe(64UL << 20);
            r.Outcome.OomKills.ShouldBeGreaterThan(0UL, "the hog should have been OOM-killed at its 64 MiB");
            r.StoppedAtLimit.ShouldBe(true);
        }
        peak.ShouldBe(1); // progress is reported before each aggressor starts: only the victim then
        loadGeneratorCpu.ShouldBeGreaterThan(0UL, "the lab's iperf3 client runs in the lab's own cgroup, not in this process's");

        using var json = System.Text.Json.JsonDocument.Parse(NoisyReportWriter.Json(report));
        var row = json.RootElement.GetProperty("rows")[1];
        row.GetProperty("technology").GetString().ShouldBe("process");
        row.GetProperty("aggressor").GetString().ShouldBe("memory-hog");
        row.GetProperty("tenant").GetString().ShouldBe("same");
        row.GetProperty("victim").GetProperty("gbps").GetDouble().ShouldBeGreaterThan(0);
        row.GetProperty("outcome").GetProperty("oom_kills").GetUInt64().ShouldBeGreaterThan(0UL);
        row.GetProperty("throughput_percent").GetDouble().ShouldBeGreaterThan(0);
        json.RootElement.GetProperty("host").GetProperty("cores").GetInt32().ShouldBeGreaterThan(0);

        Lab.Instances.List().ShouldBeEmpty();
        NetNamespace.List(Lab.LabName + "-").ShouldBeEmpty();
        Lab.Host.Cgroups.ListChildren(Lab.CgroupParent).Where(c => !cgroupsBefore.Contains(c)).ShouldBeEmpty();
        HostState.ProcessesMentioning("busybox head -c 1000m").ShouldBeEmpty();
    }
}
