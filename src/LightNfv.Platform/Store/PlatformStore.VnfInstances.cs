using LightNfv.Core.Errors;
using Microsoft.Data.Sqlite;

namespace LightNfv.Platform.Store;

/// <summary>
/// A VNF instance (ETSI SOL003 VnfInstance, adapted): a resource with its own id that exists before and after its VNF
/// runs. LightNFV runs one VNF per descriptor name and tenant, so an instance names that descriptor
/// (<see cref="VnfdName"/>) and is instantiated exactly while the descriptor's deployment exists.
/// </summary>
public sealed record VnfInstanceRecord(string Id, string Tenant, string VnfdName, int? VnfdVersion, string? InstanceName, string? Description,
    DateTimeOffset CreatedAt);

/// <summary>How the state of one operation occurrence changes (retry, rollback, fail, cancel).</summary>
/// <param name="From">The states it may change from; any other answers a conflict naming the current state.</param>
/// <param name="To">The state it goes to.</param>
/// <param name="Error">The error to record (null clears it).</param>
/// <param name="Restart">Restart the occurrence's clock (a retry gets its full bound again, and failed replicas are replaced anew).</param>
/// <param name="Desired">Desired state to write in the same transaction (rollback); with <paramref name="Terminate"/> none (deployment removed).</param>
public sealed record OperationTransition(IReadOnlyList<OperationState> From, OperationState To, string? Error = null, bool Restart = false,
    Deployment? Desired = null, bool Terminate = false);

public sealed partial class PlatformStore
{
    /// <summary>
    /// Raised after an operation occurrence is recorded or changes state (outside the store's lock), for the
    /// SOL003 events. Only occurrences started through the LCM API (<see cref="LcmOperation"/> not null) are raised.
    /// </summary>
    public event Action<OperationRecord, string>? OperationChanged;

    /// <summary>
    /// Schema 4: VNF instance ids. Every deployment (a VNF running before the upgrade) gets an instance with a new
    /// UUID; operations get the SOL003 operation that started them (null for those started any other way), which
    /// also decides whether a failure stops at FailedTemp (to retry or roll back) or rolls back by itself as before.
    /// </summary>
    private void MigrateToVnfInstances()
    {
        using var tx = _db.BeginTransaction(deferred: false);
        using (var cmd = Command("""
            CREATE TABLE vnf_instances(
                id TEXT PRIMARY KEY, tenant TEXT NOT NULL, vnfd_name TEXT NOT NULL, vnfd_version INTEGER,
                instance_name TEXT, description TEXT, created_at TEXT NOT NULL,
                UNIQUE(tenant, vnfd_name));
            ALTER TABLE operations ADD COLUMN lcm_operation TEXT;
            """, tx))
        {
            cmd.ExecuteNonQuery();
        }
        var deployments = new List<(string Tenant, string Name, int Version, string CreatedAt)>();
        using (var select = Command("SELECT tenant, name, version, created_at FROM deployments", tx))
        using (var r = select.ExecuteReader())
        {
            while (r.Read())
            {
                deployments.Add((r.GetString(0), r.GetString(1), r.GetInt32(2), r.GetString(3)));
            }
        }
        foreach (var (tenant, name, version, createdAt) in deployments)
        {
            using var insert = Command("""
                INSERT INTO vnf_instances(id, tenant, vnfd_name, vnfd_version, instance_name, created_at) VALUES ($id, $t, $n, $v, $n, $at)
                """, tx);
            Bind(insert, ("$id", Guid.NewGuid().ToString()), ("$t", tenant), ("$n", name), ("$v", version), ("$at", createdAt));
            insert.ExecuteNonQuery();
        }
        using (var version = Command("PRAGMA user_version = 4;", tx))
        {
            version.ExecuteNonQuery();
        }
        tx.Commit();
    }

    /// <summary>Every VNF that runs has an instance id: one instantiated by name (the /api/v1 way) gets one here.</summary>
    private void EnsureVnfInstance(SqliteTransaction tx, string tenant, string name, int version, DateTimeOffset now)
    {
        using var cmd = Command("""
            INSERT INTO vnf_instances(id, tenant, vnfd_name, vnfd_version, instance_name, created_at) VALUES ($id, $t, $n, $v, $n, $at)
            ON CONFLICT(tenant, vnfd_name) DO NOTHING
            """, tx);
        Bind(cmd, ("$id", Guid.NewGuid().ToString()), ("$t", tenant), ("$n", name), ("$v", version), ("$at", Stamp(now)));
        cmd.ExecuteNonQuery();
    }

