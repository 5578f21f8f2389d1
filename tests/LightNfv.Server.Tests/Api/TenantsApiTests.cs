using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using LightNfv.Platform.Store;
using Microsoft.Extensions.DependencyInjection;

namespace LightNfv.Server.Tests.Api;

/// <summary>/api/v1/tenants on the real server, and quota refusals as 403 problem details that leave nothing behind.</summary>
public sealed class TenantsApiTests : IDisposable
{
    private readonly ServerFactory _factory = new();
    private readonly HttpClient _http;

    public TenantsApiTests() => _http = _factory.CreateClient();

    private static async Task<JsonElement> Json(HttpResponseMessage r) => JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.Clone();

    private static StringContent Yaml(string name, string tenant) => new(TenantDescriptors.Yaml(name, tenant, "  resources:\n    vcpus: 2"), Encoding.UTF8, "application/yaml");

    [Fact]
    public async Task Create_list_show_patch_and_delete()
    {
        var created = await _http.PostAsJsonAsync("/api/v1/tenants", new { name = "acme", maxInstances = 3, maxMemoryMiB = 1024 });
        created.StatusCode.ShouldBe(HttpStatusCode.Created);
        created.Headers.Location!.ToString().ShouldBe("/api/v1/tenants/acme");
        var t = await Json(created);
        t.GetProperty("quota").GetProperty("instances").GetInt32().ShouldBe(3);
        t.GetProperty("quota").GetProperty("vcpus").ValueKind.ShouldBe(JsonValueKind.Null);
        t.GetProperty("usage").GetProperty("instances").GetInt32().ShouldBe(0);

        (await _http.PostAsJsonAsync("/api/v1/tenants", new { name = "acme" })).StatusCode.ShouldBe(HttpStatusCode.Conflict);
        var bad = await Json(await _http.PostAsJsonAsync("/api/v1/tenants", new { name = "Not Valid" }));
        bad.GetProperty("status").GetInt32().ShouldBe(400);
        bad.GetProperty("detail").GetString()!.ShouldStartWith("name:");

        (await Json(await _http.GetAsync("/api/v1/tenants"))).EnumerateArray().Select(x => x.GetProperty("name").GetString()).ShouldBe(["acme", "default"]);
        var patched = await Json(await _http.PatchAsJsonAsync("/api/v1/tenants/acme", new { maxVcpus = 8, unlimited = new[] { "maxMemoryMiB" } }));
        patched.GetProperty("quota").GetProperty("vcpus").GetInt32().ShouldBe(8);
        patched.GetProperty("quota").GetProperty("instances").GetInt32().ShouldBe(3, "limits not named stay");
        patched.GetProperty("quota").GetProperty("memoryMiB").ValueKind.ShouldBe(JsonValueKind.Null);
        (await _http.PatchAsJsonAsync("/api/v1/tenants/acme", new { unlimited = new[] { "bogus" } })).StatusCode.ShouldBe(HttpStatusCode.BadRequest);

        (await _http.PostAsync("/api/v1/descriptors", Yaml("web", "acme"))).StatusCode.ShouldBe(HttpStatusCode.Created);
        var refused = await _http.DeleteAsync("/api/v1/tenants/acme");
        refused.StatusCode.ShouldBe(HttpStatusCode.Conflict);
        (await Json(refused)).GetProperty("detail").GetString()!.ShouldContain("VNF web");
        (await _http.DeleteAsync("/api/v1/descriptors/web?tenant=acme")).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        (await _http.DeleteAsync("/api/v1/tenants/acme")).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        (await _http.GetAsync("/api/v1/tenants/acme")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Quota_refusals_are_403_problem_details_naming_the_quota_and_leave_nothing_behind()
    {
        (await _http.PostAsJsonAsync("/api/v1/tenants", new { name = "acme", maxVcpus = 3, maxVnfs = 1 })).StatusCode.ShouldBe(HttpStatusCode.Created);
        (await _http.PostAsync("/api/v1/descriptors", Yaml("web", "acme"))).StatusCode.ShouldBe(HttpStatusCode.Created);
        var store = _factory.Services.GetRequiredService<PlatformStore>();
        var before = (store.List().Count, store.Operations().Count, store.Deployments().Count);

        // A second VNF crosses maxVnfs.
        var vnf = await _http.PostAsync("/api/v1/descriptors", Yaml("db", "acme"));
        vnf.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        vnf.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
        var p = await Json(vnf);
        p.GetProperty("type").GetString()!.ShouldEndWith("/quota");
        p.GetProperty("title").GetString().ShouldBe("Over the tenant's quota");
        p.GetProperty("detail").GetString()!.ShouldContain("limited to 1 VNFs (maxVnfs) and uses 1; creating VNF 'db' needs 1 more");

        // Two replicas of 2 vCPUs cross maxVcpus 3, refused before any desired state or operation is stored.
        var inst = await Json(await _http.PostAsJsonAsync("/api/v1/vnfs/web/instantiate?tenant=acme", new { replicas = 2 }));
        inst.GetProperty("status").GetInt32().ShouldBe(403);
        inst.GetProperty("detail").GetString()!.ShouldBe(
            "quota: tenant 'acme' is limited to 3 vCPUs (maxVcpus) and uses 0; instantiating VNF 'web' with 2 replica(s) needs 4 more; " +
            "raise it with 'lightnfv tenant set-quota acme --max-vcpus N' or free some first");

        // `run` of a standalone instance crosses it too, before any host work (no root needed to see the refusal).
        await _http.PatchAsJsonAsync("/api/v1/tenants/acme", new { maxVcpus = 1 });
        var run = await Json(await _http.PostAsync("/api/v1/instances", Yaml("solo", "acme")));
        run.GetProperty("status").GetInt32().ShouldBe(403);
        run.GetProperty("detail").GetString()!.ShouldContain("running 'solo' needs 2 more");

        (store.List().Count, store.Operations().Count, store.Deployments().Count).ShouldBe(before);
        store.Descriptor("acme", "db").ShouldBeNull();
        (await Json(await _http.GetAsync("/api/v1/tenants/acme"))).GetProperty("usage").GetProperty("vnfs").GetInt32().ShouldBe(1);
    }

    [Fact]
    public async Task Metrics_show_each_tenants_quota_and_usage()
    {
        await _http.PostAsJsonAsync("/api/v1/tenants", new { name = "acme", maxInstances = 4 });
        await _http.PostAsync("/api/v1/descriptors", Yaml("web", "acme"));
        var text = await _http.GetStringAsync("/metrics");
        text.ShouldContain("# TYPE lightnfv_tenant_quota gauge");
        text.ShouldContain("lightnfv_tenant_quota{tenant=\"acme\",resource=\"instances\"} 4\n");
        text.ShouldNotContain("lightnfv_tenant_quota{tenant=\"acme\",resource=\"vcpus\"}");
        text.ShouldContain("lightnfv_tenant_usage{tenant=\"acme\",resource=\"vnfs\"} 1\n");
        text.ShouldContain("lightnfv_tenant_usage{tenant=\"default\",resource=\"instances\"} 0\n");
    }

    public void Dispose()
    {
        _http.Dispose();
        _factory.Dispose();
    }
}
