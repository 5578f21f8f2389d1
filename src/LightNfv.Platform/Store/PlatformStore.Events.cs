using System.Text.Json;
using LightNfv.Platform.Events;
using Microsoft.Data.Sqlite;

namespace LightNfv.Platform.Store;

public sealed partial class PlatformStore
{
    private const int EventsSchema = 5;

    /// <summary>
    /// Schema 5: one event vocabulary and authenticated subscriptions. Events (table alerts) gain their severity,
    /// operation, VNF instance id and data; subscriptions their filter (SOL003's: types, VNF names, tenant) and
    /// authentication (type, user, secret: the HMAC key or Basic password, which signing needs, so it is kept here, in
    /// a file readable by root only, see <see cref="StoreFileModes"/>). Additive: older rows read with defaults.
    /// </summary>
    private void MigrateToEvents()
    {
        using var tx = _db.BeginTransaction(deferred: false);
        using (var cmd = Command($$"""
            ALTER TABLE alerts ADD COLUMN severity TEXT;
            ALTER TABLE alerts ADD COLUMN operation_id TEXT;
            ALTER TABLE alerts ADD COLUMN vnf_instance_id TEXT;
            ALTER TABLE alerts ADD COLUMN data TEXT NOT NULL DEFAULT '{}';
            CREATE INDEX alerts_at ON alerts(at);
            ALTER TABLE subscriptions ADD COLUMN filter TEXT;
            ALTER TABLE subscriptions ADD COLUMN auth_type TEXT;
            ALTER TABLE subscriptions ADD COLUMN auth_user TEXT;
            ALTER TABLE subscriptions ADD COLUMN auth_secret TEXT;
            PRAGMA user_version = {{EventsSchema}};
            """, tx))
        {
            cmd.ExecuteNonQuery();
        }
        tx.Commit();
    }

    // ---- events -----------------------------------------------------------------------------------

