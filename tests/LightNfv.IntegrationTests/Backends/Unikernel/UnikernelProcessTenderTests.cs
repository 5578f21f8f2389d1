using System.Net;
using LightNfv.Backends.Unikernel;
using LightNfv.Core.Backends;
using LightNfv.Core.Descriptors;
using LightNfv.Core.Instances;
using LightNfv.Core.Networking;
using LightNfv.Host.Processes;
using LightNfv.Host.Spt;
using LightNfv.IntegrationTests.Infrastructure;
using LightNfv.Platform.Lifecycle;

namespace LightNfv.IntegrationTests.Backends.Unikernel;

/// <summary>The unikernel under the process tender (spec.accel: process): lnfv-spt, seccomp, one process per guest. Runs without KVM.</summary>
public sealed class UnikernelProcessTenderTests(ITestOutputHelper output) : IntegrationTest(output)
{
    private static string Guest(string name) => Descriptors.Iperf3(name).Replace("technology: process", "technology: unikernel\n  accel: process", StringComparison.Ordinal);

    private UnikernelBackend Backend => (UnikernelBackend)Lab.Registry.Find(Technology.Unikernel)!;

    private void RequireTender()
    {
        RequireAvailable(Technology.Unikernel);
        Assert.SkipWhen(SptTender.Problem() is not null, SptTender.Problem() ?? "");
    }

    [Fact]
    public async Task The_guest_runs_as_a_sealed_process_in_its_cgroup_and_answers()
    {
        RequireTender();
        var record = await Lab.RunAsync(Guest("spt"));
        Lab.WaitForTcp(IPAddress.Parse(record.Address!), 5201).ShouldBeTrue();
        var pid = record.Facts.Process.ShouldNotBeNull().Pid;
        HostState.Cmdline(pid)!.ShouldContain(SptTender.ExecutableName);
        var status = File.ReadAllText($"/proc/{pid}/status");
        status.ShouldContain("Seccomp:\t2", customMessage: "the guest runs under its filter");
        status.ShouldContain("NoNewPrivs:\t1");
        status.ShouldContain("CapEff:\t0000000000000000", customMessage: "no capability is left");
        status.ShouldContain("CapBnd:\t0000000000000000");
        Directory.GetFiles($"/proc/{pid}/fd").Length.ShouldBe(5, "stdin, the console twice, the tap and its epoll: nothing else");
        Lab.Host.Cgroups.Open(Lab.Host.CgroupPath(record.Id))!.Pids().ShouldBe([pid]);
        var view = Lab.Instances.Inspect(record.Id);
        view.Stats!.MemoryBytes.ShouldBeLessThan(4UL << 20);
        Output.WriteLine($"private memory {view.Stats.MemoryBytes / 1024} KiB, state: {record.State}");
        await Lab.Instances.RemoveAsync(record);
        HostState.IsGone(pid).ShouldBeTrue();
    }

    [Fact]
    public async Task A_cold_start_in_halves_leaves_the_tender_on_the_platforms_own_cpus()
    {
        RequireTender();
        // The start sends the tender to another CPU while both work, then gives it back every CPU the platform has.
        var record = await Lab.RunAsync(Guest("sptcpus"));
        Lab.WaitForTcp(IPAddress.Parse(record.Address!), 5201).ShouldBeTrue();
        static string Allowed(string status) => status.Split('\n').Single(l => l.StartsWith("Cpus_allowed_list:", StringComparison.Ordinal));
        Allowed(File.ReadAllText($"/proc/{record.Facts.Process!.Value.Pid}/status")).ShouldBe(Allowed(File.ReadAllText("/proc/self/status")));
        await Lab.Instances.RemoveAsync(record);
    }

    [Fact]
    public void A_start_abandoned_before_its_go_ends_the_tender_with_the_reason()
    {
        RequireTender();
        var address = Lab.Address(71);
        Directory.CreateDirectory(Lab.StateDirectory);
        var log = Path.Combine(Lab.StateDirectory, "abandoned.log");
        ProcessIdentity tender;
        using (var channel = SptStartChannel.Open())
        {
            tender = NamespacedSpawner.SpawnDetached(SptTender.Path,
                SptTender.StartArguments(GuestImages.SptGuest, 16UL << 20, address, Lab.Host.Lab.Pool.Gateway, NetworkAttachment.MacFor(address), 5201, "iperf3"),
                log, [channel.TheirEnd]);
            channel.ReleaseTheirEnd();
        } // closed with no go: the platform gave up (its tap or cgroup failed)
        ProcessSignals.WaitForExit(tender, TimeSpan.FromSeconds(15)).ShouldBeTrue("the tender ends at end of file (after its 10 ms spin)");
        ChildReaper.Reap(tender, TimeSpan.FromSeconds(1));
        File.ReadAllText(log).ShouldContain("the platform abandoned the start (no go message)");
    }