    /// <summary>Creates a VNF instance of a descriptor; Conflict when the descriptor already has one (one VNF per descriptor name).</summary>
    public VnfInstanceRecord AddVnfInstance(string tenant, string vnfdName, int? vnfdVersion, string? instanceName, string? description)
    {
        lock (_gate)
        {
            var record = new VnfInstanceRecord(Guid.NewGuid().ToString(), tenant, vnfdName, vnfdVersion, instanceName, description, _time.GetUtcNow());
            using var cmd = Command("""
                INSERT INTO vnf_instances(id, tenant, vnfd_name, vnfd_version, instance_name, description, created_at)
                VALUES ($id, $t, $n, $v, $name, $d, $at)
                """);
            Bind(cmd, ("$id", record.Id), ("$t", tenant), ("$n", vnfdName), ("$v", vnfdVersion), ("$name", instanceName), ("$d", description),
                ("$at", Stamp(record.CreatedAt)));
            try
            {
                cmd.ExecuteNonQuery();
            }
            catch (SqliteException e) when (e.SqliteErrorCode == 19)
            {
                var existing = VnfInstanceOf(tenant, vnfdName);
                throw new LightNfvException(ErrorKind.Conflict,
                    $"vnfdId: descriptor '{vnfdName}' already has VNF instance {existing?.Id} (LightNFV runs one VNF per descriptor name); use that instance, or DELETE it first");
            }
            return record;
        }
    }

    public VnfInstanceRecord? VnfInstance(string id) => VnfInstances(id: id).FirstOrDefault();

    public VnfInstanceRecord? VnfInstanceOf(string tenant, string vnfdName) =>
        VnfInstances().FirstOrDefault(v => v.Tenant == tenant && v.VnfdName == vnfdName);

    public IReadOnlyList<VnfInstanceRecord> VnfInstances(string? id = null)
    {
        lock (_gate)
        {
            using var cmd = Command("""
                SELECT id, tenant, vnfd_name, vnfd_version, instance_name, description, created_at FROM vnf_instances
                WHERE ($id IS NULL OR id=$id) ORDER BY created_at, id
                """);
            cmd.Parameters.AddWithValue("$id", (object?)id ?? DBNull.Value);
            using var r = cmd.ExecuteReader();
            var list = new List<VnfInstanceRecord>();
            while (r.Read())
            {
                list.Add(new VnfInstanceRecord(r.GetString(0), r.GetString(1), r.GetString(2), r.IsDBNull(3) ? null : r.GetInt32(3),
                    r.IsDBNull(4) ? null : r.GetString(4), r.IsDBNull(5) ? null : r.GetString(5), Parse(r.GetString(6))));
            }
            return list;
        }
    }

    /// <summary>Deletes a VNF instance; State (409) while its VNF is instantiated.</summary>
    public bool DeleteVnfInstance(string id)
    {
        lock (_gate)
        {
            if (VnfInstance(id) is not { } v)
            {
                return false;
            }
            if (Deployment(v.Tenant, v.VnfdName) is not null)
            {
                throw new LightNfvException(ErrorKind.Conflict,
                    $"id: VNF instance {id} is INSTANTIATED; terminate it first (POST /vnflcm/v1/vnf_instances/{id}/terminate)");
            }
            using var cmd = Command("DELETE FROM vnf_instances WHERE id=$id");
            cmd.Parameters.AddWithValue("$id", id);
            return cmd.ExecuteNonQuery() > 0;
        }
    }

    private static readonly AsyncLocal<string?> _lcmScope = new();

    /// <summary>
    /// Operations begun until the scope is disposed are LCM-API operations named <paramref name="lcmOperation"/>
    /// (INSTANTIATE, SCALE, ...): recorded so in the same transaction that begins them, before the reconciler can act.
    /// </summary>
    public static IDisposable LcmScope(string lcmOperation)
    {
        var outer = _lcmScope.Value;
        _lcmScope.Value = lcmOperation;
        return new ScopeEnd(() => _lcmScope.Value = outer);
    }

