using System.Globalization;
using System.Net;
using LightNfv.Backends.Unikernel;
using LightNfv.Core.Backends;
using LightNfv.Core.Descriptors;
using LightNfv.Core.Networking;
using LightNfv.Host.Kvm;
using LightNfv.Host.Probes;
using LightNfv.IntegrationTests.Infrastructure;

namespace LightNfv.IntegrationTests.Backends.Unikernel;

/// <summary>
/// The unikernel backend on the real host: guests with their own TCP/IP under the tender auto picks (the KVM monitor
/// host lnfv-ukhost where /dev/kvm runs them, else lnfv-spt processes). The KVM monitor's own tests need /dev/kvm.
/// </summary>
public sealed class UnikernelBackendTests(ITestOutputHelper output) : IntegrationTest(output)
{
    private static string Iperf3(string name = "uk", string? accel = null) => Descriptors.Iperf3(name)
        .Replace("technology: process", "technology: unikernel" + (accel is null ? "" : $"\n  accel: {accel}"), StringComparison.Ordinal);

    private void RequireUnikernel() => RequireAvailable(Technology.Unikernel);

    /// <summary>The tests of the KVM monitor itself (warm pool, monitor host, vCPU faults) skip where it cannot run.</summary>
    private void RequireKvm()
    {
        RequireUnikernel();
        Assert.SkipWhen(KvmMachine.Problem() is not null, $"the KVM monitor cannot run here: {KvmMachine.Problem()} (UnikernelProcessTenderTests cover this host)");
    }

    /// <summary>The KVM monitor's warm pool serves claims only where auto picks KVM.</summary>
    private void RequireKvmPool()
    {
        RequireKvm();
        Assert.SkipWhen(UnikernelBackend.AutoAccel() != UnikernelBackend.AccelKvm,
            $"auto picks the process tender here ({UnikernelBackend.AutoReason()}): the warm pool is lnfv-spt's (UnikernelProcessWarmPoolTests cover it)");
    }

    [Fact]
    public async Task A_guest_boots_answers_ping_and_tcp_and_serves_iperf3_both_ways()
    {
        RequireUnikernel();
        Output.WriteLine($"tender: {Lab.Registry.Probe(Technology.Unikernel).Details.GetValueOrDefault("tender")}");
        var record = await Lab.RunAsync(Iperf3());
        var address = IPAddress.Parse(record.Address!);
        Lab.WaitForTcp(address, 5201).ShouldBeTrue("the guest's TCP answers a SYN on the iperf3 port");
        Lab.TcpConnect(address, 5201).ShouldBeNull("a full handshake with the guest's TCP");

        var rtts = IcmpEcho.Flood(address, 5, TimeSpan.FromSeconds(5), netNamespace: Lab.Host.Lab.Namespace);
        rtts.Count.ShouldBe(5, "every ICMP echo request is answered");

        var rx = Iperf3Client.Gbps(Lab.Host.Lab.Namespace, address, 5201, TimeSpan.FromSeconds(2), vnfSends: false);
        var tx = Iperf3Client.Gbps(Lab.Host.Lab.Namespace, address, 5201, TimeSpan.FromSeconds(2), vnfSends: true);
        Output.WriteLine($"iperf3: guest receives {rx * 1000:0.0} Mb/s, sends {tx * 1000:0.0} Mb/s");
        rx.ShouldBeGreaterThan(0);
        tx.ShouldBeGreaterThan(0);

        var view = Lab.Instances.Inspect(record.Id);
        view.Observation!.State.ShouldBe(ObservedState.Running);
        view.Stats!.MemoryBytes.ShouldBeGreaterThan(0UL);
        view.Stats.MemoryBytes.ShouldBeLessThan(4UL << 20, "the guest and its share of the monitor stay under 4 MB");
        view.Stats.RxPackets.ShouldBeGreaterThan(1000UL);
        view.Stats.TxPackets.ShouldBeGreaterThan(1000UL);
        record.Facts.Image!.Bytes.ShouldNotBeNull().ShouldBeLessThanOrEqualTo(64 * 1024, "the guest ELF is the image");

        await Lab.Instances.RemoveAsync(record);
        Lab.TcpConnect(address, 5201, TimeSpan.FromMilliseconds(300)).ShouldNotBeNull("the guest is gone");
        HostState.LabLinks(Lab.LabName).ShouldNotContain("lnfuk");
    }