    [Fact]
    public async Task A_guest_that_makes_a_forbidden_system_call_dies_with_the_call_named_and_nothing_else_is_touched()
    {
        RequireTender();
        var healthy = await Lab.RunAsync(Guest("spthealthy"));
        Backend.TestGuest = (GuestImages.SptFault, "test-syscall");
        var bad = await Lab.RunAsync(Guest("sptbad"));
        InstanceView? view = null;
        Poll.Until(() => (view = Lab.Instances.Inspect(bad.Id)).Observation!.State == ObservedState.Exited, TimeSpan.FromSeconds(10))
            .ShouldBeTrue("the guest's process ends");
        view!.Observation!.Detail!.ShouldContain("forbidden system call (110)");
        view.Record.State.ShouldBe(InstanceState.Exited);
        view.Record.Error!.ShouldContain("forbidden system call (110)", customMessage: "ps and inspect show the reason");
        var log = File.ReadAllText(Lab.ConsoleLog(bad.Id));
        Output.WriteLine(log);
        log.ShouldContain("making a forbidden system call on purpose");
        log.ShouldContain("seccomp: forbidden system call 110");
        log.ShouldNotContain("returned", customMessage: "the call never ran");

        Lab.WaitForTcp(IPAddress.Parse(healthy.Address!), 5201).ShouldBeTrue("the other guest is untouched");
        await Lab.Instances.RemoveAsync(bad);
        await Lab.Instances.RemoveAsync(healthy);
        HostState.LabLinks(Lab.LabName).ShouldNotContain("lnfuk");
    }

    [Fact]
    public async Task A_guest_that_spins_is_still_stopped_and_released()
    {
        RequireTender();
        Backend.TestGuest = (GuestImages.SptFault, "test-spin");
        var record = await Lab.RunAsync(Guest("sptspin"));
        Poll.Until(() => File.Exists(Lab.ConsoleLog(record.Id)) && File.ReadAllText(Lab.ConsoleLog(record.Id)).Contains("spinning", StringComparison.Ordinal), TimeSpan.FromSeconds(10))
            .ShouldBeTrue();
        var pid = record.Facts.Process.ShouldNotBeNull().Pid;
        Lab.Instances.Inspect(record.Id).Observation!.State.ShouldBe(ObservedState.Running);
        await Lab.Instances.RemoveAsync(record);
        HostState.IsGone(pid).ShouldBeTrue("SIGKILL ends a guest that never waits");
        HostState.LabLinks(Lab.LabName).ShouldNotContain("lnfuk", customMessage: "its tap went with it");
        Lab.Host.Cgroups.Open(Lab.Host.CgroupPath(record.Id)).ShouldBeNull();
    }

    [Fact]
    public async Task Stats_count_the_tenders_cpu_pids_and_limit_from_its_cgroup_and_its_traffic_from_its_tap()
    {
        RequireTender();
        var record = await Lab.RunAsync(Guest("sptstats"));
        var address = IPAddress.Parse(record.Address!);
        Lab.WaitForTcp(address, 5201).ShouldBeTrue();
        var before = Lab.Instances.Stats(record).ShouldNotBeNull();
        for (var i = 0; i < 20; i++)
        {
            Lab.TcpConnect(address, 5201).ShouldBeNull($"connection {i}");
        }
        var after = before;
        // The guest answers each handshake on its own CPU time; the counters are read, not sampled, so they move at once.
        Poll.Until(() => (after = Lab.Instances.Stats(record)!).RxPackets >= before.RxPackets + 20, TimeSpan.FromSeconds(5))
            .ShouldBeTrue($"20 connections: at least a frame each one way (rx {before.RxPackets} -> {after.RxPackets})");
        Output.WriteLine($"before {before}{Environment.NewLine}after {after}");
        after.TxPackets.ShouldBeGreaterThanOrEqualTo(before.TxPackets + 20, "and the other");
        after.RxBytes.ShouldBeGreaterThan(before.RxBytes);
        after.TxBytes.ShouldBeGreaterThan(before.TxBytes);
        after.CpuNanoseconds.ShouldBeGreaterThan(before.CpuNanoseconds, "the cgroup's CPU time grows with the work");
        after.Pids.ShouldBe(1UL, "the tender alone in its cgroup");
        after.MemoryLimitBytes.ShouldBe((64UL << 20) + (4UL << 20), "guest memory plus the tender's headroom");
        after.MemoryBytes.ShouldBeInRange(16UL << 10, 4UL << 20);
        var cgroup = Lab.Host.Cgroups.Open(Lab.Host.CgroupPath(record.Id)).ShouldNotBeNull();
        cgroup.Pids().ShouldBe([record.Facts.Process!.Value.Pid]);
        await Lab.Instances.RemoveAsync(record);
    }

