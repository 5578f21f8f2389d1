using System.Net;
using System.Net.Sockets;
using System.Text;
using LightNfv.Backends.Unikernel;
using LightNfv.Core.Backends;
using LightNfv.Core.Descriptors;
using LightNfv.Core.Networking;
using LightNfv.Host.Processes;
using LightNfv.Host.Spt;
using LightNfv.IntegrationTests.Infrastructure;

namespace LightNfv.IntegrationTests.Backends.Unikernel;

/// <summary>
/// The process tender's warm pool: lnfv-spt guests booted to their first network wait and parked there, claimed by a
/// run, which hands over the identity. The pool serves the tender auto picks: here (no KVM) the process tender.
/// </summary>
public sealed class UnikernelProcessWarmPoolTests(ITestOutputHelper output) : IntegrationTest(output)
{
    private static string Echo(string name, int memoryMiB = 64, string tenant = "default") => $"""
        apiVersion: lightnfv/v1
        kind: Vnf
        metadata:
          name: {name}
          tenant: {tenant}
        spec:
          technology: unikernel
          accel: process
          app:
            builtin: tcp-echo
          resources:
            vcpus: 1
            memoryMiB: {memoryMiB}
            pids: 64
          network:
            ports: [7]
        """;

    private UnikernelBackend Backend => (UnikernelBackend)Lab.Registry.Find(Technology.Unikernel)!;

    private void RequirePool()
    {
        RequireAvailable(Technology.Unikernel);
        Assert.SkipWhen(SptTender.Problem() is not null, SptTender.Problem() ?? "");
        Assert.SkipWhen(UnikernelBackend.AutoAccel() == UnikernelBackend.AccelKvm,
            $"auto picks KVM here ({UnikernelBackend.AutoReason()}): the warm pool is the KVM monitor's (UnikernelBackendTests cover it)");
    }

    /// <summary>The pooled guests' tenders: every process in the lab's cgroups (only the pool made any).</summary>
    private List<(string Id, int Pid)> PooledTenders() =>
        [.. Lab.Host.Cgroups.ListChildren(Lab.CgroupParent).SelectMany(id => Lab.Host.Cgroups.Open(Lab.CgroupPath(id))!.Pids().Select(p => (id, p)))];

    private static long CpuTicks(int pid)
    {
        var fields = File.ReadAllText($"/proc/{pid}/stat").Split(')')[1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return long.Parse(fields[11], System.Globalization.CultureInfo.InvariantCulture) + long.Parse(fields[12], System.Globalization.CultureInfo.InvariantCulture);
    }

    private string Exchange(IPAddress address, int port, string text)
    {
        using var socket = Lab.Host.Lab.OpenTcpSocket();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        socket.ConnectAsync(new IPEndPoint(address, port), cts.Token).AsTask().GetAwaiter().GetResult();
        socket.Send(Encoding.ASCII.GetBytes(text));
        var buffer = new byte[256];
        var got = new StringBuilder();
        while (got.Length < text.Length)
        {
            var n = socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token).AsTask().GetAwaiter().GetResult();
            if (n == 0)
            {
                break;
            }
            got.Append(Encoding.ASCII.GetString(buffer, 0, n));
        }
        return got.ToString();
    }

