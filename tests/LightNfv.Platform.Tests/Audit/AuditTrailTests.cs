using System.Diagnostics;
using LightNfv.Core.Errors;
using LightNfv.Core.Identity;
using LightNfv.Platform.Audit;
using LightNfv.Platform.Control;
using LightNfv.Platform.Store;
using LightNfv.Platform.Tests.Fakes;
using Microsoft.Data.Sqlite;

namespace LightNfv.Platform.Tests.Audit;

/// <summary>
/// The audit trail on a real SQLite file: the lifecycle and the heal loop record who did what; the hash chain verifies
/// untouched, and catches a record edited, deleted in the middle, deleted at the end, or reordered in the file.
/// </summary>
public sealed class AuditTrailTests : IAsyncLifetime
{
    private readonly ControlPlane _cp = new();

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => _cp.DisposeAsync();

    private IReadOnlyList<AuditRecord> Records => _cp.Store.AuditRecords();

    /// <summary>A second connection to the store's file, as sqlite3 would be: the tampering is outside the platform.</summary>
    private void Tamper(string sql)
    {
        using var db = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = _cp.Store.FilePath, Pooling = false }.ToString());
        db.Open();
        using var cmd = db.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery().ShouldBeGreaterThan(0, sql);
    }

    private async Task FiveRecords()
    {
        _cp.Lifecycle.AddDescriptor(ControlPlane.Yaml());
        _cp.Lifecycle.Instantiate(VnfLifecycle.DefaultTenant, "web", 1, null);
        await _cp.ConvergeAsync();
        _cp.Lifecycle.Scale(VnfLifecycle.DefaultTenant, "web", 2);
        await _cp.ConvergeAsync();
        Should.Throw<LightNfvException>(() => _cp.Lifecycle.Scale(VnfLifecycle.DefaultTenant, "nope", 1));
        _cp.Lifecycle.Terminate(VnfLifecycle.DefaultTenant, "web");
        await _cp.ConvergeAsync();
        Records.Count.ShouldBe(5);
    }

    [Fact]
    public async Task Lifecycle_actions_are_recorded_with_actor_tenant_target_parameters_and_result_and_the_chain_verifies()
    {
        await FiveRecords();
        var r = Records;
        r.Select(x => x.Action).ShouldBe([AuditActions.DescriptorCreate, AuditActions.VnfInstantiate, AuditActions.VnfScale, AuditActions.VnfScale, AuditActions.VnfTerminate]);
        r.ShouldAllBe(x => x.Actor == "uid:0");
        r[1].Tenant.ShouldBe("default");
        r[1].Target.ShouldBe("vnf/web");
        r[1].Parameters.ShouldContain("\"replicas\":1");
        r[1].Result.ShouldBe(AuditRecord.Ok);
        r[3].Result.ShouldBe("notfound");
        r[3].Error.ShouldNotBeNull().ShouldContain("'nope'");
        r.Select(x => x.Seq).ShouldBe([1, 2, 3, 4, 5]);
        r[0].PreviousHash.ShouldBe(AuditChain.Genesis);
        r.Skip(1).Select(x => x.PreviousHash).ShouldBe(r.Take(4).Select(x => x.Hash));

        var verdict = _cp.Store.VerifyAudit();
        verdict.Intact.ShouldBeTrue(verdict.Describe());
        verdict.Records.ShouldBe(5);
    }

    [Fact]
    public void The_actor_is_the_current_caller_and_descriptor_env_values_are_redacted()
    {
        var yaml = ControlPlane.Yaml(name: "secret").Replace("    builtin: iperf3-server", "    builtin: iperf3-server\n    env:\n      API_KEY: hunter2-very-secret", StringComparison.Ordinal);
        using (Caller.Use(new Caller("token:ci", "default", Role.Operator)))
        {
            _cp.Lifecycle.AddDescriptor(yaml);
        }
        var r = Records.ShouldHaveSingleItem();
        r.Actor.ShouldBe("token:ci");
        r.Parameters.ShouldContain("API_KEY");
        r.Parameters.ShouldContain(AuditTrail.Redacted);
        // Nowhere in the trail's rows: not in the parameters, not in an error message.
        Records.ShouldAllBe(x => !(x.Parameters + x.Error).Contains("hunter2", StringComparison.Ordinal));
        Caller.Current.ShouldBe(Caller.Root, "the scope restores the caller before it");
    }

    [Fact]
    public async Task An_edited_field_is_detected_and_named()
    {
        await FiveRecords();
        Tamper("UPDATE audit SET actor='token:someone-else' WHERE seq=3");
        var v = _cp.Store.VerifyAudit();
        v.Intact.ShouldBeFalse();
        v.BrokenSeq.ShouldBe(3);
        v.Describe().ShouldContain("record 3");
        v.Problem.ShouldNotBeNull().ShouldContain("edited");
    }

    [Fact]
    public async Task An_edit_that_also_rehashes_the_record_breaks_the_next_link()
    {
        await FiveRecords();
        var r = Records[1];
        var forged = r with { Result = "ok", Target = "vnf/other" };
        Tamper($"UPDATE audit SET target='vnf/other', hash='{AuditChain.HashOf(forged)}' WHERE seq=2");
        var v = _cp.Store.VerifyAudit();
        v.Intact.ShouldBeFalse();
        v.BrokenSeq.ShouldBe(3);
    }

    [Fact]
    public async Task A_record_deleted_in_the_middle_is_detected()
    {
        await FiveRecords();
        Tamper("DELETE FROM audit WHERE seq=2");
        var v = _cp.Store.VerifyAudit();
        v.Intact.ShouldBeFalse();
        v.BrokenSeq.ShouldBe(2);
        v.Problem.ShouldNotBeNull().ShouldContain("deleted");
    }

    [Fact]
    public async Task The_newest_record_deleted_is_detected_by_the_head()
    {
        await FiveRecords();
        Tamper("DELETE FROM audit WHERE seq=5");
        var v = _cp.Store.VerifyAudit();
        v.Intact.ShouldBeFalse();
        v.BrokenSeq.ShouldBe(5);
        v.Problem.ShouldNotBeNull().ShouldContain("newest deleted");
    }

    [Fact]
    public async Task Every_record_deleted_is_detected_by_the_head()
    {
        await FiveRecords();
        Tamper("DELETE FROM audit");
        _cp.Store.VerifyAudit().Intact.ShouldBeFalse();
    }

    [Fact]
    public async Task Two_records_swapped_are_detected()
    {
        await FiveRecords();
        Tamper("UPDATE audit SET seq = -seq WHERE seq IN (2, 3)");
        Tamper("UPDATE audit SET seq = CASE seq WHEN -2 THEN 3 WHEN -3 THEN 2 END WHERE seq IN (-2, -3)");
        var v = _cp.Store.VerifyAudit();
        v.Intact.ShouldBeFalse();
        v.BrokenSeq.ShouldBe(2);
    }

    [Fact]
    public async Task The_chain_continues_across_reopening_the_store()
    {
        await FiveRecords();
        using (var other = new PlatformStore(_cp.Store.FilePath))
        {
            // Another process (a CLI beside the daemon) appends to the same file: the chain goes on from the shared head.
            other.Record(AuditActions.InstanceRun, "default", "instance/x", null, null);
        }
        _cp.Store.Record(AuditActions.InstanceRemove, "default", "instance/x", null, null);
        Records.Select(r => r.Seq).ShouldBe([1, 2, 3, 4, 5, 6, 7]);
        _cp.Store.VerifyAudit().Intact.ShouldBeTrue();
    }

    [Fact]
    public async Task An_automatic_heal_is_recorded_as_system_heal()
    {
        _cp.Lifecycle.AddDescriptor(ControlPlane.Yaml());
        _cp.Lifecycle.Instantiate(VnfLifecycle.DefaultTenant, "web", 1, null);
        await _cp.ConvergeAsync();
        var replica = _cp.Replicas().Single();
        _cp.Backend.Exit(replica.Id);
        await _cp.Reconciler.ReconcileOnceAsync();

        var heal = Records.Single(r => r.Action == AuditActions.ReplicaHeal);
        heal.Actor.ShouldBe("system:heal");
        heal.Tenant.ShouldBe("default");
        heal.Target.ShouldBe($"instance/{replica.Name}");
        heal.Result.ShouldBe(AuditRecord.Ok);
        heal.Parameters.ShouldContain("exited");
        Caller.Current.ShouldBe(Caller.Root, "the heal loop's caller does not leak into its caller");
        _cp.Store.VerifyAudit().Intact.ShouldBeTrue();
    }

    [Fact]
    public void Appending_costs_well_under_a_millisecond()
    {
        const int n = 2000;
        for (var i = 0; i < 50; i++)
        {
            _cp.Store.Record(AuditActions.VnfScale, "default", "vnf/warmup", new { replicas = i }, null);
        }
        var sw = Stopwatch.StartNew();
        for (var i = 0; i < n; i++)
        {
            _cp.Store.Record(AuditActions.VnfScale, "default", "vnf/web", new { replicas = i }, null);
        }
        var perAppendUs = sw.Elapsed.TotalMicroseconds / n;
        TestContext.Current.SendDiagnosticMessage($"audit append: {perAppendUs:0.0} us each over {n}");
        // A generous bound for a shared, noisy machine: the lifecycle's own store writes cost about as much.
        perAppendUs.ShouldBeLessThan(2000);
        var sw2 = Stopwatch.StartNew();
        _cp.Store.VerifyAudit().Intact.ShouldBeTrue();
        TestContext.Current.SendDiagnosticMessage($"audit verify: {sw2.Elapsed.TotalMilliseconds:0.0} ms for {n + 50} records");
    }
}