    [Fact]
    public void The_tender_refuses_a_tap_without_the_virtio_net_header_the_guest_speaks()
    {
        RequireTender();
        var address = Lab.Address(70);
        var mac = NetworkAttachment.MacFor(address);
        Directory.CreateDirectory(Lab.StateDirectory);
        var log = Path.Combine(Lab.StateDirectory, "novnet.log");
        ProcessIdentity tender;
        using (var tap = Lab.Host.Lab.CreateTap("lnfvsptnv", address, mac, vnetHeader: false, nonBlocking: true))
        {
            tender = NamespacedSpawner.SpawnDetached(SptTender.Path,
                SptTender.Arguments(GuestImages.SptGuest, 16UL << 20, address, Lab.Host.Lab.Pool.Gateway, mac, 5201, "iperf3", []), log, [tap.Descriptor.Value]);
        }
        ProcessSignals.WaitForExit(tender, TimeSpan.FromSeconds(5)).ShouldBeTrue();
        ChildReaper.Reap(tender, TimeSpan.FromSeconds(1));
        File.ReadAllText(log).ShouldContain("the tap must be made with IFF_VNET_HDR");
        HostState.LabLinks(Lab.LabName).ShouldNotContain("lnfvsptnv", customMessage: "the tap went with the tender's descriptor");
        Lab.Host.Lab.DeleteTap("lnfvsptnv", address);
    }

    [Fact]
    public async Task Hundred_create_destroy_cycles_leave_no_tender_tap_cgroup_or_descriptor()
    {
        RequireTender();
        async Task Cycle(int i)
        {
            var record = await Lab.RunAsync(Guest($"sptcycle{i}"));
            Lab.WaitForTcp(IPAddress.Parse(record.Address!), 5201, TimeSpan.FromSeconds(10)).ShouldBeTrue($"cycle {i}");
            await Lab.Instances.RemoveAsync(record);
        }
        for (var i = 0; i < 5; i++)
        {
            await Cycle(i); // warm up: the lab, the store, the JIT
        }
        var fds = Directory.GetFiles("/proc/self/fd").Length;
        for (var i = 0; i < 100; i++)
        {
            await Cycle(i);
        }
        HostState.ProcessesMentioning(Lab.CgroupParent).Where(p => p.Cmdline.Contains(SptTender.ExecutableName, StringComparison.Ordinal)).ShouldBeEmpty();
        HostState.ZombieChildren(SptTender.ExecutableName).ShouldBeEmpty("every tender is reaped");
        HostState.LabLinks(Lab.LabName).ShouldNotContain("lnfuk");
        Lab.Host.Cgroups.ListChildren(Lab.CgroupParent).ShouldBeEmpty();
        var open = Directory.GetFiles("/proc/self/fd").Select(f => { try { return new FileInfo(f).LinkTarget ?? ""; } catch (IOException) { return ""; } }).ToList();
        open.Count(t => t == "/dev/net/tun").ShouldBe(0, "no tap descriptor stays open in the caller");
        // The runtime may open a few (thread pool, sockets); a per-cycle leak would show 100-fold.
        open.Count.ShouldBeLessThanOrEqualTo(fds + 20, string.Join(", ", open.GroupBy(t => t).Select(g => $"{g.Key} x{g.Count()}")));
    }
}
