using LightNfv.Platform.Store;
using Microsoft.Data.Sqlite;

namespace LightNfv.Server.Tests.Store;

/// <summary>A schema-3 store (before VNF instance ids) opens as schema 4: every VNF gets an instance id, nothing is lost.</summary>
public sealed class VnfInstanceMigrationTests() : TempStoreFile("lnfvs-migrate4")
{
    [Fact]
    public void Schema_3_vnfs_get_instance_ids_and_keep_everything()
    {
        WriteSchema3();
        using (var store = new PlatformStore(StorePath))
        {
            var instances = store.VnfInstances();
            instances.Select(v => (v.Tenant, v.VnfdName, v.VnfdVersion)).OrderBy(v => v.VnfdName).ShouldBe([("default", "db", 1), ("default", "web", 2)]);
            instances.All(v => Guid.TryParse(v.Id, out _)).ShouldBeTrue();
            instances.Select(v => v.Id).Distinct().Count().ShouldBe(2);

            // Nothing lost: instances, descriptors, deployments, operations and alerts read as before.
            store.List().Single().Deployment.ShouldBe("web");
            store.DescriptorVersions("default", "web").Select(d => d.Version).ShouldBe([1, 2]);
            store.Deployments().Select(d => (d.Name, d.Version, d.Replicas)).ShouldBe([("db", 1, 1), ("web", 2, 3)]);
            var op = store.Operations().Single();
            (op.Kind, op.State, op.Parameters["replicas"]).ShouldBe(("scale", OperationState.Completed, "3"));
            store.LcmOperation(op.Id).ShouldBeNull(); // started before the LCM API: rolls back by itself as it always did
            store.Alerts().Single().Kind.ShouldBe("vnf.scaled");
        }
        using var again = new PlatformStore(StorePath);
        again.VnfInstances().Count.ShouldBe(2); // the ids are stored, not made up on each open
    }

    /// <summary>A store as schema 3 left it (the DDL of migrations 1 to 3), with one VNF of each kind of row.</summary>
    private void WriteSchema3()
    {
        using var db = new SqliteConnection($"Data Source={StorePath};Pooling=False");
        db.Open();
        using var cmd = db.CreateCommand();
        cmd.CommandText = """
            CREATE TABLE instances(id TEXT PRIMARY KEY, name TEXT NOT NULL, tenant TEXT NOT NULL, technology TEXT NOT NULL,
                state TEXT NOT NULL, address TEXT UNIQUE, descriptor TEXT NOT NULL, backend_data TEXT NOT NULL DEFAULT '{}',
                created_at TEXT NOT NULL, updated_at TEXT NOT NULL, error TEXT,
                deployment TEXT, version INTEGER, facts TEXT NOT NULL DEFAULT '{}', backend_state TEXT, UNIQUE(tenant, name));
            CREATE TABLE events(id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, instance_id TEXT, kind TEXT NOT NULL, message TEXT NOT NULL);
            CREATE TABLE descriptors(tenant TEXT NOT NULL, name TEXT NOT NULL, version INTEGER NOT NULL, source TEXT NOT NULL, created_at TEXT NOT NULL,
                PRIMARY KEY(tenant, name, version));
            CREATE TABLE deployments(tenant TEXT NOT NULL, name TEXT NOT NULL, version INTEGER NOT NULL, replicas INTEGER NOT NULL,
                created_at TEXT NOT NULL, updated_at TEXT NOT NULL, PRIMARY KEY(tenant, name));
            CREATE TABLE operations(id TEXT PRIMARY KEY, kind TEXT NOT NULL, tenant TEXT NOT NULL, deployment TEXT NOT NULL,
                state TEXT NOT NULL, params TEXT NOT NULL DEFAULT '{}', error TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
            CREATE INDEX operations_state ON operations(state);
            CREATE TABLE alerts(id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, kind TEXT NOT NULL,
                tenant TEXT, deployment TEXT, instance_id TEXT, message TEXT NOT NULL);
            CREATE TABLE subscriptions(id TEXT PRIMARY KEY, callback TEXT NOT NULL, kinds TEXT NOT NULL DEFAULT '[]', created_at TEXT NOT NULL);
            INSERT INTO descriptors VALUES ('default', 'web', 1, 'yaml1', '2026-01-01T00:00:00.0000000Z'),
                ('default', 'web', 2, 'yaml2', '2026-01-02T00:00:00.0000000Z'), ('default', 'db', 1, 'yaml3', '2026-01-01T00:00:00.0000000Z');
            INSERT INTO deployments VALUES ('default', 'web', 2, 3, '2026-01-01T00:00:00.0000000Z', '2026-01-02T00:00:00.0000000Z'),
                ('default', 'db', 1, 1, '2026-01-01T00:00:00.0000000Z', '2026-01-01T00:00:00.0000000Z');
            INSERT INTO instances(id, name, tenant, technology, state, address, descriptor, created_at, updated_at, deployment, version, facts)
                VALUES ('0123456789ab', 'web-abcde', 'default', 'process', 'Running', '10.71.0.9', 'yaml2',
                '2026-01-02T00:00:00.0000000Z', '2026-01-02T00:00:00.0000000Z', 'web', 2, '{}');
            INSERT INTO operations VALUES ('op1', 'scale', 'default', 'web', 'Completed', '{"replicas":"3","previousReplicas":"1"}', NULL,
                '2026-01-02T00:00:00.0000000Z', '2026-01-02T00:00:00.0000000Z');
            INSERT INTO alerts(at, kind, tenant, deployment, message) VALUES ('2026-01-02T00:00:00.0000000Z', 'vnf.scaled', 'default', 'web', 'x');
            PRAGMA user_version = 3;
            """;
        cmd.ExecuteNonQuery();
    }
}
