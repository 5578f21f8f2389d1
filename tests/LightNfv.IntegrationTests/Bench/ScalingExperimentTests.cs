using LightNfv.Bench.Experiments;
using LightNfv.Bench.Reports;
using LightNfv.Core.Descriptors;
using LightNfv.Core.Errors;
using LightNfv.Host.Namespaces;
using LightNfv.Host.Netlink;
using LightNfv.Host.Network;
using LightNfv.Host.Spt;
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

    /// <summary>
    /// A Linux bridge takes at most 1023 ports: fill the bench tenant's bridge with taps but for three, and a unikernel
    /// scale run (one tap per guest, all in that tenant's segment) stops at the third guest with the limit named, keeps
    /// its curve, and removes its guests.
    /// </summary>
    [Fact]
    public void A_full_lab_bridge_stops_a_scale_run_with_the_limit_named_and_the_curve_kept()
    {
        RequireAvailable(Technology.Unikernel);
        Assert.SkipWhen(SptTender.Problem() is not null, SptTender.Problem() ?? "");
        var lab = Lab.Host.Lab;
        // Fillers take addresses from the top of the bench segment (its guests are allocated from the bottom), so each
        // tap joins that segment's bridge.
        var segment = lab.SegmentPool(BenchDescriptors.Tenant);
        var top = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(segment.Network.GetAddressBytes()) + (uint)segment.Capacity;
        System.Net.IPAddress Filler(int n)
        {
            var bytes = new byte[4];
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(bytes, (uint)(top - n));
            return new System.Net.IPAddress(bytes);
        }
        var fillers = new List<TapDevice>();
        try
        {
            LightNfvException? full = null;
            while (full is null && fillers.Count <= RtNetlink.MaxBridgePorts)
            {
                try
                {
                    var n = fillers.Count;
                    fillers.Add(lab.CreateTap($"lnfvfill{n}", Filler(n), [0x02, 0x4c, 0x46, 0x00, (byte)(n >> 8), (byte)n], nonBlocking: true));
                }
                catch (LightNfvException e)
                {
                    full = e;
                }
            }
            full.ShouldNotBeNull($"{fillers.Count} taps fitted on one bridge");
            full.Kind.ShouldBe(ErrorKind.Exhausted);
            full.Message.ShouldContain("bridge is full");
            full.Message.ShouldContain(RtNetlink.MaxBridgePorts.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Output.WriteLine($"{fillers.Count} taps on the bridge, then: {full.Message}");
            foreach (var t in fillers.TakeLast(3).ToList())
            {
                t.Dispose();
                fillers.Remove(t);
            }

            var result = new ScalingExperiment(Lab.Instances, new ScalingOptions { Technology = Technology.Unikernel, Counts = [1, 10] }).Run();

            result.InstancesStarted.ShouldBe(3);
            result.StoppedEarly.ShouldNotBeNull().ShouldContain("instance 4 could not be created: the lab bridge is full");
            result.Points.Select(p => p.Count).ShouldBe([1]);
            result.InstantiationMsAll.Count.ShouldBe(3);
            Lab.Instances.List().ShouldBeEmpty();
            HostState.LabLinks(Lab.LabName).ShouldNotContain("lnfuk");
        }
        finally
        {
            fillers.ForEach(t => t.Dispose());
        }
    }
}