    [Fact]
    public async Task A_warm_guest_answers_and_runs_in_the_monitor_host_not_in_the_caller()
    {
        RequireKvmPool();
        var backend = (UnikernelBackend)Lab.Registry.Find(Technology.Unikernel)!;
        backend.WarmPool.Refill(1).ShouldBe(1);
        backend.WarmPool.Available.ShouldBe(1);
        var record = await Lab.RunAsync(Iperf3("warm"));
        UnikernelState.Of(record.AsBackendInstance()).Tap.ShouldNotBe(UnikernelBackend.TapName(record.Id), "the warm guest keeps its pre-made tap");
        backend.WarmPool.Available.ShouldBe(0);
        Lab.WaitForTcp(IPAddress.Parse(record.Address!), 5201).ShouldBeTrue();

        // The monitor host is a process of its own: the guest outlives the CLI that created it.
        var pid = UnikernelState.Of(record.AsBackendInstance()).Monitor.ShouldNotBeNull();
        pid.ShouldNotBe(Environment.ProcessId);
        HostState.Cmdline(pid)!.ShouldContain(UnikernelBackend.HostExecutable);

        // A parked guest (and an idle one) waits in the kernel on its eventfd or tap, not on a managed wait that could
        // sleep through its claim: every vCPU thread sits in poll.
        backend.WarmPool.Refill(1).ShouldBe(1);
        var vcpus = Directory.GetDirectories($"/proc/{pid}/task").Where(t => File.ReadAllText(Path.Combine(t, "comm")).Trim() == "vcpu").ToList();
        vcpus.Count.ShouldBe(2, "the claimed guest and the new parked one");
        Poll.Until(() => vcpus.All(t => File.ReadAllText(Path.Combine(t, "wchan")).Contains("poll", StringComparison.Ordinal)), TimeSpan.FromSeconds(5))
            .ShouldBeTrue(string.Join(", ", vcpus.Select(t => File.ReadAllText(Path.Combine(t, "wchan")))));
    }

    [Fact]
    public async Task Hundred_create_destroy_cycles_leak_no_descriptors_threads_memory_or_taps()
    {
        RequireKvm();
        async Task Cycle(int i)
        {
            var record = await Lab.RunAsync(Iperf3($"cycle{i}", UnikernelBackend.AccelKvm));
            if (!Lab.WaitForTcp(IPAddress.Parse(record.Address!), 5201, TimeSpan.FromSeconds(10)))
            {
                var b = (UnikernelBackend)Lab.Registry.Find(Technology.Unikernel)!;
                var stats = MonitorClient.Send(b.SocketPath, MonitorMessage.Of("stats", ("id", record.Id)));
                var console = File.Exists(Lab.ConsoleLog(record.Id)) ? File.ReadAllText(Lab.ConsoleLog(record.Id)) : "(no console log)";
                var links = HostState.Run("ip", ["-n", Lab.LabName, "-s", "link", "show", UnikernelState.Of(record.AsBackendInstance()).Tap!]).Stdout;
                var neigh = HostState.Run("ip", ["-n", Lab.LabName, "neigh"]).Stdout;
                Assert.Fail($"cycle {i} ({record.Id} at {record.Address}) does not answer: monitor says {stats}; console: {console}; tap: {links}; neighbours: {neigh}; monitor log: {File.ReadAllText(b.LogPath)[^Math.Min(2000, File.ReadAllText(b.LogPath).Length)..]}");
            }
            await Lab.Instances.RemoveAsync(record);
        }
        // Warm up first: the monitor host starts, the JIT reaches its final tier, heap and thread-stack caches fill
        // (measured: RSS grows ~15 MB over the first ~200 cycles, then stays flat within 0.1 MB per 100 cycles).
        for (var i = 0; i < 200; i++)
        {
            await Cycle(i);
        }
        var backend = (UnikernelBackend)Lab.Registry.Find(Technology.Unikernel)!;
        var pid = (int)MonitorClient.Send(backend.SocketPath, MonitorMessage.Of("ping")).Number("pid");
        var before = Snapshot(pid);
        for (var i = 0; i < 100; i++)
        {
            await Cycle(i);
        }

        var after = Snapshot(pid);
        Output.WriteLine($"monitor host {pid}: fds {before.Fds} -> {after.Fds}, threads {before.Threads} -> {after.Threads}, RSS {before.RssKb} -> {after.RssKb} kB, VmSize {before.VmKb} -> {after.VmKb} kB, taps {before.Taps} -> {after.Taps}");
        // Each guest holds 5 descriptors (VM, vCPU, tap, eventfd, console) and a thread: a per-guest leak shows 100-fold.
        after.Fds.ShouldBeLessThanOrEqualTo(before.Fds + 4, "every VM, vCPU, tap, eventfd and console descriptor is closed");
        after.Threads.ShouldBeLessThanOrEqualTo(before.Threads + 2, "every vCPU thread ends (the runtime may add a worker)");
        after.Taps.ShouldBe(before.Taps);
        after.VmKb.ShouldBeLessThan(before.VmKb + 64 * 1024, "no 64 MiB guest mapping is left behind");
        after.RssKb.ShouldBeLessThan(before.RssKb + 4 * 1024, "no guest's touched memory (~160 KB each with its share of the monitor) is left behind");
        MonitorClient.Send(backend.SocketPath, MonitorMessage.Of("ping")).Number("guests").ShouldBe(0UL);
    }

