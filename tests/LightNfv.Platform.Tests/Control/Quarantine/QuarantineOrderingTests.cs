using System.Net;
using LightNfv.Core.Instances;
using LightNfv.Platform.Control;
using LightNfv.Platform.Tests.Fakes;

namespace LightNfv.Platform.Tests.Control.Quarantine;

/// <summary>
/// A quarantine takes its replica's gate, not the reconcile pass lock (issue 17 item 5): it completes while a pass is
/// stuck elsewhere (here in a readiness probe), and when it returns the replica is frozen, stored quarantined and out
/// of its service set; the pass that finishes afterwards neither puts it back in the set nor removes it.
/// </summary>
public sealed class QuarantineOrderingTests : IAsyncLifetime
{
    private readonly ControlPlane _cp = new();

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        _cp.Readiness.Hold?.Set();
        await _cp.DisposeAsync();
    }

    [Fact]
    public async Task A_quarantine_does_not_wait_for_a_pass_and_the_pass_does_not_undo_it()
    {
        _cp.Lifecycle.AddDescriptor(ControlPlane.Yaml(health: "  network:\n    ports: [5201]"));
        _cp.Lifecycle.Instantiate(VnfLifecycle.DefaultTenant, "web", 2, null);
        await _cp.ConvergeAsync();
        await _cp.Reconciler.ReconcileOnceAsync();
        var victim = _cp.Replicas()[0];
        var address = IPAddress.Parse(victim.Address!);
        _cp.Reconciler.Services.Current.Single().Backends.ShouldContain(address);

        // A pass that scales out, then hangs probing its new replica, holding the pass lock.
        using var hold = new ManualResetEventSlim();
        _cp.Readiness.Hold = hold;
        _cp.Lifecycle.Scale(VnfLifecycle.DefaultTenant, "web", 3);
        var pass = Task.Run(() => _cp.Reconciler.ReconcileOnceAsync());
        _cp.Readiness.Entered.Wait(TimeSpan.FromMinutes(1)).ShouldBeTrue("the pass reaches its readiness probe");

        var outcome = await _cp.Reconciler.QuarantineAsync(victim);
        pass.IsCompleted.ShouldBeFalse("the quarantine returned while the pass still held its lock");
        outcome.Record.State.ShouldBe(InstanceState.Quarantined);
        _cp.Store.Get(victim.Id)!.State.ShouldBe(InstanceState.Quarantined);
        _cp.Backend.Frozen.ShouldContainKey(victim.Id);
        _cp.Reconciler.Services.Current.Single().Backends.ShouldNotContain(address, "out of the service address when the call returns");

        hold.Set();
        _cp.Readiness.Hold = null;
        await pass;
        _cp.Reconciler.Services.Current.Single().Backends.ShouldNotContain(address, "the pass chose its sets before the quarantine, yet applies them without it");
        await _cp.ConvergeAsync();
        await _cp.Reconciler.ReconcileOnceAsync();
        _cp.Store.Get(victim.Id)!.State.ShouldBe(InstanceState.Quarantined, "held for inspection, not removed or healed");
        _cp.Replicas().Count(r => r.State == InstanceState.Running).ShouldBe(3, "the VNF still serves with as many as desired");
        _cp.Reconciler.Services.Current.Single().Backends.ShouldNotContain(address);
    }
}
