using LightNfv.Core.Descriptors;
using LightNfv.Core.Errors;
using LightNfv.Core.Instances;
using LightNfv.Core.Tenants;
using LightNfv.Platform.Audit;
using LightNfv.Platform.Control.Admission;
using LightNfv.Platform.Tests.Fakes;

namespace LightNfv.Platform.Tests.Lifecycle;

/// <summary>
/// A standalone run is audited exactly once: a success in the same transaction as its Running state, a refusal or a
/// failed create with its error; the chain verifies after each.
/// </summary>
public sealed class RunAuditTests : IAsyncLifetime
{
    private readonly ControlPlane _cp = new();

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => _cp.DisposeAsync();

    private static VnfDescriptor Descriptor(string name) => DescriptorParser.Parse(ControlPlane.Yaml(name));

    private IReadOnlyList<AuditRecord> Runs() => _cp.Store.AuditRecords().Where(r => r.Action == AuditActions.InstanceRun).ToList();

    [Fact]
    public async Task A_run_that_starts_is_recorded_once_with_its_running_state()
    {
        var record = await _cp.Instances.RunAsync(Descriptor("a"), TestContext.Current.CancellationToken);

        record.State.ShouldBe(InstanceState.Running);
        var audit = Runs().ShouldHaveSingleItem();
        (audit.Target, audit.Tenant, audit.Result, audit.Error).ShouldBe(("instance/a", "default", AuditRecord.Ok, null));
        audit.Parameters.ShouldContain("\"technology\":\"process\"");
        _cp.Store.VerifyAudit().Intact.ShouldBeTrue();
    }

    [Fact]
    public async Task A_refused_and_a_failed_run_are_each_recorded_once_with_their_error_and_leave_no_record()
    {
        _cp.Store.SetQuota("default", new TenantQuota(Instances: 0));
        await Should.ThrowAsync<QuotaExceededException>(() => _cp.Instances.RunAsync(Descriptor("b"), TestContext.Current.CancellationToken));
        _cp.Store.SetQuota("default", TenantQuota.Unlimited);
        _cp.Backend.FailCreates = "no room on the host";
        await Should.ThrowAsync<LightNfvException>(() => _cp.Instances.RunAsync(Descriptor("c"), TestContext.Current.CancellationToken));

        var runs = Runs();
        runs.Count.ShouldBe(2);
        (runs[0].Target, runs[0].Result).ShouldBe(("instance/b", "quota"));
        (runs[1].Target, runs[1].Result, runs[1].Error).ShouldBe(("instance/c", "host", "no room on the host"));
        _cp.Store.List().ShouldBeEmpty();
        _cp.Store.VerifyAudit().Intact.ShouldBeTrue();
    }
}
