using System.Net;
using LightNfv.Core.Errors;
using LightNfv.Core.Instances;
using LightNfv.Platform.Control;
using LightNfv.Platform.Lifecycle;
using LightNfv.Platform.Tests.Fakes;

namespace LightNfv.Platform.Tests.Control.Service;

/// <summary>
/// `stop|rm --detach` of a VNF's replica (issue 14): it leaves the VNF as a pod relabelled out of its ReplicaSet does:
/// standalone, out of the service address, and the VNF gets a replacement; without the flag the guard refuses, naming it.
/// </summary>
public sealed class DetachTests : IAsyncLifetime
{
    private readonly ControlPlane _cp = new();

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => _cp.DisposeAsync();

    [Fact]
    public async Task A_detached_replica_is_standalone_and_the_vnf_gets_a_replacement()
    {
        _cp.Lifecycle.AddDescriptor(ControlPlane.Yaml());
        _cp.Lifecycle.Instantiate(VnfLifecycle.DefaultTenant, "web", 2, null);
        await _cp.ConvergeAsync();
        await _cp.Reconciler.ReconcileOnceAsync();
        var victim = _cp.Replicas()[0];

        var detached = await _cp.Reconciler.DetachAsync(victim);
        detached.Deployment.ShouldBeNull();
        detached.State.ShouldBe(InstanceState.Running, "detaching does not stop it; the action that follows does");
        await _cp.Reconciler.ReconcileOnceAsync();

        _cp.Replicas().Count.ShouldBe(2, "the VNF still wants two");
        _cp.Replicas().ShouldNotContain(r => r.Id == victim.Id);
        _cp.Store.Get(victim.Id).ShouldNotBeNull();
        _cp.Reconciler.Services.Current.Single().Backends.ShouldNotContain(IPAddress.Parse(victim.Address!));
        _cp.Store.Events().ShouldContain(e => e.InstanceId == victim.Id && e.Kind == "instance.detached");
    }

    [Fact]
    public async Task Without_a_daemon_the_guard_refuses_a_replica_unless_told_to_detach_it()
    {
        _cp.Lifecycle.AddDescriptor(ControlPlane.Yaml());
        _cp.Lifecycle.Instantiate(VnfLifecycle.DefaultTenant, "web", 1, null);
        await _cp.ConvergeAsync();
        var replica = _cp.Replicas().Single();
        var e = Should.Throw<LightNfvException>(() => ManagedReplicaGuard.Standalone(_cp.Store, replica, "stopped"));
        e.Kind.ShouldBe(ErrorKind.Conflict);
        e.Message.ShouldContain("--detach");
        ManagedReplicaGuard.Standalone(_cp.Store, replica, "stopped", detach: true).Deployment.ShouldBeNull();
    }
}