    private sealed class ScopeEnd(Action end) : IDisposable
    {
        public void Dispose() => end();
    }

    /// <summary>The SOL003 operation that started an operation, or null when it was not started through the LCM API.</summary>
    public string? LcmOperation(string operationId)
    {
        lock (_gate)
        {
            using var cmd = Command("SELECT lcm_operation FROM operations WHERE id=$id");
            cmd.Parameters.AddWithValue("$id", operationId);
            return cmd.ExecuteScalar() as string;
        }
    }

    /// <summary>
    /// Changes an operation's state if it is in one of <see cref="OperationTransition.From"/>, with the desired state it
    /// asks for, in one transaction (compare and set: two concurrent requests cannot both retry or roll back).
    /// State (409) naming the current state otherwise; NotFound for an unknown id.
    /// </summary>
    public OperationRecord TransitionOperation(string id, OperationTransition t)
    {
        OperationRecord changed;
        lock (_gate)
        {
            var op = Operation(id) ?? throw new LightNfvException(ErrorKind.NotFound, $"id: no operation occurrence '{id}'");
            using var tx = _db.BeginTransaction(deferred: false);
            var now = _time.GetUtcNow();
            if (t.Desired is not null || t.Terminate)
            {
                using var write = Command(t.Terminate ? "DELETE FROM deployments WHERE tenant=$t AND name=$n"
                    : "UPDATE deployments SET version=$v, replicas=$r, updated_at=$now WHERE tenant=$t AND name=$n", tx);
                Bind(write, ("$t", op.Tenant), ("$n", op.Deployment), ("$v", t.Desired?.Version), ("$r", t.Desired?.Replicas), ("$now", Stamp(now)));
                write.ExecuteNonQuery();
            }
            using var update = Command($"""
                UPDATE operations SET state=$to, error=$e, updated_at=$now{(t.Restart ? ", created_at=$now" : "")}
                WHERE id=$id AND state IN ({string.Join(", ", t.From.Select(s => $"'{s}'"))})
                """, tx);
            Bind(update, ("$id", id), ("$to", t.To.ToString()), ("$e", t.Error), ("$now", Stamp(now)));
            if (update.ExecuteNonQuery() == 0)
            {
                throw new LightNfvException(ErrorKind.Conflict,
                    $"id: operation occurrence {id} is {Sol003State(op.State)}; this is allowed only in {string.Join(" or ", t.From.Select(Sol003State))}");
            }
            tx.Commit();
            changed = Operation(id)!;
        }
        if (LcmOperation(id) is { } lcm)
        {
            RaiseOperationChanged(changed, lcm);
        }
        return changed;
    }

    /// <summary>The SOL003 spelling of a state (FAILED_TEMP, ROLLED_BACK, ...).</summary>
    public static string Sol003State(OperationState s) => s switch
    {
        OperationState.FailedTemp => "FAILED_TEMP",
        OperationState.RolledBack => "ROLLED_BACK",
        OperationState.RollingBack => "ROLLING_BACK",
        _ => s.ToString().ToUpperInvariant(),
    };

    /// <summary>A failure of an LCM-API operation stops at FailedTemp, to be retried, rolled back or failed by the caller.</summary>
    private OperationState FailureStateOf(string id, OperationState state) =>
        state == OperationState.Failed && LcmOperationLocked(id) is not null ? OperationState.FailedTemp : state;

    private string? LcmOperationLocked(string id)
    {
        using var cmd = Command("SELECT lcm_operation FROM operations WHERE id=$id");
        cmd.Parameters.AddWithValue("$id", id);
        return cmd.ExecuteScalar() as string;
    }

    private void RaiseOperationChanged(OperationRecord op, string lcmOperation)
    {
        try
        {
            OperationChanged?.Invoke(op, lcmOperation);
        }
        catch (Exception e) when (e is LightNfvException or IOException or SqliteException)
        {
            // An event that cannot be raised must not undo the state change it reports (the store is the record).
            System.Diagnostics.Trace.TraceWarning($"operation {op.Id} event not raised: {e.Message}");
        }
    }
}
