using System.Net;
using LightNfv.Core.Descriptors;
using LightNfv.Core.Errors;
using LightNfv.Core.Instances;
using LightNfv.Core.Tenants;
using LightNfv.Platform.Control.Admission;
using LightNfv.Platform.Store;
using Microsoft.Data.Sqlite;

namespace LightNfv.Platform.Tests.Store;

/// <summary>Tenants in a real SQLite store: create, quota, usage, delete refused while owning, and admission at reservation.</summary>
public sealed class TenantStoreTests : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"lnfv-tenants-{Guid.NewGuid():N}.db");
    private readonly PlatformStore _store;
    private int _next = 2;

    public TenantStoreTests() => _store = new PlatformStore(_path);

    private static VnfDescriptor Descriptor(string name, string tenant, int vcpus = 1, int memory = 128) => DescriptorParser.Parse($"""
        apiVersion: lightnfv/v1
        kind: Vnf
        metadata:
          name: {name}
          tenant: {tenant}
        spec:
          technology: process
          app:
            builtin: iperf3-server
          resources:
            vcpus: {vcpus}
            memoryMiB: {memory}
        """);

    private InstanceRecord Reserve(VnfDescriptor d) =>
        _store.Reserve(InstanceId.New(), d, _ => IPAddress.Parse($"10.99.0.{_next++}"));

    [Fact]
    public void The_default_tenant_exists_and_cannot_be_deleted()
    {
        _store.Tenants().Select(t => t.Name).ShouldBe(["default"]);
        _store.Tenant("default")!.Quota.ShouldBe(TenantQuota.Unlimited);
        Should.Throw<LightNfvException>(() => _store.DeleteTenant("default")).Kind.ShouldBe(ErrorKind.Conflict);
    }

    [Fact]
    public void Create_show_set_quota_and_delete()
    {
        _store.CreateTenant("acme", new TenantQuota(Instances: 3, MemoryMiB: 1024));
        Should.Throw<LightNfvException>(() => _store.CreateTenant("acme", TenantQuota.Unlimited)).Kind.ShouldBe(ErrorKind.Conflict);
        Should.Throw<LightNfvException>(() => _store.CreateTenant("Bad_Name", TenantQuota.Unlimited)).Message.ShouldStartWith("name: 'Bad_Name' is not a valid tenant name");
        _store.SetQuota("acme", new TenantQuota(Vcpus: 4)).Quota.ShouldBe(new TenantQuota(Vcpus: 4));
        Should.Throw<LightNfvException>(() => _store.SetQuota("nobody", TenantQuota.Unlimited)).Kind.ShouldBe(ErrorKind.NotFound);
        _store.DeleteTenant("acme");
        _store.Tenant("acme").ShouldBeNull();
    }

    [Fact]
    public void Usage_counts_instances_their_declared_resources_and_vnfs()
    {
        Reserve(Descriptor("a", "acme", vcpus: 2, memory: 256));
        Reserve(Descriptor("b", "acme", vcpus: 1, memory: 64));
        Reserve(Descriptor("c", "other"));
        _store.AddDescriptor("acme", "web", "x: 1");
        _store.AddDescriptor("acme", "web", "x: 2"); // a new version is not a new VNF
        _store.Usage("acme").ShouldBe(new TenantUsage(2, 3, 320, 256, 1));
        // Tenants named by descriptors are made on first use (unlimited), so existing descriptors keep working.
        _store.Tenants().Select(t => t.Name).ShouldBe(["acme", "default", "other"]);
    }

    [Fact]
    public void A_tenant_that_owns_anything_is_not_deleted_and_the_error_names_what()
    {
        _store.CreateTenant("acme", TenantQuota.Unlimited);
        var r = Reserve(Descriptor("web-1", "acme"));
        _store.AddDescriptor("acme", "db", "x: 1");
        var e = Should.Throw<LightNfvException>(() => _store.DeleteTenant("acme"));
        e.Kind.ShouldBe(ErrorKind.Conflict);
        e.Message.ShouldContain("instance web-1");
        e.Message.ShouldContain("VNF db");
        _store.Delete(r.Id);
        _store.DeleteDescriptor("acme", "db");
        _store.DeleteTenant("acme");
    }

    [Fact]
    public void A_reservation_over_quota_is_refused_and_leaves_no_record()
    {
        _store.CreateTenant("acme", new TenantQuota(Instances: 1));
        Reserve(Descriptor("a", "acme"));
        var e = Should.Throw<QuotaExceededException>(() => Reserve(Descriptor("b", "acme")));
        e.Kind.ShouldBe(ErrorKind.Quota);
        e.Message.ShouldContain("limited to 1 instances (maxInstances) and uses 1; running 'b' needs 1 more");
        _store.List().Select(r => r.Name).ShouldBe(["a"]);
        Reserve(Descriptor("b", "other")).Tenant.ShouldBe("other"); // another tenant's quota is its own
    }

    [Fact]
    public void A_new_vnf_over_quota_is_refused_and_a_new_version_is_not()
    {
        _store.CreateTenant("acme", new TenantQuota(Vnfs: 1));
        _store.AddDescriptor("acme", "web", "x: 1");
        _store.AddDescriptor("acme", "web", "x: 2").Version.ShouldBe(2);
        Should.Throw<QuotaExceededException>(() => _store.AddDescriptor("acme", "db", "x: 1")).Refusal.Resource.ShouldBe(TenantResources.Vnfs);
        _store.Descriptor("acme", "db").ShouldBeNull();
    }

    [Fact]
    public async Task Concurrent_reservations_never_take_more_than_the_quota()
    {
        _store.CreateTenant("acme", new TenantQuota(Instances: 5));
        var names = Enumerable.Range(0, 20).Select(i => $"n{i}").ToList();
        var addresses = 1;
        var results = await Task.WhenAll(names.Select(n => Task.Run(() =>
        {
            try
            {
                _store.Reserve(InstanceId.New(), Descriptor(n, "acme"), _ => IPAddress.Parse($"10.98.0.{Interlocked.Increment(ref addresses)}"));
                return true;
            }
            catch (QuotaExceededException)
            {
                return false;
            }
        })));
        results.Count(ok => ok).ShouldBe(5);
        _store.Usage("acme").Instances.ShouldBe(5);
    }

    [Fact]
    public void A_schema_5_store_gains_tenants_for_every_name_in_use()
    {
        _store.Dispose();
        SqliteConnection.ClearAllPools();
        var path = Path.Combine(Path.GetTempPath(), $"lnfv-tenants-v5-{Guid.NewGuid():N}.db");
        try
        {
            using (var s = new PlatformStore(path))
            {
                s.AddDescriptor("team-b", "web", "x: 1");
            }
            using (var db = new SqliteConnection($"Data Source={path};Pooling=false"))
            {
                db.Open();
                using var cmd = db.CreateCommand();
                cmd.CommandText = "DROP TABLE tenants; PRAGMA user_version = 5;";
                cmd.ExecuteNonQuery();
            }
            using var migrated = new PlatformStore(path);
            migrated.Tenants().Select(t => t.Name).ShouldBe(["default", "team-b"]);
        }
        finally
        {
            foreach (var f in new[] { path, path + "-wal", path + "-shm" })
            {
                File.Delete(f);
            }
        }
    }

    public void Dispose()
    {
        _store.Dispose();
        foreach (var f in new[] { _path, _path + "-wal", _path + "-shm" })
        {
            File.Delete(f);
        }
    }
}
