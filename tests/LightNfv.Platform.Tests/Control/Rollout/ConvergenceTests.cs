using LightNfv.Core.Instances;
using LightNfv.Platform.Control;
using LightNfv.Platform.Store;
using LightNfv.Platform.Tests.Fakes;

namespace LightNfv.Platform.Tests.Control.Rollout;

/// <summary>Convergence on the fake backend: up to N replicas, down again, a rolling update, and a failed update rolled back.</summary>
public sealed class ConvergenceTests : IAsyncLifetime
{
    private readonly ControlPlane _cp = new();

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => _cp.DisposeAsync();

    private async Task<OperationRecord> Instantiate(int replicas)
    {
        _cp.Lifecycle.AddDescriptor(ControlPlane.Yaml());
        var op = _cp.Lifecycle.Instantiate(VnfLifecycle.DefaultTenant, "web", replicas, null);
        await _cp.ConvergeAsync();
        return _cp.Store.Operation(op.Id)!;
    }

    [Fact]
    public async Task Instantiate_converges_to_the_desired_replicas_and_completes()
    {
        var op = await Instantiate(3);
        op.State.ShouldBe(OperationState.Completed);
        _cp.Replicas().Count.ShouldBe(3);
        _cp.Replicas().ShouldAllBe(r => r.State == InstanceState.Running && r.Version == 1);
        _cp.Backend.Instances.Count.ShouldBe(3);
        _cp.Replicas().ShouldAllBe(r => _cp.Watcher.IsWatched(r.Id));
    }

    [Fact]
    public async Task Scale_down_removes_the_newest_and_records_both_counts()
    {
        await Instantiate(3);
        var newest = _cp.Replicas().OrderByDescending(r => r.CreatedAt).First();
        var op = _cp.Lifecycle.Scale(VnfLifecycle.DefaultTenant, "web", 1);
        op.Parameters["previousReplicas"].ShouldBe("3");
        await _cp.ConvergeAsync();
        _cp.Store.Operation(op.Id)!.State.ShouldBe(OperationState.Completed);
        _cp.Replicas().Count.ShouldBe(1);
        _cp.Backend.Instances.Count.ShouldBe(1);
        _cp.Backend.Instances.ContainsKey(newest.Id).ShouldBeFalse();
    }

    [Fact]
    public async Task Rolling_update_replaces_every_replica_with_the_new_version()
    {
        await Instantiate(2);
        var before = _cp.Replicas().Select(r => r.Id).ToHashSet();
        _cp.Lifecycle.AddDescriptor(ControlPlane.Yaml(memoryMiB: 48));
        var op = _cp.Lifecycle.Update(VnfLifecycle.DefaultTenant, "web", null);
        var passes = await _cp.ConvergeAsync();
        _cp.Store.Operation(op.Id)!.State.ShouldBe(OperationState.Completed);
        passes.ShouldBeGreaterThan(1, "one old replica goes per pass, after a new one answers");
        var after = _cp.Replicas();
        after.Count.ShouldBe(2);
        after.ShouldAllBe(r => r.Version == 2 && r.State == InstanceState.Running && !before.Contains(r.Id));
        _cp.Backend.Instances.Values.ShouldAllBe(i => i.Memory == "48");
    }

    [Fact]
    public async Task Failed_update_is_rolled_back_to_the_previous_version()
    {
        await Instantiate(2);
        var before = _cp.Replicas().Select(r => r.Id).ToHashSet();
        _cp.Lifecycle.AddDescriptor(ControlPlane.Yaml(memoryMiB: 48));
        _cp.Backend.FailCreates = "no room for version 2";
        var op = _cp.Lifecycle.Update(VnfLifecycle.DefaultTenant, "web", null);
        await _cp.ConvergeAsync();

        var update = _cp.Store.Operation(op.Id)!;
        update.State.ShouldBe(OperationState.RolledBack);
        update.Error.ShouldNotBeNull().ShouldContain("no room for version 2");
        _cp.Store.Deployment(VnfLifecycle.DefaultTenant, "web")!.Version.ShouldBe(1);
        var rollback = _cp.Store.Operations().Single(o => o.Kind == OperationKinds.Rollback);
        rollback.State.ShouldBe(OperationState.Completed);
        rollback.Parameters["of"].ShouldBe(op.Id);
        _cp.Replicas().Select(r => r.Id).ToHashSet().SetEquals(before).ShouldBeTrue("the old replicas keep serving");
    }

    [Fact]
    public async Task Update_whose_new_replica_never_answers_is_rolled_back_and_the_new_replica_removed()
    {
        await Instantiate(1);
        _cp.Lifecycle.AddDescriptor(ControlPlane.Yaml(memoryMiB: 48, health: "  health:\n    probe: tcp:5201"));
        _cp.Readiness.Answers = false;
        var op = _cp.Lifecycle.Update(VnfLifecycle.DefaultTenant, "web", null);
        await _cp.ConvergeAsync();
        _cp.Store.Operation(op.Id)!.State.ShouldBe(OperationState.RolledBack);
        await _cp.Reconciler.ReconcileOnceAsync();
        _cp.Replicas().ShouldHaveSingleItem().Version.ShouldBe(1);
        _cp.Backend.Instances.Count.ShouldBe(1);
    }

    [Fact]
    public async Task Terminate_removes_every_replica()
    {
        await Instantiate(2);
        var op = _cp.Lifecycle.Terminate(VnfLifecycle.DefaultTenant, "web");
        await _cp.ConvergeAsync();
        _cp.Store.Operation(op.Id)!.State.ShouldBe(OperationState.Completed);
        _cp.Replicas().ShouldBeEmpty();
        _cp.Backend.Instances.ShouldBeEmpty();
    }
}
