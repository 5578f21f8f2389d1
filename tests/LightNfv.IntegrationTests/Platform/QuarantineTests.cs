using System.Net;
using LightNfv.Core.Errors;
using LightNfv.Core.Instances;
using LightNfv.Host.Network;
using LightNfv.IntegrationTests.Infrastructure;
using LightNfv.Platform.Alerts;
using LightNfv.Platform.Audit;
using LightNfv.Platform.Store;

namespace LightNfv.IntegrationTests.Platform;

/// <summary>Quarantine (InstanceService.Quarantine.cs) on real process instances: frozen, cut, released, removed.</summary>
public sealed class QuarantineTests(ITestOutputHelper output) : IntegrationTest(output)
{
    /// <summary>An iperf3 server beside a busy loop: it answers TCP and burns CPU, so a freeze shows on both.</summary>
    private static string Busy(string name) => Descriptors.Command(name, ["busybox", "sh", "-c", "iperf3 -s -p 5201 & while :; do :; done"]);

    private ulong Cpu(InstanceRecord r) => Lab.Host.Cgroups.Open(Lab.CgroupPath(r.Id))!.ReadStats().CpuNanoseconds;

    private void RequireFreezer() => Assert.SkipWhen(
        Lab.Host.Cgroups.Version == "v1" && !LightNfv.Host.Cgroups.MountInfo.Read().Any(m => m.FsType == "cgroup" && m.SuperOptionList.Contains("freezer")),
        "needs the cgroup v1 freezer hierarchy (quarantine freezes through it)");

    [Fact]
    public async Task Quarantined_instance_answers_nothing_and_uses_no_cpu_then_release_restores_it()
    {
        RequireRoot();
        RequireFreezer();
        var r = await Lab.RunAsync(Busy("suspect"));
        var address = IPAddress.Parse(r.Address!);
        Lab.TcpConnect(address, 5201).ShouldBeNull("it answers before the quarantine");

        var outcome = await Lab.Instances.QuarantineAsync(r);
        Output.WriteLine($"quarantined by {outcome.Freeze}, port {outcome.Port}, in {outcome.Elapsed.TotalMilliseconds:0.00} ms");
        outcome.Record.State.ShouldBe(InstanceState.Quarantined);
        Lab.Store.Get(r.Id)!.State.ShouldBe(InstanceState.Quarantined);
        outcome.Freeze.ShouldContain("freezer");
        outcome.Port.ShouldBe(r.Facts.HostLink);
        PortSwitch.IsUp(Lab.Host.Lab, r.Facts.HostLink!).ShouldBe(false);
        var cgroup = Lab.Host.Cgroups.Open(Lab.CgroupPath(r.Id))!;
        cgroup.IsFrozen.ShouldBeTrue();
        cgroup.ReadStats().MemoryBytes.ShouldBeGreaterThan(0UL, "its memory is kept for inspection");

        // A busy loop would use about 300 ms of CPU in 300 ms; frozen, not a microsecond.
        var before = Cpu(r);
        await Task.Delay(300);
        Cpu(r).ShouldBe(before, "a frozen instance runs nothing");
        Lab.TcpConnect(address, 5201, TimeSpan.FromSeconds(1)).ShouldNotBeNull("a quarantined instance answers nothing, not even the kernel's handshake");

        var released = await Lab.Instances.ReleaseAsync(outcome.Record);
        released.State.ShouldBe(InstanceState.Running);
        cgroup.IsFrozen.ShouldBeFalse();
        PortSwitch.IsUp(Lab.Host.Lab, r.Facts.HostLink!).ShouldBe(true);
        Lab.TcpConnect(address, 5201).ShouldBeNull("released, it answers again");
        before = Cpu(r);
        await Task.Delay(300);
        Cpu(r).ShouldBeGreaterThan(before, "released, it runs again where it stopped");
        (r.Facts.Process?.Pid).ShouldBe(Lab.Store.Get(r.Id)!.Facts.Process?.Pid, "the same process, never restarted");

        await Lab.Instances.RemoveAsync(r.Id);
    }

    [Fact]
    public async Task Quarantine_writes_an_alert_an_event_and_an_audit_record_for_both_ends()
    {
        RequireRoot();
        RequireFreezer();
        var r = await Lab.RunAsync(Descriptors.Iperf3("audited"));
        await Lab.Instances.QuarantineAsync(r);
        await Lab.Instances.ReleaseAsync(r);

        var alerts = Lab.Store.Alerts().Where(a => a.Instance == r.Id).Select(a => a.NotificationType).ToList();
        alerts.ShouldBe([AlertKinds.InstanceQuarantined, AlertKinds.InstanceReleased]);
        Lab.Store.Alerts().First(a => a.NotificationType == AlertKinds.InstanceQuarantined).Severity.ShouldBe("warning");
        var audit = Lab.Store.AuditRecords().Where(a => a.Target == "instance/audited").Select(a => (a.Action, a.Result)).ToList();
        audit.ShouldContain((AuditActions.InstanceQuarantine, AuditRecord.Ok));
        audit.ShouldContain((AuditActions.InstanceRelease, AuditRecord.Ok));
        await Lab.Instances.RemoveAsync(r.Id);
    }

    [Fact]
    public async Task Removing_a_quarantined_instance_leaves_nothing_behind()
    {
        RequireRoot();
        RequireFreezer();
        var r = await Lab.RunAsync(Busy("doomed"));
        await Lab.Instances.QuarantineAsync(r);
        var pid = r.Facts.Process!.Value.Pid;

        await Lab.Instances.RemoveAsync(r.Id);

        Lab.Store.Get(r.Id).ShouldBeNull();
        HostState.CgroupDirectories(Lab.CgroupPath(r.Id)).ShouldBeEmpty("every hierarchy's directory, the freezer's included");
        Directory.Exists($"/proc/{pid}").ShouldBeFalse("the frozen process was killed, not left frozen");
        LightNfv.Host.Namespaces.NetNamespace.Exists(Lab.InstanceNamespace(r.Id)).ShouldBeFalse();
        Lab.ReapSupervisorZombies();
    }

    [Fact]
    public async Task Quarantine_and_release_in_the_wrong_state_are_refused_and_change_nothing()
    {
        RequireRoot();
        RequireFreezer();
        var r = await Lab.RunAsync(Descriptors.Iperf3("wrong"));
        var e = await Should.ThrowAsync<LightNfvException>(() => Lab.Instances.ReleaseAsync(r));
        e.Kind.ShouldBe(ErrorKind.State);
        e.Message.ShouldContain("not quarantined");

        await Lab.Instances.StopAsync(r.Id);
        e = await Should.ThrowAsync<LightNfvException>(() => Lab.Instances.QuarantineAsync(r));
        e.Kind.ShouldBe(ErrorKind.State);
        e.Message.ShouldContain("only a running instance");
        Lab.Store.Get(r.Id)!.State.ShouldBe(InstanceState.Stopped);
        PortSwitch.IsUp(Lab.Host.Lab, r.Facts.HostLink!).ShouldBe(true, "a refused quarantine cut nothing");

        await Lab.Instances.StartAsync(r.Id);
        var q = await Lab.Instances.QuarantineAsync(Lab.Store.Get(r.Id)!);
        e = await Should.ThrowAsync<LightNfvException>(() => Lab.Instances.StopAsync(r.Id));
        e.Message.ShouldContain("lightnfv release");
        e = await Should.ThrowAsync<LightNfvException>(() => Lab.Instances.QuarantineAsync(q.Record));
        e.Message.ShouldContain("already quarantined");
        await Lab.Instances.RemoveAsync(r.Id);
    }
}
