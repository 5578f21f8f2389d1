using System.Globalization;
using System.Net;
using LightNfv.Core.Backends;
using LightNfv.Core.Descriptors;
using LightNfv.Core.Errors;
using LightNfv.Core.Instances;
using LightNfv.Core.Tenants;
using Microsoft.Data.Sqlite;

namespace LightNfv.Platform.Store;

/// <summary>
/// The platform's embedded store: one SQLite file in WAL mode, so readers never block the writer and a crash
/// loses no committed record. Several CLI invocations may use it at once; writers serialize on SQLite's lock.
/// </summary>
public sealed partial class PlatformStore : IDisposable
{
    private const int SchemaVersion = AcksSchema;
    // One connection, used from the daemon's API threads and loops alike: every public member holds this gate.
    private readonly Lock _gate = new();
    private readonly SqliteConnection _db;
    private readonly TimeProvider _time;

    /// <summary>
    /// Opens (or creates) the store. A file that is not a SQLite database, is damaged, or cannot be written fails here
    /// with one line naming the file, what is wrong and how to recover (see <see cref="StoreErrors"/>), not later.
    /// </summary>
    public PlatformStore(string path, TimeProvider? time = null)
    {
        _time = time ?? TimeProvider.System;
        FilePath = path;
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
            StoreFileModes.SecureStoreFile(path);
        }
        catch (IOException e)
        {
            throw StoreErrors.Explain(e, path);
        }
        _db = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        try
        {
            _db.Open();
            Exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000; PRAGMA foreign_keys=ON;");
            Migrate();
            // The header alone can look fine in a truncated or overwritten file: read the instances once, so damage
            // shows here (one clear line) rather than in the middle of a command.
            Scalar("SELECT count(*) FROM instances");
        }
        catch (SqliteException e)
        {
            _db.Dispose();
            throw StoreErrors.Explain(e, path);
        }
        catch
        {
            _db.Dispose();
            throw;
        }
    }

    /// <summary>The store's file, as given.</summary>
    public string FilePath { get; }

    /// <summary>The store of a state directory (&lt;dir&gt;/lightnfv.db), with the directory made or narrowed to 0700 first.</summary>
    public static PlatformStore OpenIn(string stateDirectory, TimeProvider? time = null)
    {
        StoreFileModes.SecureDirectory(stateDirectory);
        return new PlatformStore(Path.Combine(stateDirectory, FileName), time);
    }

    public const string FileName = "lightnfv.db";

    private void Migrate()
    {
        var version = Convert.ToInt32(Scalar("PRAGMA user_version"), CultureInfo.InvariantCulture);
        if (version > SchemaVersion)
        {
            throw new LightNfvException(ErrorKind.Invalid, $"store {_db.DataSource} has schema {version}, newer than this LightNFV ({SchemaVersion}); upgrade LightNFV");
        }
        if (version < 1)
        {
            Exec("""
                CREATE TABLE IF NOT EXISTS instances(
                    id TEXT PRIMARY KEY,
                    name TEXT NOT NULL,
                    tenant TEXT NOT NULL,
                    technology TEXT NOT NULL,
                    state TEXT NOT NULL,
                    address TEXT UNIQUE,
                    descriptor TEXT NOT NULL,
                    backend_data TEXT NOT NULL DEFAULT '{}',
                    created_at TEXT NOT NULL,
                    updated_at TEXT NOT NULL,
                    error TEXT,
                    UNIQUE(tenant, name));
                CREATE TABLE IF NOT EXISTS events(
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    at TEXT NOT NULL,
                    instance_id TEXT,
                    kind TEXT NOT NULL,
                    message TEXT NOT NULL);
                PRAGMA user_version = 1;
                """);
        }
        if (version < 2)
        {
            MigrateToPlatform();
        }
        if (version < 3)
        {
            MigrateToTypedState();
        }
        if (version < 4)
        {
            MigrateToVnfInstances();
        }
        if (version < EventsSchema)
        {
            MigrateToEvents();
        }
        if (version < TenantsSchema)
        {
            MigrateToTenants();
        }
        if (version < TokensSchema)
        {
            MigrateToTokens();
        }
        if (version < AuditSchema)
        {
            MigrateToAudit();
        }
        if (version < AcksSchema)
        {
            MigrateToAcks();
        }
    }

    /// <summary>
    /// Records a new instance in state Creating, with an address chosen under the write lock so two concurrent
    /// runs can never get the same one. Fails with Conflict if the tenant already has an instance of that name.
    /// </summary>
    public InstanceRecord Reserve(string id, VnfDescriptor descriptor, Func<IReadOnlyList<IPAddress>, IPAddress> allocateAddress) =>
        Reserve(id, descriptor, allocateAddress, null);

    /// <summary>As <see cref="Reserve(string, VnfDescriptor, Func{IReadOnlyList{IPAddress}, IPAddress})"/>, as a replica of a deployment (VNF) at a descriptor version.</summary>
    public InstanceRecord Reserve(string id, VnfDescriptor descriptor, Func<IReadOnlyList<IPAddress>, IPAddress> allocateAddress, ReplicaOf? replicaOf)
    {
        lock (_gate)
        {
            using var tx = _db.BeginTransaction(deferred: false);
            // Quota first, in this transaction: a refused request leaves nothing behind, and no concurrent one slips past.
            AdmitIn(descriptor.Metadata.Tenant, TenantUsage.Of(descriptor.Spec.Resources),
                replicaOf is null ? $"running '{descriptor.Metadata.Name}'" : $"a new replica of VNF '{replicaOf.Deployment}'", tx);
            var used = new List<IPAddress>();
            var select = Prepared("SELECT address FROM instances WHERE address IS NOT NULL", tx);
            using (var r = select.ExecuteReader())
            {
                while (r.Read())
                {
                    if (IPAddress.TryParse(r.GetString(0), out var a))
                    {
                        used.Add(a);
                    }
                }
            }
            var address = allocateAddress(used);
            var now = _time.GetUtcNow();
            var record = new InstanceRecord(id, descriptor.Metadata.Name, descriptor.Metadata.Tenant, descriptor.Spec.Technology,
                InstanceState.Creating, address.ToString(), descriptor.Source, InstanceFacts.None, null, now, now, null)
            { Deployment = replicaOf?.Deployment, Version = replicaOf?.Version };
            var insert = Prepared("""
                INSERT INTO instances(id, name, tenant, technology, state, address, descriptor, backend_data, created_at, updated_at, deployment, version)
                VALUES ($id, $name, $tenant, $tech, $state, $address, $descriptor, '{}', $now, $now, $deployment, $version)
                """, tx);
            Bind(insert, ("$id", id), ("$name", record.Name), ("$tenant", record.Tenant), ("$tech", record.Technology.ToName()),
                ("$state", record.State.ToString()), ("$address", record.Address), ("$descriptor", record.Descriptor), ("$now", Stamp(now)),
                ("$deployment", replicaOf?.Deployment), ("$version", replicaOf?.Version));
            try
            {
                insert.ExecuteNonQuery();
            }
            catch (SqliteException e) when (e.SqliteErrorCode == 19 && FindByName(descriptor.Metadata.Tenant, descriptor.Metadata.Name, tx) is { } existing)
            {
                // UNIQUE(tenant, name) decides (no read before the write: this runs on every instantiation).
                throw new LightNfvException(ErrorKind.Conflict,
                    $"metadata.name: an instance named '{descriptor.Metadata.Name}' already exists in tenant '{descriptor.Metadata.Tenant}' (id {existing.Id}, {existing.State.ToString().ToLowerInvariant()}); remove it with 'lightnfv rm {descriptor.Metadata.Name}' or choose another name");
            }
            tx.Commit();
            return record;
        }
    }

    /// <summary>Sets the state and error, and what the backend recorded when <paramref name="instance"/> is given.</summary>
    public InstanceRecord Update(string id, InstanceState state, BackendInstance? instance = null, string? error = null)
    {
        lock (_gate)
        {
            using var cmd = Command(instance is null
                ? "UPDATE instances SET state=$state, error=$error, updated_at=$now WHERE id=$id"
                : "UPDATE instances SET state=$state, error=$error, facts=$facts, backend_state=$backend, updated_at=$now WHERE id=$id");
            cmd.Parameters.AddWithValue("$id", id);
            cmd.Parameters.AddWithValue("$state", state.ToString());
            cmd.Parameters.AddWithValue("$error", (object?)error ?? DBNull.Value);
            cmd.Parameters.AddWithValue("$now", Stamp(_time.GetUtcNow()));
            if (instance is not null)
            {
                cmd.Parameters.AddWithValue("$facts", instance.Facts.ToJson());
                cmd.Parameters.AddWithValue("$backend", (object?)instance.State?.ToJson() ?? DBNull.Value);
            }
            if (cmd.ExecuteNonQuery() == 0)
            {
                throw new LightNfvException(ErrorKind.NotFound, $"instance {id} is not in the store");
            }
            return Get(id)!;
        }
    }

    /// <summary>
    /// A created instance is running: its state, what the backend recorded and the audit event in one transaction (the
    /// last store write on the instantiation path). Returns <paramref name="record"/> as stored, without reading it back.
    /// </summary>
    /// <summary>
    /// Records a started instance and its event; with <paramref name="audit"/>, the caller's audit record too, in the
    /// same transaction (a standalone run's success is one write on the timed path, not two).
    /// </summary>
    public InstanceRecord MarkRunning(InstanceRecord record, BackendInstance instance, string eventKind, string message, Audit.AuditEntry? audit = null)
    {
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            using var tx = _db.BeginTransaction(deferred: false);
            var update = Prepared("UPDATE instances SET state=$state, error=NULL, facts=$facts, backend_state=$backend, updated_at=$now WHERE id=$id", tx);
            Bind(update, ("$id", record.Id), ("$state", nameof(InstanceState.Running)), ("$facts", instance.Facts.ToJson()),
                ("$backend", instance.State?.ToJson()), ("$now", Stamp(now)));
            if (update.ExecuteNonQuery() == 0)
            {
                throw new LightNfvException(ErrorKind.NotFound, $"instance {record.Id} is not in the store");
            }
            var insert = Prepared("INSERT INTO events(at, instance_id, kind, message) VALUES ($at, $id, $kind, $message)", tx);
            Bind(insert, ("$at", Stamp(now)), ("$id", record.Id), ("$kind", eventKind), ("$message", message));
            insert.ExecuteNonQuery();
            if (audit is not null)
            {
                AppendAuditIn(audit, tx);
            }
            tx.Commit();
            return record with { State = InstanceState.Running, Facts = instance.Facts, BackendState = instance.State, UpdatedAt = now, Error = null };
        }
    }

    public bool Delete(string id)
    {
        lock (_gate)
        {
            using var cmd = Command("DELETE FROM instances WHERE id=$id");
            cmd.Parameters.AddWithValue("$id", id);
            return cmd.ExecuteNonQuery() > 0;
        }
    }

    public InstanceRecord? Get(string id)
    {
        lock (_gate)
        {
            using var cmd = Command("SELECT * FROM instances WHERE id=$id");
            cmd.Parameters.AddWithValue("$id", id);
            return ReadAll(cmd).FirstOrDefault();
        }
    }

    public InstanceRecord? FindByName(string tenant, string name, SqliteTransaction? tx = null)
    {
        lock (_gate)
        {
            using var cmd = Command("SELECT * FROM instances WHERE tenant=$tenant AND name=$name", tx);
            cmd.Parameters.AddWithValue("$tenant", tenant);
            cmd.Parameters.AddWithValue("$name", name);
            return ReadAll(cmd).FirstOrDefault();
        }
    }

    /// <summary>Instances whose id starts with <paramref name="prefix"/> or whose name equals it (any tenant).</summary>
    public IReadOnlyList<InstanceRecord> Match(string prefix)
    {
        lock (_gate)
        {
            using var cmd = Command("SELECT * FROM instances WHERE name=$p OR substr(id, 1, length($p))=$p ORDER BY created_at");
            cmd.Parameters.AddWithValue("$p", prefix);
            return ReadAll(cmd);
        }
    }

    public IReadOnlyList<InstanceRecord> List()
    {
        lock (_gate)
        {
            using var cmd = Command("SELECT * FROM instances ORDER BY created_at, id");
            return ReadAll(cmd);
        }
    }

    public void AddEvent(string? instanceId, string kind, string message)
    {
        lock (_gate)
        {
            using var cmd = Command("INSERT INTO events(at, instance_id, kind, message) VALUES ($at, $id, $kind, $message)");
            cmd.Parameters.AddWithValue("$at", Stamp(_time.GetUtcNow()));
            cmd.Parameters.AddWithValue("$id", (object?)instanceId ?? DBNull.Value);
            cmd.Parameters.AddWithValue("$kind", kind);
            cmd.Parameters.AddWithValue("$message", message);
            cmd.ExecuteNonQuery();
        }
    }

    public IReadOnlyList<AuditEvent> Events(int limit = 100)
    {
        lock (_gate)
        {
            using var cmd = Command("SELECT id, at, instance_id, kind, message FROM events ORDER BY id DESC LIMIT $limit");
            cmd.Parameters.AddWithValue("$limit", limit);
            using var r = cmd.ExecuteReader();
            var list = new List<AuditEvent>();
            while (r.Read())
            {
                list.Add(new AuditEvent(r.GetInt64(0), Parse(r.GetString(1)), r.IsDBNull(2) ? null : r.GetString(2), r.GetString(3), r.GetString(4)));
            }
            list.Reverse();
            return list;
        }
    }

    private static List<InstanceRecord> ReadAll(SqliteCommand cmd)
    {
        using var r = cmd.ExecuteReader();
        var list = new List<InstanceRecord>();
        while (r.Read())
        {
            TechnologyNames.TryParse(r.GetString(r.GetOrdinal("technology")), out var tech);
            var errorOrdinal = r.GetOrdinal("error");
            var addressOrdinal = r.GetOrdinal("address");
            list.Add(new InstanceRecord(
                r.GetString(r.GetOrdinal("id")),
                r.GetString(r.GetOrdinal("name")),
                r.GetString(r.GetOrdinal("tenant")),
                tech,
                Enum.Parse<InstanceState>(r.GetString(r.GetOrdinal("state"))),
                r.IsDBNull(addressOrdinal) ? null : r.GetString(addressOrdinal),
                r.GetString(r.GetOrdinal("descriptor")),
                InstanceFacts.FromJson(r.GetString(r.GetOrdinal("facts"))),
                r.IsDBNull(r.GetOrdinal("backend_state")) ? null : new StoredBackendState(r.GetString(r.GetOrdinal("backend_state"))),
                Parse(r.GetString(r.GetOrdinal("created_at"))),
                Parse(r.GetString(r.GetOrdinal("updated_at"))),
                r.IsDBNull(errorOrdinal) ? null : r.GetString(errorOrdinal))
            {
                Deployment = r.IsDBNull(r.GetOrdinal("deployment")) ? null : r.GetString(r.GetOrdinal("deployment")),
                Version = r.IsDBNull(r.GetOrdinal("version")) ? null : r.GetInt32(r.GetOrdinal("version")),
            });
        }
        return list;
    }

    private static string Stamp(DateTimeOffset t) => t.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);

    private static DateTimeOffset Parse(string s) => DateTimeOffset.Parse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);

    private SqliteCommand Command(string sql, SqliteTransaction? tx = null)
    {
        var cmd = _db.CreateCommand();
        cmd.CommandText = sql;
        cmd.Transaction = tx;
        return cmd;
    }

    private readonly Dictionary<string, SqliteCommand> _prepared = new(StringComparer.Ordinal);

    /// <summary>
    /// A command kept for the connection's life, for statements on the instantiation path: SQLite compiles its
    /// statement once instead of on every call. Callers hold the gate and bind every parameter before executing.
    /// </summary>
    private SqliteCommand Prepared(string sql, SqliteTransaction? tx)
    {
        if (!_prepared.TryGetValue(sql, out var cmd))
        {
            cmd = _db.CreateCommand();
            cmd.CommandText = sql;
            _prepared[sql] = cmd;
        }
        cmd.Transaction = tx;
        return cmd;
    }

    private static void Bind(SqliteCommand cmd, params ReadOnlySpan<(string Name, object? Value)> values)
    {
        foreach (var (name, value) in values)
        {
            if (cmd.Parameters.Contains(name))
            {
                cmd.Parameters[name].Value = value ?? DBNull.Value;
            }
            else
            {
                cmd.Parameters.AddWithValue(name, value ?? DBNull.Value);
            }
        }
    }

    private void Exec(string sql)
    {
        using var cmd = Command(sql);
        cmd.ExecuteNonQuery();
    }

    private object? Scalar(string sql)
    {
        using var cmd = Command(sql);
        return cmd.ExecuteScalar();
    }

    public void Dispose()
    {
        foreach (var cmd in _prepared.Values)
        {
            cmd.Dispose();
        }
        _db.Dispose();
    }
}
