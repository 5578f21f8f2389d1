using System.Net;
using LightNfv.Core.Backends;
using LightNfv.Core.Instances;
using LightNfv.Platform.Store;
using Microsoft.Data.Sqlite;

namespace LightNfv.Server.Tests.Store;

/// <summary>Older stores open as today's schema with every instance, event and backend value kept.</summary>
public sealed class StoreMigrationTests() : TempStoreFile("lnfvs-migrate")
{
    [Fact]
    public void Schema_1_is_migrated_without_losing_data()
    {
        WriteSchema1("""
                INSERT INTO instances VALUES ('0123456789ab', 'old', 'default', 'process', 'Running', '10.71.0.9', 'x', '{"process":"1@2"}',
                    '2026-01-01T00:00:00.0000000Z', '2026-01-01T00:00:00.0000000Z', NULL);
                INSERT INTO events(at, instance_id, kind, message) VALUES ('2026-01-01T00:00:00.0000000Z', '0123456789ab', 'instance.started', 'old');
            """);
        using (var store = new PlatformStore(StorePath))
        {
            var r = store.Get("0123456789ab").ShouldNotBeNull();
            r.Name.ShouldBe("old");
            r.State.ShouldBe(InstanceState.Running);
            r.Facts.Process.ShouldBe(new ProcessRef(1, 2));
            r.BackendState.ShouldBeNull();
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

    /// <summary>Rows as the code before typed state wrote them: one flat string map per instance, whatever its backend.</summary>
    [Fact]
    public void Flat_backend_data_becomes_shared_facts_and_the_backends_own_record()
    {
        WriteSchema1("""
                INSERT INTO instances VALUES ('0000000000c1', 'ctr', 'default', 'container', 'Running', '10.71.0.2', 'x',
                    '{"netns":"lab-0000000000c1","hostLink":"lnf0000000000c1","address":"10.71.0.2","runDir":"/s/instances/0000000000c1","runtime":"crun","bundle":"/s/instances/0000000000c1/bundle","image":"sha256:ab","imageBytes":"9700000","imageTarGzBytes":"4500000","process":"1234@5678"}',
                    '2026-01-01T00:00:00.0000000Z', '2026-01-01T00:00:00.0000000Z', NULL);
                INSERT INTO instances VALUES ('0000000000b1', 'dock', 'default', 'docker', 'Stopped', '10.71.0.3', 'x',
                    '{"netns":"lab-0000000000b1","cgroup":"lnfv-docker/abc","container":"abc","containerName":"lightnfv-0000000000b1","dockerSocket":"/run/d.sock"}',
                    '2026-01-01T00:00:00.0000000Z', '2026-01-01T00:00:00.0000000Z', NULL);
                INSERT INTO instances VALUES ('0000000000a1', 'uk', 'default', 'unikernel', 'Running', '10.71.0.4', 'x',
                    '{"address":"10.71.0.4","image":"/g/lnfv-uk.elf","imageBytes":"12288","memoryBytes":"67108864","app":"1","port":"5201","tap":"lnfuk00000","monitor":"777","process":"777"}',
                    '2026-01-01T00:00:00.0000000Z', '2026-01-01T00:00:00.0000000Z', NULL);
                INSERT INTO instances VALUES ('0000000000e1', 'empty', 'default', 'process', 'Creating', '10.71.0.5', 'x', '{}',
                    '2026-01-01T00:00:00.0000000Z', '2026-01-01T00:00:00.0000000Z', NULL);
            """);
        using (var store = new PlatformStore(StorePath))
        {
            var ctr = store.Get("0000000000c1").ShouldNotBeNull();
            ctr.Facts.ShouldBe(new InstanceFacts
            {
                Namespace = "lab-0000000000c1",
                HostLink = "lnf0000000000c1",
                Address = IPAddress.Parse("10.71.0.2"),
                RunDirectory = "/s/instances/0000000000c1",
                Process = new ProcessRef(1234, 5678),
                Image = new ImageFacts("sha256:ab", 9_700_000, 4_500_000),
            });
            ctr.Facts.LogPath.ShouldBe("/s/instances/0000000000c1/console.log");
            Json(ctr).ShouldBe("""{"runtime":"crun","bundle":"/s/instances/0000000000c1/bundle"}""");

            var dock = store.Get("0000000000b1").ShouldNotBeNull();
            dock.Facts.Cgroup.ShouldBe("lnfv-docker/abc");
            dock.Facts.Process.ShouldBeNull();
            Json(dock).ShouldBe("""{"container":"abc","containerName":"lightnfv-0000000000b1","dockerSocket":"/run/d.sock"}""");

            // The unikernel recorded the monitor's bare pid as "process": no start time, so not a process fact; kept with its record.
            var uk = store.Get("0000000000a1").ShouldNotBeNull();
            uk.Facts.Process.ShouldBeNull();
            uk.Facts.Image.ShouldBe(new ImageFacts("/g/lnfv-uk.elf", 12288, null));
            Json(uk).ShouldBe("""{"memoryBytes":"67108864","app":"1","port":"5201","tap":"lnfuk00000","monitor":"777","process":"777"}""");

            var empty = store.Get("0000000000e1").ShouldNotBeNull();
            empty.Facts.ShouldBe(InstanceFacts.None);
            empty.BackendState.ShouldBeNull();
        }
        using (var db = new SqliteConnection($"Data Source={StorePath};Pooling=False"))
        {
            // The original text stays in the old column: nothing stored is lost, whatever a backend's record reads.
            db.Open();
            using var cmd = db.CreateCommand();
            cmd.CommandText = "SELECT backend_data FROM instances WHERE id='0000000000a1'";
            cmd.ExecuteScalar().ShouldBeOfType<string>().ShouldContain("\"process\":\"777\"");
        }
    }

    private static string Json(InstanceRecord r) => r.BackendState.ShouldBeOfType<StoredBackendState>().Json;

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

    /// <summary>A store as schema 1 wrote it (instances with a flat backend_data map, events), with these rows.</summary>
    private void WriteSchema1(string rows)
    {
        using var db = new SqliteConnection($"Data Source={StorePath};Pooling=False");
        db.Open();
        using var cmd = db.CreateCommand();
        cmd.CommandText = """
                CREATE TABLE instances(id TEXT PRIMARY KEY, name TEXT NOT NULL, tenant TEXT NOT NULL, technology TEXT NOT NULL,
                    state TEXT NOT NULL, address TEXT UNIQUE, descriptor TEXT NOT NULL, backend_data TEXT NOT NULL DEFAULT '{}',
                    created_at TEXT NOT NULL, updated_at TEXT NOT NULL, error TEXT, UNIQUE(tenant, name));
                CREATE TABLE events(id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, instance_id TEXT, kind TEXT NOT NULL, message TEXT NOT NULL);
                """ + rows + "\nPRAGMA user_version = 1;";
        cmd.ExecuteNonQuery();
    }
}