    [Fact]
    public async Task A_claimed_warm_guest_takes_its_identity_and_answers_over_tcp()
    {
        RequirePool();
        Backend.WarmPool.Refill(1).ShouldBe(1);
        Backend.WarmPool.Available.ShouldBe(1);
        var (pooledId, pid) = PooledTenders().ShouldHaveSingleItem();
        // Read again within a second: a frame on the bridge can wake it for a moment (seen once in 8 runs beside the KVM tests).
        Poll.Until(() => SptTender.Parked(pid), TimeSpan.FromSeconds(1)).ShouldBeTrue("the pooled guest waits in epoll_pwait");
        var status = File.ReadAllText($"/proc/{pid}/status");
        status.ShouldContain("Seccomp:\t2", customMessage: "sealed before it is pooled");
        status.ShouldContain("CapEff:\t0000000000000000");
        Directory.GetFiles($"/proc/{pid}/fd").Length.ShouldBe(6, "stdin, the console twice, the tap, its epoll and the control FIFO: nothing else");
        var cpu = CpuTicks(pid);
        Thread.Sleep(300);
        CpuTicks(pid).ShouldBe(cpu, "a parked guest takes no CPU");
        Lab.Instances.HostObjects.Orphans([]).Select(o => o.Id).ShouldNotContain(pooledId, "a pooled guest is not an orphan");
        // Its tap is guarded with no address while pooled, so it passes nothing the guest sends until the claim.
        Lab.Host.Lab.Guard.All().Single(p => p.Port == UnikernelBackend.TapName(pooledId)).Comment.ShouldNotBeNull().Contains(' ', StringComparison.Ordinal).ShouldBeFalse("no address while pooled");

        // Booted with no address and no application: the claim makes it the tcp-echo VNF at its address.
        var record = await Lab.RunAsync(Echo("sptwarm"));
        record.Id.ShouldBe(pooledId, "the claim hands the pooled guest's id to the instance");
        record.Facts.Process.ShouldNotBeNull().Pid.ShouldBe(pid, "the same tender, recorded with its start time");
        Backend.WarmPool.Available.ShouldBe(0);
        File.Exists(Path.Combine(Lab.RunDirectory(record.Id), SptTender.ControlFileName)).ShouldBeFalse("the claim removes the FIFO's name");
        var address = IPAddress.Parse(record.Address!);
        Exchange(address, 7, "hello from the lab").ShouldBe("hello from the lab");
        var view = Lab.Instances.Inspect(record.Id);
        view.Observation!.State.ShouldBe(ObservedState.Running);
        view.Observation.Pid.ShouldBe(pid);
        view.Stats!.RxPackets.ShouldBeGreaterThan(0UL, "its tap counts the exchange");
        Lab.Host.Lab.Guard.All().Single(p => p.Port == UnikernelBackend.TapName(pooledId)).Comment.ShouldEndWith(" " + address, customMessage: "the claim allows its address");
        view.Stats.SpoofedFramesDropped.ShouldBe(0UL, "an honest guest's port drops nothing");
        Output.WriteLine($"warm guest {record.Id} pid {pid} at {address}: private memory {view.Stats.MemoryBytes / 1024} KiB");

        await Lab.Instances.RemoveAsync(record);
        HostState.IsGone(pid).ShouldBeTrue();
        HostState.LabLinks(Lab.LabName).ShouldNotContain("lnfuk");
        Lab.Host.Lab.Guard.All().ShouldNotContain(p => p.Port == UnikernelBackend.TapName(pooledId), "the tap's guard goes with it");
        Lab.Host.Cgroups.ListChildren(Lab.CgroupParent).ShouldBeEmpty();
        Directory.Exists(Lab.RunDirectory(record.Id)).ShouldBeFalse();
    }

    /// <summary>The bridge a tap is a port of, read in the lab namespace.</summary>
    private string MasterOf(string id)
    {
        var r = HostState.Run("ip", ["-n", Lab.LabName, "-o", "link", "show", UnikernelBackend.TapName(id)]);
        var words = r.Stdout.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var at = Array.IndexOf(words, "master");
        return at >= 0 ? words[at + 1] : throw new InvalidOperationException($"no master in: {r}");
    }

