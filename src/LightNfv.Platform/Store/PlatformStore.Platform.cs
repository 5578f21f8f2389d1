using System.Text.Json;
using LightNfv.Core.Errors;
using LightNfv.Core.Tenants;
using Microsoft.Data.Sqlite;

namespace LightNfv.Platform.Store;

/// <summary>A stored descriptor version: the YAML exactly as given, numbered from 1 per (tenant, name).</summary>
public sealed record DescriptorVersion(string Tenant, string Name, int Version, string Source, DateTimeOffset CreatedAt);

/// <summary>A VNF's desired state: which descriptor version, how many replicas. The reconciler drives the host to it.</summary>
public sealed record Deployment(string Tenant, string Name, int Version, int Replicas, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

/// <summary>
/// States of a lifecycle operation occurrence (ETSI SOL003 LcmOpOcc). FailedTemp and RollingBack are reached only by
/// operations started through the LCM API (/vnflcm/v1); Starting is reported in events, not stored.
/// </summary>
public enum OperationState
{
    Processing,
    Completed,
    Failed,
    RolledBack,
    Starting,
    FailedTemp,
    RollingBack,
}

/// <summary>One lifecycle operation: what was asked, on which VNF, and how it ended. Written before any side effect.</summary>
public sealed record OperationRecord(
    string Id,
    string Kind,
    string Tenant,
    string Deployment,
    OperationState State,
    IReadOnlyDictionary<string, string> Parameters,
    string? Error,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt);

public sealed partial class PlatformStore
{
    /// <summary>Schema 2: the daemon's tables. Additive: schema-1 instances and events are kept as they are.</summary>
    private void MigrateToPlatform()
    {
        using var tx = _db.BeginTransaction(deferred: false);
        using (var cmd = Command("""
            ALTER TABLE instances ADD COLUMN deployment TEXT;
            ALTER TABLE instances ADD COLUMN version INTEGER;
            CREATE TABLE descriptors(
                tenant TEXT NOT NULL, name TEXT NOT NULL, version INTEGER NOT NULL,
                source TEXT NOT NULL, created_at TEXT NOT NULL,
                PRIMARY KEY(tenant, name, version));
            CREATE TABLE deployments(
                tenant TEXT NOT NULL, name TEXT NOT NULL, version INTEGER NOT NULL, replicas INTEGER NOT NULL,
                created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
                PRIMARY KEY(tenant, name));
            CREATE TABLE operations(
                id TEXT PRIMARY KEY, kind TEXT NOT NULL, tenant TEXT NOT NULL, deployment TEXT NOT NULL,
                state TEXT NOT NULL, params TEXT NOT NULL DEFAULT '{}', error TEXT,
                created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
            CREATE INDEX operations_state ON operations(state);
            CREATE TABLE alerts(
                id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, kind TEXT NOT NULL,
                tenant TEXT, deployment TEXT, instance_id TEXT, message TEXT NOT NULL);
            CREATE TABLE subscriptions(
                id TEXT PRIMARY KEY, callback TEXT NOT NULL, kinds TEXT NOT NULL DEFAULT '[]', created_at TEXT NOT NULL);
            PRAGMA user_version = 2;
            """, tx))
        {
            cmd.ExecuteNonQuery();
        }
        tx.Commit();
    }

    // ---- descriptors ------------------------------------------------------------------------------

    /// <summary>Stores a new version of a descriptor (1 for a new name); returns it.</summary>
    public DescriptorVersion AddDescriptor(string tenant, string name, string source)
    {
        lock (_gate)
        {
            using var tx = _db.BeginTransaction(deferred: false);
            int next;
            using (var cmd = Command("SELECT COALESCE(MAX(version), 0) + 1 FROM descriptors WHERE tenant=$t AND name=$n", tx))
            {
                cmd.Parameters.AddWithValue("$t", tenant);
                cmd.Parameters.AddWithValue("$n", name);
                next = Convert.ToInt32(cmd.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
            }
            // A new name is a new VNF of the tenant (its quota's maxVnfs); a new version of one is not.
            AdmitIn(tenant, TenantUsage.None with { Vnfs = next == 1 ? 1 : 0 }, $"creating VNF '{name}'", tx);
            var now = _time.GetUtcNow();
            using (var cmd = Command("INSERT INTO descriptors(tenant, name, version, source, created_at) VALUES ($t, $n, $v, $s, $now)", tx))
            {
                cmd.Parameters.AddWithValue("$t", tenant);
                cmd.Parameters.AddWithValue("$n", name);
                cmd.Parameters.AddWithValue("$v", next);
                cmd.Parameters.AddWithValue("$s", source);
                cmd.Parameters.AddWithValue("$now", Stamp(now));
                cmd.ExecuteNonQuery();
            }
            tx.Commit();
            return new DescriptorVersion(tenant, name, next, source, now);
        }
    }

    /// <summary>Every version of one descriptor, oldest first (empty if none).</summary>
    public IReadOnlyList<DescriptorVersion> DescriptorVersions(string tenant, string name)
    {
        lock (_gate)
        {
            using var cmd = Command("SELECT tenant, name, version, source, created_at FROM descriptors WHERE tenant=$t AND name=$n ORDER BY version");
            cmd.Parameters.AddWithValue("$t", tenant);
            cmd.Parameters.AddWithValue("$n", name);
            return ReadDescriptors(cmd);
        }
    }

    /// <summary>The latest version of every descriptor.</summary>
    public IReadOnlyList<DescriptorVersion> LatestDescriptors()
    {
        lock (_gate)
        {
            using var cmd = Command("""
                SELECT d.tenant, d.name, d.version, d.source, d.created_at FROM descriptors d
                WHERE d.version = (SELECT MAX(version) FROM descriptors x WHERE x.tenant=d.tenant AND x.name=d.name)
                ORDER BY d.tenant, d.name
                """);
            return ReadDescriptors(cmd);
        }
    }

    public DescriptorVersion? Descriptor(string tenant, string name, int? version = null)
    {
        var all = DescriptorVersions(tenant, name);
        return version is { } v ? all.FirstOrDefault(d => d.Version == v) : all.LastOrDefault();
    }

    /// <summary>Deletes every version of a descriptor; refuses while a deployment uses it.</summary>
    public bool DeleteDescriptor(string tenant, string name)
    {
        lock (_gate)
        {
            if (Deployment(tenant, name) is not null)
            {
                throw new LightNfvException(ErrorKind.State,
                    $"name: descriptor '{name}' is instantiated; terminate it first: 'lightnfv vnf terminate {name}'");
            }
            using var cmd = Command("DELETE FROM descriptors WHERE tenant=$t AND name=$n");
            cmd.Parameters.AddWithValue("$t", tenant);
            cmd.Parameters.AddWithValue("$n", name);
            return cmd.ExecuteNonQuery() > 0;
        }
    }

    private static List<DescriptorVersion> ReadDescriptors(SqliteCommand cmd)
    {
        using var r = cmd.ExecuteReader();
        var list = new List<DescriptorVersion>();
        while (r.Read())
        {
            list.Add(new DescriptorVersion(r.GetString(0), r.GetString(1), r.GetInt32(2), r.GetString(3), Parse(r.GetString(4))));
        }
        return list;
    }

    // ---- deployments and operations ---------------------------------------------------------------

    /// <summary>
    /// Writes desired state and the operation that asks for it in one transaction, before any side effect:
    /// after a crash the reconciler finds both and finishes (or rolls back) the operation.
    /// <paramref name="desired"/> null deletes the deployment (terminate).
    /// </summary>
    public OperationRecord BeginOperation(string kind, string tenant, string name, Deployment? desired, IReadOnlyDictionary<string, string> parameters)
    {
        var lcm = _lcmScope.Value;
        var op = BeginOperationLocked(kind, tenant, name, desired, parameters, lcm);
        if (lcm is not null)
        {
            RaiseOperationChanged(op with { State = OperationState.Starting }, lcm);
            RaiseOperationChanged(op, lcm);
        }
        return op;
    }

    private OperationRecord BeginOperationLocked(string kind, string tenant, string name, Deployment? desired, IReadOnlyDictionary<string, string> parameters,
        string? lcm)
    {
        lock (_gate)
        {
            using var tx = _db.BeginTransaction(deferred: false);
            var now = _time.GetUtcNow();
            if (desired is not null)
            {
                using var cmd = Command("""
                    INSERT INTO deployments(tenant, name, version, replicas, created_at, updated_at) VALUES ($t, $n, $v, $r, $now, $now)
                    ON CONFLICT(tenant, name) DO UPDATE SET version=$v, replicas=$r, updated_at=$now
                    """, tx);
                cmd.Parameters.AddWithValue("$t", tenant);
                cmd.Parameters.AddWithValue("$n", name);
                cmd.Parameters.AddWithValue("$v", desired.Version);
                cmd.Parameters.AddWithValue("$r", desired.Replicas);
                cmd.Parameters.AddWithValue("$now", Stamp(now));
                cmd.ExecuteNonQuery();
                EnsureVnfInstance(tx, tenant, name, desired.Version, now);
            }
            else
            {
                using var cmd = Command("DELETE FROM deployments WHERE tenant=$t AND name=$n", tx);
                cmd.Parameters.AddWithValue("$t", tenant);
                cmd.Parameters.AddWithValue("$n", name);
                cmd.ExecuteNonQuery();
            }
            var op = new OperationRecord(Core.Instances.InstanceId.New(), kind, tenant, name, OperationState.Processing, parameters, null, now, now);
            using (var cmd = Command("""
                INSERT INTO operations(id, kind, tenant, deployment, state, params, created_at, updated_at, lcm_operation)
                VALUES ($id, $kind, $t, $n, $state, $params, $now, $now, $lcm)
                """, tx))
            {
                cmd.Parameters.AddWithValue("$lcm", (object?)lcm ?? DBNull.Value);
                cmd.Parameters.AddWithValue("$id", op.Id);
                cmd.Parameters.AddWithValue("$kind", kind);
                cmd.Parameters.AddWithValue("$t", tenant);
                cmd.Parameters.AddWithValue("$n", name);
                cmd.Parameters.AddWithValue("$state", op.State.ToString());
                cmd.Parameters.AddWithValue("$params", JsonSerializer.Serialize(parameters));
                cmd.Parameters.AddWithValue("$now", Stamp(now));
                cmd.ExecuteNonQuery();
            }
            tx.Commit();
            return op;
        }
    }

    /// <summary>
    /// Ends an operation; a failure of one started through the LCM API stops at FailedTemp instead (see schema 4), and
    /// one of those is only ended from Processing or RollingBack (a heal or operate that ends after a cancel leaves it as cancelled).
    /// </summary>
    public OperationRecord FinishOperation(string id, OperationState state, string? error = null)
    {
        OperationRecord op;
        string? lcm;
        int changed;
        lock (_gate)
        {
            using var cmd = Command("""
                UPDATE operations SET state=$s, error=$e, updated_at=$now
                WHERE id=$id AND (lcm_operation IS NULL OR state IN ('Processing', 'RollingBack'))
                """);
            cmd.Parameters.AddWithValue("$id", id);
            cmd.Parameters.AddWithValue("$s", FailureStateOf(id, state).ToString());
            cmd.Parameters.AddWithValue("$e", (object?)error ?? DBNull.Value);
            cmd.Parameters.AddWithValue("$now", Stamp(_time.GetUtcNow()));
            changed = cmd.ExecuteNonQuery();
            op = Operation(id)!;
            lcm = LcmOperationLocked(id);
        }
        if (lcm is not null && changed > 0)
        {
            RaiseOperationChanged(op, lcm);
        }
        return op;
    }

    public Deployment? Deployment(string tenant, string name) =>
        Deployments().FirstOrDefault(d => d.Tenant == tenant && d.Name == name);

    public IReadOnlyList<Deployment> Deployments()
    {
        lock (_gate)
        {
            using var cmd = Command("SELECT tenant, name, version, replicas, created_at, updated_at FROM deployments ORDER BY tenant, name");
            using var r = cmd.ExecuteReader();
            var list = new List<Deployment>();
            while (r.Read())
            {
                list.Add(new Deployment(r.GetString(0), r.GetString(1), r.GetInt32(2), r.GetInt32(3), Parse(r.GetString(4)), Parse(r.GetString(5))));
            }
            return list;
        }
    }

    public OperationRecord? Operation(string id) => Operations(id: id).FirstOrDefault();

    /// <summary>Operations, newest first; filtered by state or id.</summary>
    public IReadOnlyList<OperationRecord> Operations(OperationState? state = null, string? id = null, int limit = 200)
    {
        lock (_gate)
        {
            using var cmd = Command("""
                SELECT id, kind, tenant, deployment, state, params, error, created_at, updated_at FROM operations
                WHERE ($s IS NULL OR state=$s) AND ($id IS NULL OR id=$id) ORDER BY created_at DESC, rowid DESC LIMIT $limit
                """);
            cmd.Parameters.AddWithValue("$s", (object?)state?.ToString() ?? DBNull.Value);
            cmd.Parameters.AddWithValue("$id", (object?)id ?? DBNull.Value);
            cmd.Parameters.AddWithValue("$limit", limit);
            using var r = cmd.ExecuteReader();
            var list = new List<OperationRecord>();
            while (r.Read())
            {
                list.Add(new OperationRecord(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), Enum.Parse<OperationState>(r.GetString(4)),
                    JsonSerializer.Deserialize<Dictionary<string, string>>(r.GetString(5)) ?? new(),
                    r.IsDBNull(6) ? null : r.GetString(6), Parse(r.GetString(7)), Parse(r.GetString(8))));
            }
            return list;
        }
    }
}
