using LightNfv.Platform.Events;
using LightNfv.Platform.Store;
using Microsoft.Data.Sqlite;

namespace LightNfv.Server.Tests.Store;

/// <summary>Schema 5: events and subscriptions written before it read with defaults; secrets are kept (signing needs them) in the 0600 store.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class EventsStoreTests() : TempStoreFile("lnfvs-events")
{
    [Fact]
    public void Rows_from_before_schema_5_read_with_their_defaults()
    {
        using (new PlatformStore(StorePath))
        {
        }
        using (var db = new SqliteConnection($"Data Source={StorePath};Pooling=False"))
        {
            db.Open();
            using var cmd = db.CreateCommand();
            cmd.CommandText = """
                INSERT INTO alerts(at, kind, tenant, deployment, instance_id, message) VALUES ('2026-01-01T00:00:00.0000000Z', 'operation.failed', 'default', 'web', NULL, 'old');
                INSERT INTO subscriptions(id, callback, kinds, created_at) VALUES ('000000000001', 'http://127.0.0.1:9/old', '["instance.healed"]', '2026-01-01T00:00:00.0000000Z');
                """;
            cmd.ExecuteNonQuery();
            cmd.CommandText = "PRAGMA user_version";
            Convert.ToInt32(cmd.ExecuteScalar()).ShouldBeGreaterThanOrEqualTo(5); // later schemas add their own tables on top
        }
        using var store = new PlatformStore(StorePath);
        var e = store.Alerts().Single();
        e.Severity.ShouldBe(PlatformEvent.Error);
        e.Data.ShouldBeEmpty();
        e.Operation.ShouldBeNull();
        var s = store.Subscriptions().Single();
        s.Filter.NotificationTypes.ShouldBe(["instance.healed"]);
        s.Filter.VnfNames.ShouldBeEmpty();
        s.Authentication.ShouldBeNull();
    }

    [Fact]
    public void Subscription_keeps_its_filter_and_secret_and_the_store_file_is_0600()
    {
        using var store = new PlatformStore(StorePath);
        var created = store.AddSubscription("http://127.0.0.1:9/hook", new SubscriptionFilter(["vnf.scaled"], ["web"], "t1"),
            new SubscriptionAuth(AuthTypes.HmacSha256, null, "0123456789abcdef0123"));
        var read = store.Subscription(created.Id).ShouldNotBeNull();
        read.Filter.NotificationTypes.ShouldBe(["vnf.scaled"]);
        read.Filter.VnfNames.ShouldBe(["web"]);
        read.Filter.Tenant.ShouldBe("t1");
        read.Authentication.ShouldBe(new SubscriptionAuth(AuthTypes.HmacSha256, null, "0123456789abcdef0123"));
        File.GetUnixFileMode(StorePath).ShouldBe(StoreFileModes.FileMode);
        store.DeleteSubscription(created.Id).ShouldBeTrue();
        store.Subscriptions().ShouldBeEmpty();
    }
}