    [Fact]
    public async Task A_warm_tap_waits_on_the_last_claimants_segment_and_moves_when_another_tenant_claims_it()
    {
        RequirePool();
        Backend.WarmPool.Refill(1).ShouldBe(1);
        var a = await Lab.RunAsync(Echo("sptseg-a", tenant: "team-a"));
        var bridgeA = MasterOf(a.Id);
        bridgeA.ShouldNotBe(LightNfv.Host.Network.LabNetwork.BridgeName, "team-a has its own segment");

        // The next warm guest waits where the last claim went, so a claim of the same tenant moves nothing.
        Backend.WarmPool.Refill(1).ShouldBe(1);
        var (pooledId, _) = PooledTenders().Single(p => p.Id != a.Id);
        MasterOf(pooledId).ShouldBe(bridgeA);

        // Claimed by another tenant (the default one), it moves to that tenant's bridge and answers there.
        var other = await Lab.RunAsync(Echo("sptseg-default"));
        other.Id.ShouldBe(pooledId);
        MasterOf(other.Id).ShouldBe(LightNfv.Host.Network.LabNetwork.BridgeName);
        Exchange(IPAddress.Parse(other.Address!), 7, "moved").ShouldBe("moved");
        Exchange(IPAddress.Parse(a.Address!), 7, "stayed").ShouldBe("stayed");

        await Lab.Instances.RemoveAsync(other);
        await Lab.Instances.RemoveAsync(a);
        PooledTenders().ShouldBeEmpty();
        HostState.LabLinks(Lab.LabName).ShouldNotContain("lnfuk");
    }

    [Fact]
    public async Task A_claim_the_pool_does_not_fit_takes_the_pooled_guest_down_and_starts_cold()
    {
        RequirePool();
        Backend.WarmPool.Refill(1).ShouldBe(1);
        var (pooledId, pid) = PooledTenders().ShouldHaveSingleItem();
        var record = await Lab.RunAsync(Echo("sptunfit", memoryMiB: 32));
        record.Id.ShouldBe(pooledId);
        HostState.IsGone(pid).ShouldBeTrue("the 64 MiB guest does not serve a 32 MiB instance");
        record.Facts.Process.ShouldNotBeNull().Pid.ShouldNotBe(pid);
        Exchange(IPAddress.Parse(record.Address!), 7, "cold").ShouldBe("cold");
        await Lab.Instances.RemoveAsync(record);
        PooledTenders().ShouldBeEmpty();
    }

    [Fact]
    public void A_warm_guest_that_reads_its_control_FIFO_with_another_size_dies_with_the_call_named()
    {
        RequirePool();
        var address = Lab.Address(71);
        var mac = NetworkAttachment.MacFor(address);
        Directory.CreateDirectory(Lab.StateDirectory);
        var log = Path.Combine(Lab.StateDirectory, "claimread.log");
        var control = Path.Combine(Lab.StateDirectory, "claimread.fifo");
        ProcessIdentity tender;
        using (var tap = Lab.Host.Lab.CreateTap("lnfvsptcr", null, mac, vnetHeader: true, nonBlocking: true))
        {
            tender = NamespacedSpawner.SpawnDetached(SptTender.Path, SptTender.WarmArguments(GuestImages.SptFault, 16UL << 20, mac, control, []), log, [tap.Descriptor.Value]);
        }
        try
        {
            Poll.Until(() => SptTender.Parked(tender.Pid), TimeSpan.FromSeconds(5)).ShouldBeTrue(File.Exists(log) ? File.ReadAllText(log) : "no log");
            SptTender.Claim(control, address, Lab.Host.Lab.Pool.Gateway, 7, 97); // abi.h APP_CLAIM_READ_TEST
            ChildReaper.WaitForExitCode(tender.Pid, TimeSpan.FromSeconds(5)).ShouldBe(SptTender.ForbiddenSystemCallExit);
            var console = File.ReadAllText(log);
            Output.WriteLine(console);
            console.ShouldContain("reading the control FIFO with another size on purpose");
            console.ShouldContain("seccomp: forbidden system call 0", customMessage: "read(2) is call 0");
            console.ShouldNotContain("the read returned");
        }
        finally
        {
            if (tender.IsAlive)
            {
                ProcessSignals.Send(tender, 9);
            }
            ChildReaper.Reap(tender, TimeSpan.FromSeconds(2));
            Lab.Host.Lab.DeleteTap("lnfvsptcr", null);
        }
        HostState.LabLinks(Lab.LabName).ShouldNotContain("lnfvsptcr", customMessage: "the tap went with the tender");
    }

