using System.Globalization;
using LightNfv.Core.Descriptors;
using LightNfv.Core.Errors;
using LightNfv.Core.Tenants;
using LightNfv.Platform.Control.Admission;
using Microsoft.Data.Sqlite;

namespace LightNfv.Platform.Store;

/// <summary>A tenant as the store keeps it: its name, its quota (null limits are unlimited) and when it was made.</summary>
public sealed record TenantRecord(string Name, TenantQuota Quota, DateTimeOffset CreatedAt);

public sealed partial class PlatformStore
{
    private const int TenantsSchema = 6;

    /// <summary>
    /// Schema 6: tenants as objects, each with its quota. Every tenant name already in use (instances, descriptors,
    /// VNFs) and `default` become tenants without limits, so nothing stored before is refused afterwards. No foreign
    /// keys to other tables: a tenant is named by the same string everywhere (metadata.tenant).
    /// </summary>
    private void MigrateToTenants()
    {
        using var tx = _db.BeginTransaction(deferred: false);
        using (var cmd = Command($$"""
            CREATE TABLE IF NOT EXISTS tenants(
                name TEXT PRIMARY KEY,
                max_instances INTEGER, max_vcpus INTEGER, max_memory_mib INTEGER, max_pids INTEGER, max_vnfs INTEGER,
                created_at TEXT NOT NULL);
            INSERT OR IGNORE INTO tenants(name, created_at)
                SELECT 'default', $now UNION SELECT tenant, $now FROM instances
                UNION SELECT tenant, $now FROM descriptors UNION SELECT tenant, $now FROM deployments;
            PRAGMA user_version = {{TenantsSchema}};
            """, tx))
        {
            cmd.Parameters.AddWithValue("$now", Stamp(_time.GetUtcNow()));
            cmd.ExecuteNonQuery();
        }
        tx.Commit();
    }

    public IReadOnlyList<TenantRecord> Tenants()
    {
        lock (_gate)
        {
            using var cmd = Command("SELECT * FROM tenants ORDER BY name");
            return ReadTenants(cmd);
        }
    }

    public TenantRecord? Tenant(string name)
    {
        lock (_gate)
        {
            return TenantIn(name, null);
        }
    }