    /// <summary>Records an event (its id is the next in sequence) and returns it.</summary>
    public PlatformEvent AddAlert(string type, string? tenant, string? vnf, string? instance, string message,
        string? operation = null, IReadOnlyDictionary<string, JsonElement>? data = null, string? vnfInstanceId = null)
    {
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            var severity = PlatformEvent.SeverityOf(type);
            data ??= new Dictionary<string, JsonElement>();
            using var cmd = Command("""
                INSERT INTO alerts(at, kind, tenant, deployment, instance_id, message, severity, operation_id, vnf_instance_id, data)
                VALUES ($at, $k, $t, $d, $i, $m, $s, $o, $v, $data);
                SELECT last_insert_rowid();
                """);
            cmd.Parameters.AddWithValue("$at", Stamp(now));
            cmd.Parameters.AddWithValue("$k", type);
            cmd.Parameters.AddWithValue("$t", (object?)tenant ?? DBNull.Value);
            cmd.Parameters.AddWithValue("$d", (object?)vnf ?? DBNull.Value);
            cmd.Parameters.AddWithValue("$i", (object?)instance ?? DBNull.Value);
            cmd.Parameters.AddWithValue("$m", message);
            cmd.Parameters.AddWithValue("$s", severity);
            cmd.Parameters.AddWithValue("$o", (object?)operation ?? DBNull.Value);
            cmd.Parameters.AddWithValue("$v", (object?)vnfInstanceId ?? DBNull.Value);
            cmd.Parameters.AddWithValue("$data", JsonSerializer.Serialize(data));
            var id = (long)cmd.ExecuteScalar()!;
            return new PlatformEvent(id, type, now, tenant, vnf, vnfInstanceId, instance, operation, severity, message, data);
        }
    }

    /// <summary>Events after <paramref name="afterId"/>, oldest first (the latest <paramref name="limit"/>).</summary>
    public IReadOnlyList<PlatformEvent> Alerts(long afterId = 0, int limit = 200) => PlatformEvents(afterId, limit: limit);

    /// <summary>
    /// Events after <paramref name="afterId"/>, at or after <paramref name="since"/>, of one of <paramref name="types"/>
    /// (none: any), oldest first: the latest <paramref name="limit"/> of those, or with <paramref name="fromOldest"/> the
    /// first (to page through them: the next page is after the last id of this one).
    /// </summary>
    public IReadOnlyList<PlatformEvent> PlatformEvents(long afterId = 0, DateTimeOffset? since = null, IReadOnlyCollection<string>? types = null, int limit = 200,
        bool fromOldest = false)
    {
        lock (_gate)
        {
            using var cmd = Command($$"""
                SELECT id, at, kind, tenant, deployment, vnf_instance_id, instance_id, operation_id, severity, message, data, acked_by, acked_at FROM
                (SELECT * FROM alerts WHERE id > $after AND ($since IS NULL OR at >= $since)
                    AND ($types IS NULL OR kind IN (SELECT value FROM json_each($types)))
                 ORDER BY id {{(fromOldest ? "" : "DESC")}} LIMIT $limit) ORDER BY id
                """);
            cmd.Parameters.AddWithValue("$after", afterId);
            cmd.Parameters.AddWithValue("$since", since is { } s ? Stamp(s) : DBNull.Value);
            cmd.Parameters.AddWithValue("$types", types is { Count: > 0 } ? JsonSerializer.Serialize(types) : DBNull.Value);
            cmd.Parameters.AddWithValue("$limit", limit);
            using var r = cmd.ExecuteReader();
            var list = new List<PlatformEvent>();
            while (r.Read())
            {
                var type = r.GetString(2);
                list.Add(new PlatformEvent(r.GetInt64(0), type, Parse(r.GetString(1)), Text(r, 3), Text(r, 4), Text(r, 5), Text(r, 6), Text(r, 7),
                    Text(r, 8) ?? PlatformEvent.SeverityOf(type), r.GetString(9),
                    JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(r.GetString(10)) ?? [])
                {
                    Acknowledged = Text(r, 11) is { } by ? new Acknowledgement(by, Parse(r.GetString(12))) : null,
                });
            }
            return list;
        }
    }

    private static string? Text(SqliteDataReader r, int column) => r.IsDBNull(column) ? null : r.GetString(column);

    // ---- subscriptions ----------------------------------------------------------------------------

    /// <summary>A subscription to the events of <paramref name="kinds"/> (empty: all), unauthenticated.</summary>
    public Subscription AddSubscription(string callbackUri, IReadOnlyList<string> kinds) =>
        AddSubscription(callbackUri, new SubscriptionFilter(kinds, [], null), null);

    public Subscription AddSubscription(string callbackUri, SubscriptionFilter filter, SubscriptionAuth? auth)
    {
        lock (_gate)
        {
            var s = new Subscription(Core.Instances.InstanceId.New(), callbackUri, filter, auth, _time.GetUtcNow());
            using var cmd = Command("""
                INSERT INTO subscriptions(id, callback, kinds, created_at, filter, auth_type, auth_user, auth_secret)
                VALUES ($id, $c, $k, $now, $f, $at, $au, $as)
                """);
            cmd.Parameters.AddWithValue("$id", s.Id);
            cmd.Parameters.AddWithValue("$c", callbackUri);
            cmd.Parameters.AddWithValue("$k", JsonSerializer.Serialize(filter.NotificationTypes));
            cmd.Parameters.AddWithValue("$now", Stamp(s.CreatedAt));
            cmd.Parameters.AddWithValue("$f", JsonSerializer.Serialize(filter, PlatformEvent.JsonOptions));
            cmd.Parameters.AddWithValue("$at", (object?)auth?.Type ?? DBNull.Value);
            cmd.Parameters.AddWithValue("$au", (object?)auth?.UserName ?? DBNull.Value);
            cmd.Parameters.AddWithValue("$as", (object?)auth?.Secret ?? DBNull.Value);
            cmd.ExecuteNonQuery();
            return s;
        }
    }

    public IReadOnlyList<Subscription> Subscriptions()
    {
        lock (_gate)
        {
            using var cmd = Command("SELECT id, callback, kinds, created_at, filter, auth_type, auth_user, auth_secret FROM subscriptions ORDER BY created_at, id");
            using var r = cmd.ExecuteReader();
            var list = new List<Subscription>();
            while (r.Read())
            {
                // A subscription made before schema 5 has only its kinds.
                var filter = Text(r, 4) is { } f
                    ? JsonSerializer.Deserialize<SubscriptionFilter>(f, PlatformEvent.JsonOptions)!
                    : new SubscriptionFilter(JsonSerializer.Deserialize<string[]>(r.GetString(2)) ?? [], [], null);
                var auth = Text(r, 5) is { } type ? new SubscriptionAuth(type, Text(r, 6), Text(r, 7) ?? "") : null;
                list.Add(new Subscription(r.GetString(0), r.GetString(1), filter, auth, Parse(r.GetString(3))));
            }
            return list;
        }
    }

    public Subscription? Subscription(string id) => Subscriptions().FirstOrDefault(s => s.Id == id);

    public bool DeleteSubscription(string id)
    {
        lock (_gate)
        {
            using var cmd = Command("DELETE FROM subscriptions WHERE id=$id");
            cmd.Parameters.AddWithValue("$id", id);
            return cmd.ExecuteNonQuery() > 0;
        }
    }
}
