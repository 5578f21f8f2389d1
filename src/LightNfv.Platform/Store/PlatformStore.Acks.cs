using LightNfv.Platform.Events;

namespace LightNfv.Platform.Store;

public sealed partial class PlatformStore
{
    private const int AcksSchema = 9;

    /// <summary>
    /// Schema 9: an event (table alerts) can be acknowledged: who (the caller's actor) and when. Additive: older rows
    /// read as not acknowledged.
    /// </summary>
    private void MigrateToAcks()
    {
        using var tx = _db.BeginTransaction(deferred: false);
        // Re-runnable, like the steps since 6: a store set back to an older version number already has the columns.
        bool has;
        using (var probe = Command("SELECT count(*) FROM pragma_table_info('alerts') WHERE name = 'acked_by'", tx))
        {
            has = Convert.ToInt64(probe.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) > 0;
        }
        using (var cmd = Command((has ? "" : """
            ALTER TABLE alerts ADD COLUMN acked_by TEXT;
            ALTER TABLE alerts ADD COLUMN acked_at TEXT;
            """) + $"PRAGMA user_version = {AcksSchema};", tx))
        {
            cmd.ExecuteNonQuery();
        }
        tx.Commit();
    }

    /// <summary>One event by id, or null.</summary>
    public PlatformEvent? EventById(long id) => PlatformEvents(id - 1, limit: 1, fromOldest: true) is [var e] && e.Id == id ? e : null;

    /// <summary>
    /// Marks an event acknowledged by <paramref name="actor"/> now and returns it; an event acknowledged already keeps
    /// its first acknowledgement (acknowledging is idempotent). Null: no such event.
    /// </summary>
    public PlatformEvent? AcknowledgeEvent(long id, string actor)
    {
        lock (_gate)
        {
            using var cmd = Command("UPDATE alerts SET acked_by = $by, acked_at = $at WHERE id = $id AND acked_at IS NULL");
            cmd.Parameters.AddWithValue("$by", actor);
            cmd.Parameters.AddWithValue("$at", Stamp(_time.GetUtcNow()));
            cmd.Parameters.AddWithValue("$id", id);
            cmd.ExecuteNonQuery();
            return EventById(id);
        }
    }
}
