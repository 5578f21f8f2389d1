using System.Net;
using LightNfv.Core.Backends;
using LightNfv.Core.Descriptors;
using LightNfv.Core.Instances;
using LightNfv.Platform.Control;
using LightNfv.Platform.Store;
using LightNfv.Platform.Tests.Fakes;

namespace LightNfv.Platform.Tests.Control.Adoption;

/// <summary>Start-up on the fake backend: survivors re-adopted, dead ones healed, half-done ones and orphans removed.</summary>
public sealed class ReplicaAdoptionTests : IAsyncLifetime
{
    private readonly ControlPlane _cp = new();

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => _cp.DisposeAsync();

    private InstanceRecord Record(string id, InstanceState state, int octet)
    {
        var d = DescriptorParser.Parse(ControlPlane.Yaml());
        var r = _cp.Store.Reserve(id, d with { Metadata = d.Metadata with { Name = $"web-{id[..5]}" } }, _ => IPAddress.Parse($"10.72.0.{octet}"), new ReplicaOf("web", 1));
        return state == InstanceState.Creating ? r : _cp.Store.Update(id, state);
    }

    [Fact]
    public async Task Survivors_are_adopted_the_dead_healed_and_half_done_and_orphans_removed()
    {
        _cp.Lifecycle.AddDescriptor(ControlPlane.Yaml());
        var op = _cp.Lifecycle.Instantiate(VnfLifecycle.DefaultTenant, "web", 3, null);
        _cp.Store.FinishOperation(op.Id, OperationState.Completed);
        var survivor = Record("aaaaaaaaaaaa", InstanceState.Running, 2);
        _cp.Backend.Leave(survivor.Id);
        var dead = Record("bbbbbbbbbbbb", InstanceState.Running, 3);
        _cp.Backend.Leave(dead.Id, ObservedState.Exited);
        var halfDone = Record("cccccccccccc", InstanceState.Creating, 4);
        _cp.Backend.Leave(halfDone.Id, ObservedState.Stopped);
        _cp.Backend.Leave("dddddddddddd"); // on the host, in no record

        var report = _cp.Reconciler.Adopt();

        report.Adopted.ShouldBe(1);
        report.Healed.ShouldBe(1);
        report.HalfDoneRemoved.ShouldBe(1);
        report.OrphansRemoved.ShouldBe(1);
        _cp.Reconciler.Adoption.ShouldBe(report);
        _cp.Watcher.IsWatched(survivor.Id).ShouldBeTrue();
        _cp.Store.Get(halfDone.Id).ShouldBeNull();
        _cp.Backend.Instances.Keys.Order().ShouldBe([survivor.Id, dead.Id]);
        _cp.Orphans.LastRecorded.ShouldNotBeNull().ShouldBe([survivor.Id, dead.Id], ignoreOrder: true);

        // The first pass heals the dead replica in place and makes the third one the VNF still wants.
        await _cp.Reconciler.ReconcileOnceAsync();
        _cp.Backend.Instances[dead.Id].State.ShouldBe(ObservedState.Running);
        _cp.Replicas().Count.ShouldBe(3);
        _cp.Replicas().ShouldAllBe(r => r.State == InstanceState.Running);
        _cp.Reconciler.HealCount.ShouldBe(1);
    }

    [Fact]
    public void Instances_made_by_run_are_left_alone()
    {
        var d = DescriptorParser.Parse(ControlPlane.Yaml("solo"));
        var r = _cp.Store.Reserve("eeeeeeeeeeee", d, _ => IPAddress.Parse("10.72.0.9"), null);
        _cp.Backend.Leave(r.Id, ObservedState.Stopped);
        var report = _cp.Reconciler.Adopt();
        report.HalfDoneRemoved.ShouldBe(0);
        report.OrphansRemoved.ShouldBe(0);
        _cp.Store.Get(r.Id).ShouldNotBeNull();
    }
}
