using LightNfv.Core.Backends;
using LightNfv.Platform.Alerts;
using LightNfv.Platform.Control;
using LightNfv.Platform.Store;
using LightNfv.Platform.Tests.Fakes;

namespace LightNfv.Platform.Tests.Control.Lifecycle;

/// <summary>A requested heal heals what is unhealthy now (or all when told), and raises instance.healed, never instance.failed.</summary>
public sealed class RequestedHealTests : IAsyncLifetime
{
    private readonly ControlPlane _cp = new();

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => _cp.DisposeAsync();

    private async Task<IReadOnlyList<InstanceRecord>> Three()
    {
        _cp.Lifecycle.AddDescriptor(ControlPlane.Yaml());
        _cp.Lifecycle.Instantiate(VnfLifecycle.DefaultTenant, "web", 3, null);
        await _cp.ConvergeAsync();
        return _cp.Replicas();
    }

    private int Alerts(string kind) => _cp.Store.Alerts().Count(a => a.Kind == kind);

    [Fact]
    public async Task Heal_restarts_only_the_unhealthy_replica_and_raises_healed_not_failed()
    {
        var replicas = await Three();
        var pids = replicas.ToDictionary(r => r.Id, r => _cp.Backend.Instances[r.Id].Pid);
        var dead = replicas[1];
        _cp.Backend.Exit(dead.Id, notify: false); // not yet noticed by the watcher: only the heal request finds it

        var op = _cp.Lifecycle.Heal(VnfLifecycle.DefaultTenant, "web", null);
        op.Parameters["instanceId"].ShouldBe(dead.Id);
        await _cp.ConvergeAsync();

        _cp.Backend.Instances[dead.Id].State.ShouldBe(ObservedState.Running);
        _cp.Backend.Instances[dead.Id].Pid.ShouldNotBe(pids[dead.Id]);
        foreach (var healthy in replicas.Where(r => r.Id != dead.Id))
        {
            _cp.Backend.Instances[healthy.Id].Pid.ShouldBe(pids[healthy.Id], "a healthy replica is left alone");
        }
        _cp.Store.Operation(op.Id)!.State.ShouldBe(OperationState.Completed);
        Alerts(AlertKinds.InstanceHealed).ShouldBe(1);
        Alerts(AlertKinds.InstanceFailed).ShouldBe(0);
    }

    [Fact]
    public async Task Heal_with_nothing_unhealthy_completes_at_once_and_says_so()
    {
        var replicas = await Three();
        var pids = replicas.ToDictionary(r => r.Id, r => _cp.Backend.Instances[r.Id].Pid);

        var op = _cp.Lifecycle.Heal(VnfLifecycle.DefaultTenant, "web", null);
        op.State.ShouldBe(OperationState.Completed);
        op.Parameters["reason"].ShouldContain("nothing unhealthy");
        await _cp.ConvergeAsync();
        replicas.ShouldAllBe(r => _cp.Backend.Instances[r.Id].Pid == pids[r.Id]);
        Alerts(AlertKinds.InstanceHealed).ShouldBe(0);
    }

    [Fact]
    public async Task Heal_all_restarts_healthy_replicas_too_without_failed_alerts()
    {
        var replicas = await Three();
        var pids = replicas.ToDictionary(r => r.Id, r => _cp.Backend.Instances[r.Id].Pid);

        _cp.Lifecycle.Heal(VnfLifecycle.DefaultTenant, "web", null, all: true);
        await _cp.ConvergeAsync();
        replicas.ShouldAllBe(r => _cp.Backend.Instances[r.Id].Pid != pids[r.Id]);
        Alerts(AlertKinds.InstanceHealed).ShouldBe(3);
        Alerts(AlertKinds.InstanceFailed).ShouldBe(0);
    }
}
