using LightNfv.Platform.Audit;
using Microsoft.Data.Sqlite;

namespace LightNfv.Platform.Store;

public sealed partial class PlatformStore
{
    private const int AuditSchema = 8;

    /// <summary>
    /// Schema 8: the audit trail (table audit, one row per record, chained by hash) and its head (table audit_head, one
    /// row: the newest record's sequence number and hash), kept apart so that deleting the newest records is seen too.
    /// Only its own tables: it runs whether or not the tenants (6) and tokens (7) steps ran.
    /// </summary>
    private void MigrateToAudit()
    {
        using var tx = _db.BeginTransaction(deferred: false);
        using (var cmd = Command($$"""
            CREATE TABLE IF NOT EXISTS audit(
                seq INTEGER PRIMARY KEY,
                at TEXT NOT NULL,
                actor TEXT NOT NULL,
                tenant TEXT,
                action TEXT NOT NULL,
                target TEXT NOT NULL,
                parameters TEXT NOT NULL,
                result TEXT NOT NULL,
                error TEXT,
                prev_hash TEXT NOT NULL,
                hash TEXT NOT NULL);
            CREATE INDEX IF NOT EXISTS audit_at ON audit(at);
            CREATE TABLE IF NOT EXISTS audit_head(
                id INTEGER PRIMARY KEY CHECK (id = 1),
                seq INTEGER NOT NULL,
                hash TEXT NOT NULL);
            PRAGMA user_version = {{AuditSchema}};
            """, tx))
        {
            cmd.ExecuteNonQuery();
        }
        tx.Commit();
    }

    /// <summary>
    /// Appends a record to the audit trail: reads the head, inserts the record chained to it and moves the head, in one
    /// immediate transaction, so two processes sharing the store (the daemon and a CLI) never fork the chain. The
    /// statements are prepared once per connection (this runs on every mutating call).
    /// </summary>
    public AuditRecord AppendAudit(AuditEntry entry)
    {
        lock (_gate)
        {
            using var tx = _db.BeginTransaction(deferred: false);
            var record = AppendAuditIn(entry, tx);
            tx.Commit();
            return record;
        }
    }

    /// <summary>Appends inside the caller's immediate transaction (the caller holds the gate).</summary>
    private AuditRecord AppendAuditIn(AuditEntry entry, SqliteTransaction tx)
    {
        long seq = 1;
        var previous = AuditChain.Genesis;
        using (var r = Prepared("SELECT seq, hash FROM audit_head WHERE id=1", tx).ExecuteReader())
        {
            if (r.Read())
            {
                seq = r.GetInt64(0) + 1;
                previous = r.GetString(1);
            }
        }
        var at = _time.GetUtcNow();
        var hash = AuditChain.HashOf(seq, at, entry.Actor, entry.Tenant, entry.Action, entry.Target, entry.Parameters, entry.Result, entry.Error, previous);
        var insert = Prepared("""
            INSERT INTO audit(seq, at, actor, tenant, action, target, parameters, result, error, prev_hash, hash)
            VALUES ($seq, $at, $actor, $tenant, $action, $target, $parameters, $result, $error, $prev, $hash);
            INSERT INTO audit_head(id, seq, hash) VALUES (1, $seq, $hash) ON CONFLICT(id) DO UPDATE SET seq=excluded.seq, hash=excluded.hash;
            """, tx);
        Bind(insert, ("$seq", seq), ("$at", AuditTime.Format(at)), ("$actor", entry.Actor), ("$tenant", entry.Tenant), ("$action", entry.Action),
            ("$target", entry.Target), ("$parameters", entry.Parameters), ("$result", entry.Result), ("$error", entry.Error), ("$prev", previous), ("$hash", hash));
        insert.ExecuteNonQuery();
        return new AuditRecord(seq, at, entry.Actor, entry.Tenant, entry.Action, entry.Target, entry.Parameters, entry.Result, entry.Error, previous, hash);
    }

    /// <summary>
    /// Audit records, oldest first: of one tenant (null: all), at or after <paramref name="since"/>, after sequence
    /// number <paramref name="after"/>, at most <paramref name="limit"/> (the newest of those).
    /// </summary>
    public IReadOnlyList<AuditRecord> AuditRecords(string? tenant = null, DateTimeOffset? since = null, long after = 0, int limit = 1000)
    {
        lock (_gate)
        {
            using var cmd = Command("""
                SELECT * FROM (SELECT * FROM audit WHERE seq > $after AND ($tenant IS NULL OR tenant = $tenant) AND ($since IS NULL OR at >= $since)
                ORDER BY seq DESC LIMIT $limit) ORDER BY seq
                """);
            Bind(cmd, ("$after", after), ("$tenant", tenant), ("$since", since is { } s ? AuditTime.Format(s) : null), ("$limit", limit));
            return ReadAudit(cmd);
        }
    }

    /// <summary>Checks the whole chain against the head (<see cref="AuditChain.Verify"/>), streaming the records.</summary>
    public AuditVerdict VerifyAudit()
    {
        lock (_gate)
        {
            // One read transaction: a record appended meanwhile (by another process) cannot make the head disagree.
            using var tx = _db.BeginTransaction(deferred: true);
            AuditHead? head = null;
            using (var h = Command("SELECT seq, hash FROM audit_head WHERE id=1", tx))
            using (var r = h.ExecuteReader())
            {
                if (r.Read())
                {
                    head = new AuditHead(r.GetInt64(0), r.GetString(1));
                }
            }
            using var cmd = Command("SELECT * FROM audit ORDER BY seq", tx);
            using var reader = cmd.ExecuteReader();
            return AuditChain.Verify(Stream(reader), head);
        }
    }

    private static List<AuditRecord> ReadAudit(SqliteCommand cmd)
    {
        using var r = cmd.ExecuteReader();
        return Stream(r).ToList();
    }

    private static IEnumerable<AuditRecord> Stream(SqliteDataReader r)
    {
        while (r.Read())
        {
            yield return new AuditRecord(r.GetInt64(r.GetOrdinal("seq")), Parse(r.GetString(r.GetOrdinal("at"))), r.GetString(r.GetOrdinal("actor")),
                r.IsDBNull(r.GetOrdinal("tenant")) ? null : r.GetString(r.GetOrdinal("tenant")), r.GetString(r.GetOrdinal("action")),
                r.GetString(r.GetOrdinal("target")), r.GetString(r.GetOrdinal("parameters")), r.GetString(r.GetOrdinal("result")),
                r.IsDBNull(r.GetOrdinal("error")) ? null : r.GetString(r.GetOrdinal("error")), r.GetString(r.GetOrdinal("prev_hash")),
                r.GetString(r.GetOrdinal("hash")));
        }
    }
}
