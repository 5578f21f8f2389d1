using System.Net;
using System.Text;
using System.Text.Json;

namespace LightNfv.Server.Tests.Api.Query;

/// <summary>Filtering, tenant selection and paging on the list routes of the running server.</summary>
public sealed class ListQueryTests : IDisposable
{
    private readonly ServerFactory _factory = new();
    private readonly HttpClient _http;

    public ListQueryTests() => _http = _factory.CreateClient();

    private static string Yaml(string name, string tenant = "default", string technology = "process") => $"""
        apiVersion: lightnfv/v1
        kind: Vnf
        metadata:
          name: {name}
          tenant: {tenant}
        spec:
          technology: {technology}
          app:
            builtin: iperf3-server
        """;

    private async Task Create(string name, string tenant = "default")
    {
        var r = await _http.PostAsync("/api/v1/descriptors", new StringContent(Yaml(name, tenant), Encoding.UTF8, "application/yaml"));
        r.StatusCode.ShouldBe(HttpStatusCode.Created, await r.Content.ReadAsStringAsync());
    }

    private static async Task<JsonElement> Json(HttpResponseMessage r) => JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.Clone();

    private static List<string> Names(JsonElement list) => list.EnumerateArray().Select(d => d.GetProperty("name").GetString()!).ToList();

    [Fact]
    public async Task Limit_pages_through_the_list_with_next_links_until_none_is_left()
    {
        foreach (var n in new[] { "a1", "a2", "a3", "a4", "a5" })
        {
            await Create(n);
        }
        var all = Names(await Json(await _http.GetAsync("/api/v1/descriptors")));
        all.Count.ShouldBe(5);

        var seen = new List<string>();
        var pages = 0;
        Uri? next = new("/api/v1/descriptors?limit=2&filter=(cont,name,a)", UriKind.Relative);
        while (next is not null)
        {
            var r = await _http.GetAsync(next);
            r.StatusCode.ShouldBe(HttpStatusCode.OK);
            var page = Names(await Json(r));
            page.Count.ShouldBeLessThanOrEqualTo(2);
            seen.AddRange(page);
            pages++;
            next = null;
            if (r.Headers.TryGetValues("Link", out var links))
            {
                var link = links.Single();
                link.ShouldEndWith("; rel=\"next\"");
                link.ShouldContain("nextpage_opaque_marker=");
                link.ShouldContain("limit=2");
                next = new Uri(link[1..link.IndexOf('>', StringComparison.Ordinal)]);
            }
        }
        pages.ShouldBe(3);
        seen.ShouldBe(all);
    }

    [Fact]
    public async Task Filter_and_tenant_select_items_on_every_list()
    {
        await Create("web");
        await Create("dns");
        await Create("web", tenant: "blue");
        Names(await Json(await _http.GetAsync("/api/v1/descriptors?filter=(eq,name,web)"))).ShouldBe(["web", "web"]);
        var blue = await Json(await _http.GetAsync("/api/v1/descriptors?tenant=blue"));
        blue.GetArrayLength().ShouldBe(1);
        blue[0].GetProperty("tenant").GetString().ShouldBe("blue");
        Names(await Json(await _http.GetAsync("/api/v1/descriptors?filter=(in,name,dns,ftp);(eq,tenant,default)"))).ShouldBe(["dns"]);
        (await Json(await _http.GetAsync("/api/v1/descriptors?filter=(neq,technology,process)"))).GetArrayLength().ShouldBe(0);

        // Every list route takes the same query (empty lists here, but the filter is checked against the item's shape).
        foreach (var url in new[] { "/api/v1/vnfs?filter=(eq,tenant,default)", "/api/v1/instances?filter=(eq,state,running)",
            "/api/v1/operations?filter=(eq,kind,instantiate)", "/api/v1/alerts?filter=(eq,notificationType,instance.failed)", "/api/v1/events?filter=(eq,severity,error)",
            "/api/v1/subscriptions?filter=(cont,callbackUri,127.0.0.1)", "/vnflcm/v1/vnf_instances?filter=(eq,instantiationState,INSTANTIATED)", "/vnflcm/v1/vnf_lcm_op_occs?filter=(eq,operationState,COMPLETED)&limit=5", "/api/v1/top?filter=(gt,cpuPercent,50)",
            "/api/v1/descriptors/web/versions?filter=(gte,version,1)&limit=1" })
        {
            var r = await _http.GetAsync(url);
            r.StatusCode.ShouldBe(HttpStatusCode.OK, $"{url}: {await r.Content.ReadAsStringAsync()}");
        }
    }

    [Theory]
    [InlineData("/api/v1/descriptors?filter=(eq,colour,red)", "filter", "'colour' is not an attribute")]
    [InlineData("/api/v1/vnfs?filter=(eq,instances.colour,red)", "filter", "'instances.colour' is not an attribute")]
    [InlineData("/api/v1/descriptors?filter=(like,name,web)", "filter", "'like'")]
    [InlineData("/api/v1/operations?filter=eq,state,failed", "filter", "expected '('")]
    [InlineData("/api/v1/descriptors?limit=0", "limit", "from 1 to 1000")]
    [InlineData("/api/v1/descriptors?limit=many", "limit", "'many'")]
    [InlineData("/api/v1/descriptors?nextpage_opaque_marker=10", "nextpage_opaque_marker", "Link header")]
    [InlineData("/api/v1/subscriptions?tenant=blue", "tenant", "no tenant")]
    public async Task A_bad_query_is_a_400_problem_naming_the_bad_part(string url, string field, string detail)
    {
        var r = await _http.GetAsync(url);
        r.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        r.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
        var p = await Json(r);
        p.GetProperty("field").GetString().ShouldBe(field);
        p.GetProperty("detail").GetString()!.ShouldContain(detail);
    }

    public void Dispose()
    {
        _http.Dispose();
        _factory.Dispose();
    }
}
