using LightNfv.Core.Instances;
using LightNfv.Platform.Alerts;
using LightNfv.Platform.Audit;
using LightNfv.Platform.Control;
using LightNfv.Platform.Control.Quarantine;
using LightNfv.Platform.Monitoring;
using LightNfv.Platform.Tests.Fakes;
using Microsoft.Extensions.Logging.Abstractions;

namespace LightNfv.Platform.Tests.Control.Quarantine;

/// <summary>
/// spec.security.quarantineOnSpoof (issue 17 item 5): a replica whose port's spoofed-frame drop counter reaches the
/// threshold is quarantined by the API's path as system:quarantine, once, with the counter and threshold in its alert
/// and audit record; its VNF gets a replacement; replicas under the threshold or without the policy are left alone.
/// </summary>
public sealed class SpoofQuarantineTests : IAsyncLifetime
{
    private readonly ControlPlane _cp = new();
    private readonly InstanceMonitor _monitor;
    private readonly SpoofQuarantine _guard;

    public SpoofQuarantineTests()
    {
        _monitor = new InstanceMonitor(_cp.Instances, _cp.Time, NullLogger<InstanceMonitor>.Instance);
        _guard = new SpoofQuarantine(_cp.Store, _monitor, _cp.Reconciler, NullLogger<SpoofQuarantine>.Instance);
    }

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync() => await _cp.DisposeAsync();

    private const string Policy = "  security:\n    quarantineOnSpoof: 5";

    private async Task<IReadOnlyList<string>> RoundAsync()
    {
        _monitor.SampleOnce();
        return await _guard.EvaluateAsync();
    }

    [Fact]
    public async Task A_replica_reaching_the_threshold_is_quarantined_once_and_replaced()
    {
        _cp.Lifecycle.AddDescriptor(ControlPlane.Yaml(health: Policy));
        _cp.Lifecycle.Instantiate(VnfLifecycle.DefaultTenant, "web", 2, null);
        await _cp.ConvergeAsync();
        var victim = _cp.Replicas()[0];
        var other = _cp.Replicas()[1];

        _cp.Backend.SpoofedDropped[victim.Id] = 4;
        (await RoundAsync()).ShouldBeEmpty("4 is below the threshold of 5");

        _cp.Backend.SpoofedDropped[victim.Id] = 7;
        (await RoundAsync()).ShouldBe([victim.Id]);
        _cp.Store.Get(victim.Id)!.State.ShouldBe(InstanceState.Quarantined);
        _cp.Backend.Frozen.ShouldContainKey(victim.Id);
        _cp.Store.Get(other.Id)!.State.ShouldBe(InstanceState.Running);

        var alert = _cp.Store.Alerts().Single(a => a.Kind == AlertKinds.InstanceQuarantined);
        alert.Instance.ShouldBe(victim.Id);
        alert.Message.ShouldContain("dropped 7 spoofed frame(s) (spoofedFramesDropped)");
        alert.Message.ShouldContain("spec.security.quarantineOnSpoof: 5");
        alert.Data["cause"].GetString()!.ShouldContain("quarantineOnSpoof: 5");
        var audit = _cp.Store.AuditRecords().Single(a => a.Action == AuditActions.InstanceQuarantine);
        audit.Actor.ShouldBe("system:quarantine");
        audit.Result.ShouldBe(AuditRecord.Ok);
        audit.Parameters.ShouldContain("quarantineOnSpoof: 5");

        _cp.Backend.SpoofedDropped[victim.Id] = 50;
        (await RoundAsync()).ShouldBeEmpty("a quarantined replica is not watched any more");
        _cp.Store.AuditRecords().Count(a => a.Action == AuditActions.InstanceQuarantine).ShouldBe(1);

        await _cp.ConvergeAsync();
        await _cp.Reconciler.ReconcileOnceAsync();
        _cp.Replicas().Count(r => r.State == InstanceState.Running).ShouldBe(2, "the VNF got a replacement");
        _cp.Store.Get(victim.Id)!.State.ShouldBe(InstanceState.Quarantined, "held for inspection");
    }

    [Fact]
    public async Task A_released_replica_is_quarantined_again_only_after_as_many_more_frames()
    {
        _cp.Lifecycle.AddDescriptor(ControlPlane.Yaml(health: Policy));
        _cp.Lifecycle.Instantiate(VnfLifecycle.DefaultTenant, "web", 1, null);
        await _cp.ConvergeAsync();
        var victim = _cp.Replicas().Single();
        _cp.Backend.SpoofedDropped[victim.Id] = 5;
        (await RoundAsync()).ShouldBe([victim.Id]);

        await _cp.Reconciler.ReleaseAsync(_cp.Store.Get(victim.Id)!);
        (await RoundAsync()).ShouldBeEmpty("the operator released it: the 5 frames it was quarantined for are not counted twice");
        _cp.Backend.SpoofedDropped[victim.Id] = 9;
        (await RoundAsync()).ShouldBeEmpty("4 more, below 5");
        _cp.Backend.SpoofedDropped[victim.Id] = 10;
        (await RoundAsync()).ShouldBe([victim.Id]);
    }

    [Fact]
    public async Task Without_the_policy_spoofed_frames_are_only_counted()
    {
        _cp.Lifecycle.AddDescriptor(ControlPlane.Yaml());
        _cp.Lifecycle.Instantiate(VnfLifecycle.DefaultTenant, "web", 1, null);
        await _cp.ConvergeAsync();
        var r = _cp.Replicas().Single();
        _cp.Backend.SpoofedDropped[r.Id] = 1_000;
        (await RoundAsync()).ShouldBeEmpty();
        _cp.Store.Get(r.Id)!.State.ShouldBe(InstanceState.Running);
    }
}