    /// <summary>Creates a tenant; Conflict if it exists.</summary>
    public TenantRecord CreateTenant(string name, TenantQuota quota)
    {
        TenantResources.CheckName(name);
        quota.Checked();
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            using var cmd = Command("""
                INSERT INTO tenants(name, max_instances, max_vcpus, max_memory_mib, max_pids, max_vnfs, created_at)
                VALUES ($n, $i, $c, $m, $p, $v, $now) ON CONFLICT(name) DO NOTHING
                """);
            BindQuota(cmd, name, quota);
            cmd.Parameters.AddWithValue("$now", Stamp(now));
            if (cmd.ExecuteNonQuery() == 0)
            {
                throw new LightNfvException(ErrorKind.Conflict,
                    $"name: tenant '{name}' already exists; change its quota with 'lightnfv tenant set-quota {name} ...'");
            }
            return new TenantRecord(name, quota, now);
        }
    }

    /// <summary>Replaces a tenant's quota (a lower limit than its use is allowed: it stops growth, removes nothing).</summary>
    public TenantRecord SetQuota(string name, TenantQuota quota)
    {
        quota.Checked();
        lock (_gate)
        {
            using var cmd = Command("""
                UPDATE tenants SET max_instances=$i, max_vcpus=$c, max_memory_mib=$m, max_pids=$p, max_vnfs=$v WHERE name=$n
                """);
            BindQuota(cmd, name, quota);
            if (cmd.ExecuteNonQuery() == 0)
            {
                throw NoTenant(name);
            }
            return TenantIn(name, null)!;
        }
    }

    /// <summary>Deletes a tenant that owns nothing; refused (Conflict, naming what it owns) otherwise, and for `default`.</summary>
    public void DeleteTenant(string name)
    {
        if (name == TenantResources.DefaultTenant)
        {
            throw new LightNfvException(ErrorKind.Conflict, "name: the 'default' tenant always exists (descriptors without metadata.tenant use it); it cannot be deleted");
        }
        lock (_gate)
        {
            using var tx = _db.BeginTransaction(deferred: false);
            if (TenantIn(name, tx) is null)
            {
                throw NoTenant(name);
            }
            var owned = new List<string>();
            using (var cmd = Command("""
                SELECT 'instance ' || name FROM instances WHERE tenant=$n
                UNION ALL SELECT DISTINCT 'VNF ' || name FROM descriptors WHERE tenant=$n
                UNION ALL SELECT 'VNF ' || name FROM deployments WHERE tenant=$n AND name NOT IN (SELECT name FROM descriptors WHERE tenant=$n)
                """, tx))
            {
                cmd.Parameters.AddWithValue("$n", name);
                using var r = cmd.ExecuteReader();
                while (r.Read())
                {
                    owned.Add(r.GetString(0));
                }
            }
            if (owned.Count > 0)
            {
                var shown = string.Join(", ", owned.Take(10)) + (owned.Count > 10 ? $" and {owned.Count - 10} more" : "");
                throw new LightNfvException(ErrorKind.Conflict,
                    $"name: tenant '{name}' still owns {shown}; remove them first ('lightnfv vnf terminate', 'lightnfv rm', DELETE /api/v1/descriptors/NAME)");
            }
            using (var cmd = Command("DELETE FROM tenants WHERE name=$n", tx))
            {
                cmd.Parameters.AddWithValue("$n", name);
                cmd.ExecuteNonQuery();
            }
            tx.Commit();
        }
    }

    /// <summary>What a tenant holds now: its instances and the resources they declare, and its VNFs (descriptor names).</summary>
    public TenantUsage Usage(string tenant)
    {
        lock (_gate)
        {
            return UsageIn(tenant, null);
        }
    }

    /// <summary>
    /// Refuses (<see cref="ErrorKind.Quota"/>) a request that would cross the tenant's quota, before any side effect of
    /// it; the reservation that follows checks again, atomically (a tenant not yet made has no limits).
    /// </summary>
    /// <param name="freed">What the request removes first (a heal by recreation), as the reservation will see it.</param>
    public void CheckQuota(string tenant, TenantUsage needed, string action, TenantUsage? freed = null)
    {
        lock (_gate)
        {
            if (TenantIn(tenant, null)?.Quota is { Limited: true } quota)
            {
                QuotaAdmission.Admit(tenant, quota, UsageIn(tenant, null).Minus(freed ?? TenantUsage.None), needed, action);
            }
        }
    }

    /// <summary>
    /// Admission inside the caller's write transaction: the tenant is made if it is new (a tenant is created on first
    /// use, so descriptors naming any tenant keep working), then <see cref="QuotaAdmission"/> decides with the usage read
    /// in the same transaction, so two concurrent requests cannot both take the last of a quota.
    /// </summary>
    private void AdmitIn(string tenant, TenantUsage needed, string action, SqliteTransaction tx)
    {
        // Prepared: this runs on every instantiation (the bench times that path).
        var quota = TenantIn(tenant, tx)?.Quota;
        if (quota is null)
        {
            var insert = Prepared("INSERT OR IGNORE INTO tenants(name, created_at) VALUES ($n, $now)", tx);
            Bind(insert, ("$n", tenant), ("$now", Stamp(_time.GetUtcNow())));
            insert.ExecuteNonQuery();
            return;
        }
        if (quota.Limited)
        {
            QuotaAdmission.Admit(tenant, quota, UsageIn(tenant, tx), needed, action);
        }
    }

    private TenantUsage UsageIn(string tenant, SqliteTransaction? tx)
    {
        var usage = TenantUsage.None;
        using (var cmd = Command("SELECT descriptor FROM instances WHERE tenant=$t", tx))
        {
            cmd.Parameters.AddWithValue("$t", tenant);
            using var r = cmd.ExecuteReader();
            while (r.Read())
            {
                usage = usage.Plus(TenantUsage.Of(ResourcesOf(r.GetString(0))));
            }
        }
        using (var cmd = Command("SELECT count(DISTINCT name) FROM descriptors WHERE tenant=$t", tx))
        {
            cmd.Parameters.AddWithValue("$t", tenant);
            usage = usage with { Vnfs = Convert.ToInt32(cmd.ExecuteScalar(), CultureInfo.InvariantCulture) };
        }
        return usage;
    }

    /// <summary>The resources an instance's stored descriptor declares (the defaults for one no longer parseable).</summary>
    private static ResourceSpec ResourcesOf(string source)
    {
        try
        {
            return DescriptorParser.Parse(source).Spec.Resources;
        }
        catch (LightNfvException)
        {
            return ResourceSpec.Default;
        }
    }

    private TenantRecord? TenantIn(string name, SqliteTransaction? tx)
    {
        // Prepared: the quota check before every instantiation reads it.
        var cmd = Prepared("SELECT * FROM tenants WHERE name=$n", tx);
        Bind(cmd, ("$n", name));
        return ReadTenants(cmd).FirstOrDefault();
    }

    private static LightNfvException NoTenant(string name) =>
        new(ErrorKind.NotFound, $"name: no tenant named '{name}'; 'lightnfv tenant ls' lists them, 'lightnfv tenant create {name}' makes it");

    private static void BindQuota(SqliteCommand cmd, string name, TenantQuota q)
    {
        cmd.Parameters.AddWithValue("$n", name);
        cmd.Parameters.AddWithValue("$i", (object?)q.Instances ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$c", (object?)q.Vcpus ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$m", (object?)q.MemoryMiB ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$p", (object?)q.Pids ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$v", (object?)q.Vnfs ?? DBNull.Value);
    }

    private static List<TenantRecord> ReadTenants(SqliteCommand cmd)
    {
        using var r = cmd.ExecuteReader();
        var list = new List<TenantRecord>();
        int? Limit(string column) => r.IsDBNull(r.GetOrdinal(column)) ? null : r.GetInt32(r.GetOrdinal(column));
        while (r.Read())
        {
            list.Add(new TenantRecord(r.GetString(r.GetOrdinal("name")),
                new TenantQuota(Limit("max_instances"), Limit("max_vcpus"), Limit("max_memory_mib"), Limit("max_pids"), Limit("max_vnfs")),
                Parse(r.GetString(r.GetOrdinal("created_at")))));
        }
        return list;
    }
}
