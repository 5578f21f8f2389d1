using System.Net;
using System.Text;
using System.Text.Json;
using LightNfv.Platform.Alerts;
using LightNfv.Platform.Store;
using Microsoft.Extensions.DependencyInjection;

namespace LightNfv.Server.Tests.Api;

/// <summary>`?tenant=` on the lists (`lightnfv get --tenant`): only that tenant's objects; without it every tenant's.</summary>
public sealed class TenantFilterTests : IDisposable
{
    private readonly ServerFactory _factory = new();
    private readonly HttpClient _http;

    public TenantFilterTests() => _http = _factory.CreateClient();

    private static string Yaml(string name, string? tenant) => $"""
        apiVersion: lightnfv/v1
        kind: Vnf
        metadata:
          name: {name}
        {(tenant is null ? "" : $"  tenant: {tenant}\n")}spec:
          technology: process
          app:
            builtin: iperf3-server
        """;

    private async Task<JsonElement> Get(string path) => JsonDocument.Parse(await (await _http.GetAsync(path)).Content.ReadAsStringAsync()).RootElement.Clone();

    [Fact]
    public async Task Lists_filter_by_tenant()
    {
        foreach (var (name, tenant) in new[] { ("web", (string?)null), ("web", "team-a"), ("db", "team-a") })
        {
            (await _http.PostAsync("/api/v1/descriptors", new StringContent(Yaml(name, tenant), Encoding.UTF8, "application/yaml"))).StatusCode.ShouldBe(HttpStatusCode.Created);
        }
        (await Get("/api/v1/descriptors")).GetArrayLength().ShouldBe(3);
        var teamA = await Get("/api/v1/descriptors?tenant=team-a");
        teamA.EnumerateArray().Select(d => d.GetProperty("name").GetString()).Order().ShouldBe(["db", "web"]);
        teamA.EnumerateArray().ShouldAllBe(d => d.GetProperty("tenant").GetString() == "team-a");
        (await Get("/api/v1/descriptors?tenant=default")).GetArrayLength().ShouldBe(1);
        (await Get("/api/v1/descriptors?tenant=nobody")).GetArrayLength().ShouldBe(0);

        var hub = _factory.Services.GetRequiredService<AlertHub>();
        hub.Raise(AlertKinds.InstanceFailed, "default", "web", "abc", "one");
        hub.Raise(AlertKinds.InstanceFailed, "team-a", "web", "def", "two");
        (await Get("/api/v1/alerts")).GetArrayLength().ShouldBe(2);
        (await Get("/api/v1/alerts?tenant=team-a")).EnumerateArray().Single().GetProperty("message").GetString().ShouldBe("two");

        // Operations and VNFs: straight from the store (no backend runs here).
        var store = _factory.Services.GetRequiredService<PlatformStore>();
        store.BeginOperation("scale", "team-a", "db", null, new Dictionary<string, string>());
        (await Get("/api/v1/operations?tenant=team-a")).GetArrayLength().ShouldBe(1);
        (await Get("/api/v1/operations?tenant=default")).GetArrayLength().ShouldBe(0);
        (await Get("/api/v1/vnfs?tenant=team-a")).GetArrayLength().ShouldBe(0);
    }

    public void Dispose()
    {
        _http.Dispose();
        _factory.Dispose();
    }
}