    [Fact]
    public async Task A_pooled_guest_that_died_is_replaced_by_a_cold_start_under_the_same_id_and_leaves_nothing()
    {
        RequirePool();
        Backend.WarmPool.Refill(1).ShouldBe(1);
        var (pooledId, pid) = PooledTenders().ShouldHaveSingleItem();
        var tender = ProcessIdentity.Of(pid).ShouldNotBeNull();
        ProcessSignals.Send(tender, 9); // killed from outside while it waits in the pool
        Poll.Until(() => !tender.IsAlive, TimeSpan.FromSeconds(5)).ShouldBeTrue();

        var record = await Lab.RunAsync(Echo("sptdead"));
        record.Id.ShouldBe(pooledId);
        var cold = record.Facts.Process.ShouldNotBeNull().Pid;
        cold.ShouldNotBe(pid);
        HostState.IsGone(pid).ShouldBeTrue("the dead tender is reaped");
        File.ReadAllText(Lab.ConsoleLog(record.Id)).ShouldContain("the warm guest was gone at its claim");
        File.Exists(Path.Combine(Lab.RunDirectory(record.Id), SptTender.ControlFileName)).ShouldBeFalse();
        Exchange(IPAddress.Parse(record.Address!), 7, "again").ShouldBe("again");
        await Lab.Instances.RemoveAsync(record);
        HostState.IsGone(cold).ShouldBeTrue();
        HostState.LabLinks(Lab.LabName).ShouldNotContain("lnfuk");
        Lab.Host.Cgroups.ListChildren(Lab.CgroupParent).ShouldBeEmpty();
    }

    [Fact]
    public async Task The_pools_guests_are_gone_after_down_and_a_lost_marker_makes_an_orphan_the_sweep_removes()
    {
        RequirePool();
        Backend.WarmPool.Refill(3).ShouldBe(3);
        var pooled = PooledTenders();
        pooled.Count.ShouldBe(3);
        HostState.LabLinks(Lab.LabName).ShouldContain("lnfuk");

        // A guest whose marker is lost (a crash while it was made) is an orphan, and the sweep removes all of it.
        var (lostId, lostPid) = pooled[0];
        File.Delete(Path.Combine(Lab.StateDirectory, "warm", "spt", lostId));
        var orphan = Lab.Instances.HostObjects.Orphans([]).ShouldHaveSingleItem();
        orphan.Id.ShouldBe(lostId);
        Lab.Instances.HostObjects.Remove(orphan).ShouldBeEmpty();
        HostState.IsGone(lostPid).ShouldBeTrue();
        Lab.Host.Cgroups.Open(Lab.CgroupPath(lostId)).ShouldBeNull();
        Directory.Exists(Lab.RunDirectory(lostId)).ShouldBeFalse();
        Backend.WarmPool.Available.ShouldBe(2);

        var removed = await Lab.Instances.DownAsync();
        Output.WriteLine(string.Join("\n", removed));
        removed.ShouldContain("2 warm unikernel shell(s)");
        foreach (var (id, pid) in pooled)
        {
            HostState.IsGone(pid).ShouldBeTrue($"tender {pid} of {id}");
            Directory.Exists(Lab.RunDirectory(id)).ShouldBeFalse();
        }
        Backend.WarmPool.Available.ShouldBe(0);
        HostState.ZombieChildren(SptTender.ExecutableName).ShouldBeEmpty("every tender is reaped");
        Lab.Host.Cgroups.ListChildren(Lab.CgroupParent).ShouldBeEmpty();
    }
}