    private (int Fds, int Threads, long RssKb, long VmKb, int Taps) Snapshot(int pid)
    {
        var backend = (UnikernelBackend)Lab.Registry.Find(Technology.Unikernel)!;
        MonitorClient.Send(backend.SocketPath, MonitorMessage.Of("ping", ("collect", "1")));
        var fds = Directory.GetFiles($"/proc/{pid}/fd").Length;
        var threads = Directory.GetDirectories($"/proc/{pid}/task").Length;
        long Kb(string key) => long.Parse(File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith(key, StringComparison.Ordinal))
            .Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
        var taps = HostState.LabLinks(Lab.LabName).Split('\n').Count(l => l.Contains("lnfuk", StringComparison.Ordinal));
        return (fds, threads, Kb("VmRSS:"), Kb("VmSize:"), taps);
    }

    [Fact]
    public void A_guest_that_faults_fails_alone_with_its_registers_in_its_console_log()
    {
        RequireKvm();
        var lab = Lab.Host.Lab;
        Directory.CreateDirectory(Lab.StateDirectory);
        UnikernelVm Start(string name, string image, IPAddress address)
        {
            var mac = NetworkAttachment.MacFor(address);
            var tap = lab.CreateTap(name, address, mac, nonBlocking: true);
            return UnikernelVm.Start(name, ElfImage.Read(image), 16UL << 20,
                new BootInfo(address.GetAddressBytes(), lab.Pool.Gateway.GetAddressBytes(), mac, 5201, 1), tap, Path.Combine(Lab.StateDirectory, name + ".log"));
        }
        var good = Lab.Address(60);
        using var healthy = Start("lnfvukgood", GuestImages.Guest, good);
        using var faulty = Start("lnfvukbad", GuestImages.Fault, Lab.Address(61));
        Poll.Until(() => faulty.State != GuestState.Running, TimeSpan.FromSeconds(10)).ShouldBeTrue("the faulting guest ends");
        faulty.State.ShouldBe(GuestState.Failed);
        faulty.Detail!.ShouldContain("triple fault");
        var log = File.ReadAllText(Path.Combine(Lab.StateDirectory, "lnfvukbad.log"));
        Output.WriteLine(log);
        log.ShouldContain("faulting on purpose", customMessage: "the guest's own console output comes first");
        log.ShouldContain("RIP=");
        log.ShouldContain("CR2=00007ff000000000", customMessage: "the faulting address is in the dump");
        HostState.LabLinks(Lab.LabName).ShouldNotContain("lnfvukbad", customMessage: "the failed guest's tap is released with it");

        healthy.State.ShouldBe(GuestState.Running);
        Lab.WaitForTcp(good, 5201).ShouldBeTrue("the other guest is untouched");
        lab.DeleteTap("lnfvukgood", good);
        lab.DeleteTap("lnfvukbad", Lab.Address(61));
    }

    [Fact]
    public void A_guest_that_spins_without_hypercalls_is_still_stopped_and_released()
    {
        RequireKvm();
        var lab = Lab.Host.Lab;
        Directory.CreateDirectory(Lab.StateDirectory);
        var address = Lab.Address(62);
        var mac = NetworkAttachment.MacFor(address);
        var tap = lab.CreateTap("lnfvukspin", address, mac, nonBlocking: true);
        var log = Path.Combine(Lab.StateDirectory, "spin.log");
        var vm = UnikernelVm.Start("spin", ElfImage.Read(GuestImages.Fault), 16UL << 20,
            new BootInfo(address.GetAddressBytes(), lab.Pool.Gateway.GetAddressBytes(), mac, 5201, 99), tap, log);
        Poll.Until(() => File.Exists(log) && File.ReadAllText(log).Contains("spinning", StringComparison.Ordinal), TimeSpan.FromSeconds(10)).ShouldBeTrue();
        vm.State.ShouldBe(GuestState.Running);
        vm.Stop(TimeSpan.FromSeconds(5)).ShouldBeTrue("a signal takes the vCPU out of KVM_RUN");
        vm.Dispose();
        HostState.LabLinks(Lab.LabName).ShouldNotContain("lnfvukspin", customMessage: "its tap went with it");
        lab.DeleteTap("lnfvukspin", address);
    }
}
