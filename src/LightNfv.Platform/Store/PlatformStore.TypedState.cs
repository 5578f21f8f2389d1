namespace LightNfv.Platform.Store;

public sealed partial class PlatformStore
{
    /// <summary>
    /// Schema 3: typed per-backend state. Each instance's flat string map becomes its shared facts (column facts) and
    /// its backend's record (column backend_state, JSON), see <see cref="LegacyBackendData"/>. The old column keeps
    /// the row's original text, which nothing reads any more, so no stored value is lost.
    /// </summary>
    private void MigrateToTypedState()
    {
        using var tx = _db.BeginTransaction(deferred: false);
        using (var alter = Command("""
            ALTER TABLE instances ADD COLUMN facts TEXT NOT NULL DEFAULT '{}';
            ALTER TABLE instances ADD COLUMN backend_state TEXT;
            """, tx))
        {
            alter.ExecuteNonQuery();
        }
        var rows = new List<(string Id, string Data)>();
        using (var select = Command("SELECT id, backend_data FROM instances WHERE backend_data <> '{}'", tx))
        using (var r = select.ExecuteReader())
        {
            while (r.Read())
            {
                rows.Add((r.GetString(0), r.GetString(1)));
            }
        }
        foreach (var (id, data) in rows)
        {
            var (facts, state) = LegacyBackendData.Map(data);
            using var update = Command("UPDATE instances SET facts=$facts, backend_state=$state WHERE id=$id", tx);
            update.Parameters.AddWithValue("$id", id);
            update.Parameters.AddWithValue("$facts", facts.ToJson());
            update.Parameters.AddWithValue("$state", (object?)state ?? DBNull.Value);
            update.ExecuteNonQuery();
        }
        using (var version = Command("PRAGMA user_version = 3;", tx))
        {
            version.ExecuteNonQuery();
        }
        tx.Commit();
    }
}
