using LightNfv.Bench.Experiments;
using LightNfv.Bench.Reports;
using LightNfv.Core.Descriptors;
using LightNfv.Host.Namespaces;
using LightNfv.IntegrationTests.Infrastructure;

namespace LightNfv.IntegrationTests.Bench;

/// <summary>`bench scale` on a small count: checkpoints recorded, everything removed, report written.</summary>
public sealed class ScalingExperimentTests(ITestOutputHelper output) : IntegrationTest(output)
{
    [Fact]
    public void Instances_start_cumulatively_checkpoints_are_recorded_and_all_are_removed()
    {
        RequireRoot();
        var experiment = new ScalingExperiment(Lab.Instances, new ScalingOptions { Technology = Technology.Process, Counts = [1, 3, 6] });
        var seenAtPeak = 0;
        experiment.Progress += line =>
        {
            Output.WriteLine(line);
            seenAtPeak = Math.Max(seenAtPeak, NetNamespace.List(Lab.LabName + "-").Count);
        };
        var result = experiment.Run();

        result.StoppedEarly.ShouldBeNull();
        result.InstancesStarted.ShouldBe(6);
        result.Points.Select(p => p.Count).ShouldBe([1, 3, 6]);
        result.Points.ShouldAllBe(p => p.InstantiationMs > 0 && p.MemoryMbPerInstance > 0);
        seenAtPeak.ShouldBe(6); // they really ran side by side
        Lab.Instances.List().ShouldBeEmpty();
        NetNamespace.List(Lab.LabName + "-").ShouldBeEmpty();

        var report = new BenchReport(LightNfv.Bench.Environment.HostProbe.Describe("v1", "", "test", DateTimeOffset.UnixEpoch), [], []) { Scaling = [result] };
        ReportWriter.Markdown(report).ShouldContain("## Scaling");
        ReportWriter.ReadJson(ReportWriter.Json(report)).Scaling!.Single().Points.Count.ShouldBe(3);
    }
}
