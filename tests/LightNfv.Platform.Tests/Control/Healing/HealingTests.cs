using LightNfv.Core.Instances;
using LightNfv.Platform.Alerts;
using LightNfv.Platform.Control;
using LightNfv.Platform.Store;
using LightNfv.Platform.Tests.Fakes;

namespace LightNfv.Platform.Tests.Control.Healing;

/// <summary>Heals on the fake backend and a virtual clock: restart on exit, the cooldown, the budget, an operator's reset, a failing probe.</summary>
public sealed class HealingTests : IAsyncLifetime
{
    private readonly ControlPlane _cp = new();

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => _cp.DisposeAsync();

    private const string Health = "  health:\n    probe: tcp:5201\n    interval: 1s\n    failureThreshold: 2\n    cooldown: 10s\n    budget: 2";

    private async Task<InstanceRecord> OneReplica()
    {
        _cp.Lifecycle.AddDescriptor(ControlPlane.Yaml(health: Health));
        _cp.Lifecycle.Instantiate(VnfLifecycle.DefaultTenant, "web", 1, null);
        await _cp.ConvergeAsync();
        return _cp.Replicas().Single();
    }

    private int PidOf(string id) => _cp.Backend.Instances[id].Pid;

    private List<LightNfv.Platform.Events.PlatformEvent> Alerts(string kind) => _cp.Store.Alerts().Where(a => a.Kind == kind).ToList();

    [Fact]
    public async Task An_exited_replica_is_restarted_in_place_and_the_heal_recorded()
    {
        var r = await OneReplica();
        var pid = PidOf(r.Id);
        _cp.Backend.Exit(r.Id);
        await _cp.Reconciler.ReconcileOnceAsync();

        _cp.Backend.Instances[r.Id].State.ShouldBe(Core.Backends.ObservedState.Running);
        PidOf(r.Id).ShouldNotBe(pid);
        _cp.Store.Get(r.Id)!.State.ShouldBe(InstanceState.Running);
        _cp.Watcher.IsWatched(r.Id).ShouldBeTrue("the restarted process is watched again");
        _cp.Reconciler.HealCount.ShouldBe(1);
        var heal = _cp.Store.Operations().Single(o => o.Kind == OperationKinds.Heal);
        heal.State.ShouldBe(OperationState.Completed);
        heal.Parameters["instanceId"].ShouldBe(r.Id);
        heal.Parameters["action"].ShouldBe("restart");
        Alerts(AlertKinds.InstanceHealed).ShouldHaveSingleItem();
    }

    [Fact]
    public async Task A_second_exit_waits_for_the_cooldown_and_the_budget_then_leaves_it_failed()
    {
        var r = await OneReplica();
        _cp.Backend.Exit(r.Id);
        await _cp.Reconciler.ReconcileOnceAsync();
        _cp.Reconciler.HealCount.ShouldBe(1);

        // Within the 10 s cooldown: not healed, however many passes run.
        _cp.Backend.Exit(r.Id);
        _cp.Time.Advance(TimeSpan.FromSeconds(9));
        await _cp.Reconciler.ReconcileOnceAsync();
        await _cp.Reconciler.ReconcileOnceAsync();
        _cp.Reconciler.HealCount.ShouldBe(1);
        _cp.Backend.Instances[r.Id].State.ShouldBe(Core.Backends.ObservedState.Exited);

        _cp.Time.Advance(TimeSpan.FromSeconds(1));
        await _cp.Reconciler.ReconcileOnceAsync();
        _cp.Reconciler.HealCount.ShouldBe(2);

        // Budget 2 per window: the third exit leaves the replica failed and says so.
        _cp.Backend.Exit(r.Id);
        _cp.Time.Advance(TimeSpan.FromSeconds(10));
        await _cp.Reconciler.ReconcileOnceAsync();
        _cp.Reconciler.HealCount.ShouldBe(2);
        var failed = _cp.Store.Get(r.Id)!;
        failed.State.ShouldBe(InstanceState.Failed);
        failed.Error.ShouldNotBeNull().ShouldContain("heal budget of 2");
        Alerts(AlertKinds.QuotaReached).ShouldHaveSingleItem();

        // An operator's heal resets the budget: a failed replica is recreated.
        _cp.Reconciler.RequestHeal(r.Id, "heal requested");
        await _cp.Reconciler.ReconcileOnceAsync();
        _cp.Reconciler.HealCount.ShouldBe(3);
        _cp.Replicas().ShouldHaveSingleItem().State.ShouldBe(InstanceState.Running);
    }

    [Fact]
    public async Task A_replica_failing_its_probe_threshold_is_healed()
    {
        var r = await OneReplica();
        var pid = PidOf(r.Id);
        _cp.Liveness.Failing[r.Id] = "no handshake within 1000 ms";
        await _cp.Reconciler.ProbeOnceAsync(); // seen: first probe one interval later
        _cp.Time.Advance(TimeSpan.FromSeconds(1));
        await _cp.Reconciler.ProbeOnceAsync(); // first failure
        await _cp.Reconciler.ReconcileOnceAsync();
        _cp.Reconciler.HealCount.ShouldBe(0, "one failure is under the threshold of 2");
        _cp.Time.Advance(TimeSpan.FromSeconds(1));
        await _cp.Reconciler.ProbeOnceAsync(); // second: threshold reached
        _cp.Liveness.Failing.Clear();
        await _cp.Reconciler.ReconcileOnceAsync();
        _cp.Reconciler.HealCount.ShouldBe(1);
        PidOf(r.Id).ShouldNotBe(pid);
        _cp.Store.Operations().Single(o => o.Kind == OperationKinds.Heal).Parameters["reason"].ShouldContain("failed 2 time(s) in a row");
    }

    [Fact]
    public async Task A_stale_exit_report_of_a_running_replica_is_ignored()
    {
        var r = await OneReplica();
        var pid = PidOf(r.Id);
        _cp.Backend.Exit(r.Id);
        await _cp.Reconciler.ReconcileOnceAsync();
        // The report of an exit the heal already handled (the replica runs): nothing happens.
        var watcherExit = _cp.Backend.Instances[r.Id];
        watcherExit.State.ShouldBe(Core.Backends.ObservedState.Running);
        _cp.Time.Advance(TimeSpan.FromMinutes(1));
        await _cp.Reconciler.ReconcileOnceAsync();
        _cp.Reconciler.HealCount.ShouldBe(1);
        PidOf(r.Id).ShouldNotBe(pid);
    }
}
