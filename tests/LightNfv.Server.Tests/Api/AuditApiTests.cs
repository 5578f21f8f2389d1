using System.Net;
using System.Text;
using System.Text.Json;
using LightNfv.Platform.Audit;
using LightNfv.Platform.Store;
using Microsoft.Extensions.DependencyInjection;

namespace LightNfv.Server.Tests.Api;

/// <summary>
/// GET /api/v1/audit and /audit/verify on the in-process daemon: API calls are recorded (no secret in them), an admin
/// sees every tenant, another caller only its own tenant's records, and verify is the admin's.
/// </summary>
public sealed class AuditApiTests : IDisposable
{
    private readonly ServerFactory _factory = new();
    private readonly HttpClient _http;

    public AuditApiTests() =>
        _http = _factory.CreateClient();

    public void Dispose()
    {
        _http.Dispose();
        _factory.Dispose();
    }

    private async Task<JsonElement> Get(string path, string? caller = null, HttpStatusCode status = HttpStatusCode.OK)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (caller is not null)
        {
            TestCaller.Authorize(request, _factory.Services.GetRequiredService<PlatformStore>(), caller);
        }
        using var r = await _http.SendAsync(request);
        var text = await r.Content.ReadAsStringAsync();
        r.StatusCode.ShouldBe(status, text);
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    [Fact]
    public async Task An_api_call_is_recorded_without_its_secrets_and_the_chain_verifies()
    {
        const string yaml = "apiVersion: lightnfv/v1\nkind: Vnf\nmetadata:\n  name: web\nspec:\n  technology: process\n  app:\n    builtin: iperf3-server\n    env:\n      TOKEN: s3cr3t-value-xyz\n";
        using (var created = await _http.PostAsync("/api/v1/descriptors", new StringContent(yaml, Encoding.UTF8, "application/yaml")))
        {
            created.StatusCode.ShouldBe(HttpStatusCode.Created);
        }
        using (var refused = await _http.PostAsync("/api/v1/vnfs/absent/scale", new StringContent("{\"replicas\":2}", Encoding.UTF8, "application/json")))
        {
            refused.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        }
        var records = await Get("/api/v1/audit");
        records.GetRawText().ShouldNotContain("s3cr3t-value-xyz");
        var all = records.EnumerateArray().ToList();
        var create = all.Single(r => r.GetProperty("action").GetString() == AuditActions.DescriptorCreate);
        create.GetProperty("actor").GetString().ShouldBe("uid:0");
        create.GetProperty("target").GetString().ShouldBe("descriptor/web");
        create.GetProperty("parameters").GetProperty("env").GetProperty("TOKEN").GetString().ShouldBe(AuditTrail.Redacted);
        var scale = all.Single(r => r.GetProperty("action").GetString() == AuditActions.VnfScale);
        scale.GetProperty("result").GetString().ShouldBe("notfound");

        var verdict = await Get("/api/v1/audit/verify");
        verdict.GetProperty("intact").GetBoolean().ShouldBeTrue(verdict.GetRawText());
        verdict.GetProperty("records").GetInt64().ShouldBe(all.Count);
    }

    [Fact]
    public async Task A_tenant_caller_sees_only_its_own_records_and_cannot_verify()
    {
        var store = _factory.Services.GetRequiredService<PlatformStore>();
        store.Record(AuditActions.VnfScale, "tenant-a", "vnf/a", null, null);
        store.Record(AuditActions.VnfScale, "tenant-b", "vnf/b", null, null);

        (await Get("/api/v1/audit")).GetArrayLength().ShouldBeGreaterThanOrEqualTo(2);
        (await Get("/api/v1/audit?tenant=tenant-b")).EnumerateArray().ShouldAllBe(r => r.GetProperty("tenant").GetString() == "tenant-b");

        var own = await Get("/api/v1/audit", "token:a/tenant-a/operator");
        own.GetArrayLength().ShouldBe(1);
        own[0].GetProperty("target").GetString().ShouldBe("vnf/a");
        (await Get("/api/v1/audit?tenant=tenant-b", "token:a/tenant-a/viewer")).GetArrayLength().ShouldBe(0);

        var refused = await Get("/api/v1/audit/verify", "token:a/tenant-a/operator", HttpStatusCode.Forbidden);
        refused.GetProperty("detail").GetString()!.ShouldContain("admin");
    }
}
