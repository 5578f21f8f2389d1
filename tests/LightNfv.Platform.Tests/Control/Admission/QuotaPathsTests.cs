using LightNfv.Core.Errors;
using LightNfv.Core.Instances;
using LightNfv.Core.Tenants;
using LightNfv.Platform.Alerts;
using LightNfv.Platform.Control;
using LightNfv.Platform.Control.Admission;
using LightNfv.Platform.Tests.Fakes;

namespace LightNfv.Platform.Tests.Control.Admission;

/// <summary>
/// The quota on each admission path of the control plane (fake backend, real store): instantiate, scale-out, update,
/// heal by recreation. Each refusal comes before any side effect: no operation, no replica made or removed.
/// </summary>
public sealed class QuotaPathsTests : IAsyncLifetime
{
    private readonly ControlPlane _cp = new();

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => _cp.DisposeAsync();

    private const string Tenant = VnfLifecycle.DefaultTenant;

    private async Task Running(int replicas, string health = "")
    {
        _cp.Lifecycle.AddDescriptor(ControlPlane.Yaml(health: health));
        _cp.Lifecycle.Instantiate(Tenant, "web", replicas, null);
        await _cp.ConvergeAsync();
        _cp.Replicas().Count(r => r.State == InstanceState.Running).ShouldBe(replicas);
    }

    [Fact]
    public void Instantiate_over_the_quota_is_refused_before_any_operation()
    {
        _cp.Store.SetQuota(Tenant, new TenantQuota(Instances: 2));
        _cp.Lifecycle.AddDescriptor(ControlPlane.Yaml());
        var e = Should.Throw<QuotaExceededException>(() => _cp.Lifecycle.Instantiate(Tenant, "web", 3, null));
        e.Kind.ShouldBe(ErrorKind.Quota);
        e.Message.ShouldContain("limited to 2 instances (maxInstances) and uses 0; instantiating VNF 'web' with 3 replica(s) needs 3 more");
        _cp.Store.Operations().ShouldBeEmpty();
        _cp.Store.Deployments().ShouldBeEmpty();
    }

    [Fact]
    public async Task Scale_out_over_the_quota_is_refused_and_scale_in_is_not()
    {
        await Running(2);
        _cp.Store.SetQuota(Tenant, new TenantQuota(MemoryMiB: 160)); // two replicas of 64 MiB: room for none more
        var ops = _cp.Store.Operations().Count;
        Should.Throw<QuotaExceededException>(() => _cp.Lifecycle.Scale(Tenant, "web", 3)).Refusal.ShouldBe(
            new QuotaRefusal(Tenant, TenantResources.MemoryMiB, 160, 128, 64, "scaling VNF 'web' from 2 to 3 replicas"));
        _cp.Store.Operations().Count.ShouldBe(ops);
        _cp.Store.Deployment(Tenant, "web")!.Replicas.ShouldBe(2);
        _cp.Lifecycle.Scale(Tenant, "web", 1); // shrinking never needs room
        await _cp.ConvergeAsync();
        _cp.Replicas().ShouldHaveSingleItem();
    }

    [Fact]
    public async Task An_update_to_a_bigger_version_is_refused_when_the_end_state_does_not_fit()
    {
        await Running(2);
        _cp.Store.SetQuota(Tenant, new TenantQuota(Instances: 3, MemoryMiB: 300));
        _cp.Lifecycle.AddDescriptor(ControlPlane.Yaml(memoryMiB: 256));
        var e = Should.Throw<QuotaExceededException>(() => _cp.Lifecycle.Update(Tenant, "web", null));
        e.Refusal.Resource.ShouldBe(TenantResources.MemoryMiB);
        _cp.Store.Deployment(Tenant, "web")!.Version.ShouldBe(1);

        // The same update needs one replica's room while it surges: at the instance limit it is refused too.
        _cp.Store.SetQuota(Tenant, new TenantQuota(Instances: 2));
        _cp.Lifecycle.AddDescriptor(ControlPlane.Yaml(memoryMiB: 64) + "# v3\n");
        Should.Throw<QuotaExceededException>(() => _cp.Lifecycle.Update(Tenant, "web", null)).Refusal.Resource.ShouldBe(TenantResources.Instances);
    }

    [Fact]
    public async Task A_heal_by_recreation_under_quota_pressure_keeps_the_old_replica_and_alerts()
    {
        await Running(2, "  health:\n    action: recreate\n    cooldown: 1s\n    budget: 5");
        var victim = _cp.Replicas()[0];
        // A quota lowered below use stops growth; the recreation would end above it, so it is refused before removal.
        _cp.Store.SetQuota(Tenant, new TenantQuota(Instances: 1));
        _cp.Backend.Exit(victim.Id);
        await _cp.Reconciler.ReconcileOnceAsync();

        _cp.Store.Get(victim.Id).ShouldNotBeNull("the old replica is not removed for a replacement the quota refuses").State.ShouldBe(InstanceState.Failed);
        _cp.Replicas().Count.ShouldBe(2);
        var alert = _cp.Store.Alerts().Where(a => a.Kind == AlertKinds.QuotaReached).ShouldHaveSingleItem();
        alert.Message.ShouldContain("healing '" + victim.Name + "' by recreating it");

        // Within the quota the same heal goes through: the replacement takes the old one's place.
        _cp.Store.SetQuota(Tenant, new TenantQuota(Instances: 2));
        _cp.Time.Advance(TimeSpan.FromSeconds(2));
        _cp.Reconciler.RequestHeal(victim.Id, "heal requested");
        await _cp.Reconciler.ReconcileOnceAsync();
        _cp.Store.Get(victim.Id).ShouldBeNull();
        _cp.Replicas().Count(r => r.State == InstanceState.Running).ShouldBe(2);
    }
}
