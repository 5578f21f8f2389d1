using LightNfv.Platform.Alerts;
using LightNfv.Platform.Store;
using Microsoft.Data.Sqlite;

namespace LightNfv.Server.Tests.Store;

/// <summary>Schema 9: a store of schema 8 gains the acknowledgement columns; its events read as not acknowledged.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class AcksStoreTests() : TempStoreFile("lnfvs-acks")
{
    [Fact]
    public void A_schema_8_store_is_migrated_and_its_events_can_be_acknowledged()
    {
        using (new PlatformStore(StorePath))
        {
        }
        using (var db = new SqliteConnection($"Data Source={StorePath};Pooling=False"))
        {
            db.Open();
            using var cmd = db.CreateCommand();
            // Back to schema 8's shape, with an event written then.
            cmd.CommandText = """
                ALTER TABLE alerts DROP COLUMN acked_by;
                ALTER TABLE alerts DROP COLUMN acked_at;
                PRAGMA user_version = 8;
                INSERT INTO alerts(at, kind, tenant, deployment, instance_id, message) VALUES ('2026-01-01T00:00:00.0000000Z', 'instance.failed', 'default', 'web', NULL, 'old');
                """;
            cmd.ExecuteNonQuery();
        }
        using var store = new PlatformStore(StorePath);
        using (var db = new SqliteConnection($"Data Source={StorePath};Pooling=False"))
        {
            db.Open();
            using var cmd = db.CreateCommand();
            cmd.CommandText = "PRAGMA user_version";
            Convert.ToInt32(cmd.ExecuteScalar()).ShouldBe(9);
        }
        var old = store.Alerts().Single();
        old.Acknowledged.ShouldBeNull();
        old.NotificationType.ShouldBe(AlertKinds.InstanceFailed);
        var acked = store.AcknowledgeEvent(old.Id, "token:op").ShouldNotBeNull();
        acked.Acknowledged.ShouldNotBeNull().By.ShouldBe("token:op");
        store.AcknowledgeEvent(old.Id, "token:later")!.Acknowledged!.By.ShouldBe("token:op");
        store.AcknowledgeEvent(old.Id + 1, "token:op").ShouldBeNull();
    }
}
