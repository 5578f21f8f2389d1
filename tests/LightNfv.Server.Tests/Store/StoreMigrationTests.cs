using LightNfv.Core.Instances;
using LightNfv.Platform.Store;
using Microsoft.Data.Sqlite;

namespace LightNfv.Server.Tests.Store;

/// <summary>A schema-1 store (before the daemon) opens as schema 2 with every instance and event kept.</summary>
public sealed class StoreMigrationTests() : TempStoreFile("lnfvs-migrate")
{
    [Fact]
    public void Schema_1_is_migrated_without_losing_data()
    {
        using (var db = new SqliteConnection($"Data Source={StorePath};Pooling=False"))
        {
            db.Open();
            using var cmd = db.CreateCommand();
            cmd.CommandText = """
                CREATE TABLE instances(id TEXT PRIMARY KEY, name TEXT NOT NULL, tenant TEXT NOT NULL, technology TEXT NOT NULL,
                    state TEXT NOT NULL, address TEXT UNIQUE, descriptor TEXT NOT NULL, backend_data TEXT NOT NULL DEFAULT '{}',
                    created_at TEXT NOT NULL, updated_at TEXT NOT NULL, error TEXT, UNIQUE(tenant, name));
                CREATE TABLE events(id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, instance_id TEXT, kind TEXT NOT NULL, message TEXT NOT NULL);
                INSERT INTO instances VALUES ('0123456789ab', 'old', 'default', 'process', 'Running', '10.71.0.9', 'x', '{"process":"1@2"}',
                    '2026-01-01T00:00:00.0000000Z', '2026-01-01T00:00:00.0000000Z', NULL);
                INSERT INTO events(at, instance_id, kind, message) VALUES ('2026-01-01T00:00:00.0000000Z', '0123456789ab', 'instance.started', 'old');
                PRAGMA user_version = 1;
                """;
            cmd.ExecuteNonQuery();
        }
        using (var store = new PlatformStore(StorePath))
        {
            var r = store.Get("0123456789ab").ShouldNotBeNull();
            r.Name.ShouldBe("old");
            r.State.ShouldBe(InstanceState.Running);
            r.BackendData["process"].ShouldBe("1@2");
            r.Deployment.ShouldBeNull();
            store.Events().Single().Kind.ShouldBe("instance.started");
            store.AddDescriptor("default", "web", "yaml").Version.ShouldBe(1);
        }
        using (var again = new PlatformStore(StorePath))
        {
            again.Descriptor("default", "web").ShouldNotBeNull().Source.ShouldBe("yaml");
            again.List().Count.ShouldBe(1);
        }
    }

    [Fact]
    public void Desired_state_and_operation_are_written_together()
    {
        using var store = new PlatformStore(StorePath);
        var op = store.BeginOperation("scale", "default", "web", new Deployment("default", "web", 1, 3, default, default), new Dictionary<string, string> { ["replicas"] = "3" });
        store.Deployment("default", "web").ShouldNotBeNull().Replicas.ShouldBe(3);
        store.Operation(op.Id).ShouldNotBeNull().State.ShouldBe(OperationState.Processing);
        store.FinishOperation(op.Id, OperationState.RolledBack, "no").State.ShouldBe(OperationState.RolledBack);
        store.BeginOperation("terminate", "default", "web", null, new Dictionary<string, string>());
        store.Deployment("default", "web").ShouldBeNull();
    }
}
