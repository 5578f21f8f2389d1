using LightNfv.Core.Backends;
using LightNfv.Core.Descriptors;
using LightNfv.Core.Instances;
using LightNfv.Platform.Store;
using LightNfv.Server.Console;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace LightNfv.Server.Tests.Console;

public sealed class InventoryTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 6, 0, 0, 0, TimeSpan.Zero);

    private static readonly InstanceRecord[] Fleet =
    [
        Row("a1", "web-1", "a", Technology.Process, InstanceState.Running, "web", 3),
        Row("a2", "web-2", "a", Technology.Container, InstanceState.Running, "web", 1),
        Row("a3", "probe", "a", Technology.Unikernel, InstanceState.Stopped, null, 2),
        Row("b1", "db", "b", Technology.Process, InstanceState.Failed, null, 0),
    ];

    [Fact]
    public void Search_matches_name_id_vnf_address_and_technology_case_insensitively()
    {
        Names(Query(q: "WEB")).ShouldBe(["web-1", "web-2"]);
        Names(Query(q: "a3")).ShouldBe(["probe"]);
        Names(Query(q: "10.0.0.4")).ShouldBe(["db"]);
        Names(Query(q: "unikernel")).ShouldBe(["probe"]);
        Names(Query(q: "nothing")).ShouldBeEmpty();
    }

    [Fact]
    public void Filters_match_exactly_and_combine_and_counts_cover_every_visible_row()
    {
        var view = InventoryView.Of(Fleet, Query(tenant: "a", technology: "process"));
        view.Rows.Select(r => r.Name).ShouldBe(["web-1"]);
        view.Total.ShouldBe(4);
        view.ByTechnology.ShouldBe([("container", 1), ("process", 2), ("unikernel", 1)]);
        view.ByState.ShouldBe([("failed", 1), ("running", 2), ("stopped", 1)]);
        view.Tenants.ShouldBe(["a", "b"]);
        Names(Query(state: "stopped")).ShouldBe(["probe"]);
    }

    [Fact]
    public void Sorting_by_a_column_turns_round_when_asked_and_an_unknown_column_sorts_by_name()
    {
        Names(Query(sort: "created")).ShouldBe(["db", "web-2", "probe", "web-1"]);
        Names(Query(sort: "created", dir: "desc")).ShouldBe(["web-1", "probe", "web-2", "db"]);
        Names(Query(sort: "'; drop table")).ShouldBe(["db", "probe", "web-1", "web-2"]);
        Query(sort: "state").SortLink("state").ShouldContain("dir=desc");
        Query(sort: "state", dir: "desc").SortLink("state").ShouldContain("dir=asc");
    }

    private static InventoryQuery Query(string? q = null, string? tenant = null, string? technology = null, string? state = null, string? sort = null, string? dir = null) =>
        InventoryQuery.From(new QueryCollection(new Dictionary<string, StringValues>
        {
            ["q"] = q,
            ["tenant"] = tenant,
            ["technology"] = technology,
            ["state"] = state,
            ["sort"] = sort,
            ["dir"] = dir,
        }));

    private static List<string> Names(InventoryQuery q) => InventoryView.Of(Fleet, q).Rows.Select(r => r.Name).ToList();

    private static InstanceRecord Row(string id, string name, string tenant, Technology t, InstanceState s, string? vnf, int minutes) =>
        new(id, name, tenant, t, s, $"10.0.0.{Array.IndexOf(["a1", "a2", "a3", "b1"], id) + 1}", "", InstanceFacts.None, null, T0.AddMinutes(minutes), T0, null)
        {
            Deployment = vnf,
        };
}
