using LightNfv.Core.Descriptors;
using LightNfv.Core.Instances;
using LightNfv.Platform.Store;

namespace LightNfv.Server.Console;

/// <summary>The inventory page's question: search text, filters and the sort, as the query string carries them.</summary>
public sealed record InventoryQuery(string? Q, string? Tenant, string? Technology, string? State, string? Sort, bool Descending)
{
    public static readonly IReadOnlyList<string> SortKeys = ["name", "tenant", "technology", "state", "vnf", "created"];

    public static InventoryQuery From(IQueryCollection q) => new(
        Clean(q["q"]), Clean(q["tenant"]), Clean(q["technology"]), Clean(q["state"]),
        Clean(q["sort"]) is { } s && SortKeys.Contains(s) ? s : "name", string.Equals(q["dir"], "desc", StringComparison.Ordinal));

    /// <summary>The query string for these choices with <paramref name="sort"/> (clicking a sorted column's head again turns it round).</summary>
    public string SortLink(string sort) =>
        QueryString.Create(new Dictionary<string, string?>
        {
            ["q"] = Q,
            ["tenant"] = Tenant,
            ["technology"] = Technology,
            ["state"] = State,
            ["sort"] = sort,
            ["dir"] = sort == Sort && !Descending ? "desc" : "asc",
        }.Where(kv => !string.IsNullOrEmpty(kv.Value))).ToString();

    private static string? Clean(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();
}

/// <summary>What the inventory shows: the rows that match, and counts per technology and state over every row the caller sees.</summary>
public sealed record InventoryView(IReadOnlyList<InstanceRecord> Rows, int Total, IReadOnlyList<(string Key, int Count)> ByTechnology,
    IReadOnlyList<(string Key, int Count)> ByState, IReadOnlyList<string> Tenants)
{
    /// <summary>
    /// Filters and sorts <paramref name="visible"/> (already scoped to the caller's tenant): the search matches the
    /// name, id, VNF, address and technology, case-insensitively; filters match exactly.
    /// </summary>
    public static InventoryView Of(IReadOnlyList<InstanceRecord> visible, InventoryQuery query)
    {
        IEnumerable<InstanceRecord> rows = visible;
        if (query.Q is { } q)
        {
            rows = rows.Where(r => Contains(r.Name, q) || r.Id.StartsWith(q, StringComparison.OrdinalIgnoreCase) || Contains(r.Deployment, q)
                || Contains(r.Address, q) || Contains(r.Technology.ToName(), q));
        }
        if (query.Tenant is { } t)
        {
            rows = rows.Where(r => r.Tenant == t);
        }
        if (query.Technology is { } tech)
        {
            rows = rows.Where(r => r.Technology.ToName() == tech);
        }
        if (query.State is { } state)
        {
            rows = rows.Where(r => StateName(r.State) == state);
        }
        Func<InstanceRecord, string> key = query.Sort switch
        {
            "tenant" => r => r.Tenant,
            "technology" => r => r.Technology.ToName(),
            "state" => r => StateName(r.State),
            "vnf" => r => r.Deployment ?? "",
            "created" => r => r.CreatedAt.UtcTicks.ToString("D20", System.Globalization.CultureInfo.InvariantCulture),
            _ => r => r.Name,
        };
        var sorted = query.Descending ? rows.OrderByDescending(key, StringComparer.Ordinal) : rows.OrderBy(key, StringComparer.Ordinal);
        return new InventoryView(sorted.ThenBy(r => r.Id, StringComparer.Ordinal).ToList(), visible.Count,
            Counts(visible, r => r.Technology.ToName()), Counts(visible, r => StateName(r.State)),
            visible.Select(r => r.Tenant).Distinct().Order(StringComparer.Ordinal).ToList())
        {
            _all = visible,
        };
    }

    /// <summary>Replicas of <paramref name="vnf"/> running among every row the caller sees.</summary>
    public int Running(Deployment vnf) => _all.Count(r => r.Tenant == vnf.Tenant && r.Deployment == vnf.Name && r.State == InstanceState.Running);

    private IReadOnlyList<InstanceRecord> _all = [];

    public static string StateName(InstanceState s) => s.ToString().ToLowerInvariant();

    private static bool Contains(string? text, string q) => text is not null && text.Contains(q, StringComparison.OrdinalIgnoreCase);

    private static List<(string, int)> Counts(IEnumerable<InstanceRecord> rows, Func<InstanceRecord, string> key) =>
        rows.GroupBy(key).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => (g.Key, g.Count())).ToList();
}
