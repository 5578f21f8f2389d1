using System.Net;
using System.Net.Http.Headers;
using System.Text;
using LightNfv.Core.Identity;
using LightNfv.Platform.Store;
using Microsoft.Extensions.DependencyInjection;

namespace LightNfv.Server.Tests.Auth;

/// <summary>Another tenant's objects answer 404, as absent, and are left out of lists; an admin sees every tenant.</summary>
public sealed class TenantScopeTests : IDisposable
{
    private readonly ServerFactory _factory = new();
    private readonly HttpClient _http;

    public TenantScopeTests() => _http = _factory.CreateClient();

    private static string Yaml(string name, string tenant) => TenantDescriptors.Yaml(name, tenant);

    private async Task<HttpResponseMessage> Send(HttpMethod method, string path, string token, string? yaml = null)
    {
        using var r = new HttpRequestMessage(method, path);
        r.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (yaml is not null)
        {
            r.Content = new StringContent(yaml, Encoding.UTF8, "application/yaml");
        }
        return await _http.SendAsync(r);
    }

    [Fact]
    public async Task An_operator_of_a_gets_404_for_b_and_does_not_see_it_listed_and_an_admin_sees_both()
    {
        var store = _factory.Services.GetRequiredService<PlatformStore>();
        var a = store.CreateToken("op-a", "a", Role.Operator, null).Secret;
        var b = store.CreateToken("op-b", "b", Role.Operator, null).Secret;
        var admin = store.CreateToken("adm", "default", Role.Admin, null).Secret;

        (await Send(HttpMethod.Post, "/api/v1/descriptors", a, Yaml("web-a", "a"))).StatusCode.ShouldBe(HttpStatusCode.Created);
        (await Send(HttpMethod.Post, "/api/v1/descriptors", b, Yaml("web-b", "b"))).StatusCode.ShouldBe(HttpStatusCode.Created);
        // Writing into another tenant is refused as if that tenant did not exist.
        (await Send(HttpMethod.Post, "/api/v1/descriptors", a, Yaml("sneak", "b"))).StatusCode.ShouldBe(HttpStatusCode.NotFound);

        var listA = await (await Send(HttpMethod.Get, "/api/v1/descriptors", a)).Content.ReadAsStringAsync();
        listA.ShouldContain("web-a");
        listA.ShouldNotContain("web-b");
        (await Send(HttpMethod.Get, "/api/v1/descriptors/web-b?tenant=b", a)).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        // The same answer for a tenant that exists and one that does not: nothing to learn.
        var existing = Detail(await (await Send(HttpMethod.Get, "/api/v1/vnfs/web-b?tenant=b", a)).Content.ReadAsStringAsync());
        var absent = Detail(await (await Send(HttpMethod.Get, "/api/v1/vnfs/web-b?tenant=zz", a)).Content.ReadAsStringAsync());
        (await Send(HttpMethod.Get, "/api/v1/vnfs/web-b?tenant=b", a)).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        existing.Replace("'b'", "'zz'", StringComparison.Ordinal).Replace("tenant=b", "tenant=zz", StringComparison.Ordinal).ShouldBe(absent);
        (await Send(HttpMethod.Post, "/api/v1/vnfs/web-b/terminate?tenant=b", a)).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        // Its own, without ?tenant=: the caller's tenant is the default.
        (await Send(HttpMethod.Get, "/api/v1/descriptors/web-a", a)).StatusCode.ShouldBe(HttpStatusCode.OK);

        var all = await (await Send(HttpMethod.Get, "/api/v1/descriptors", admin)).Content.ReadAsStringAsync();
        all.ShouldContain("web-a");
        all.ShouldContain("web-b");
        (await Send(HttpMethod.Get, "/api/v1/descriptors/web-b?tenant=b", admin)).StatusCode.ShouldBe(HttpStatusCode.OK);
        // Root over the in-process host (no token) is admin, as the unix socket's uid 0.
        (await _http.GetAsync("/api/v1/descriptors/web-a?tenant=a")).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Another_tenants_instance_id_answers_404_as_an_absent_one()
    {
        var store = _factory.Services.GetRequiredService<PlatformStore>();
        var a = store.CreateToken("op-a", "a", Role.Operator, null).Secret;
        var r = store.Reserve("0123456789ab", Core.Descriptors.DescriptorParser.Parse(Yaml("inst-b", "b")), _ => IPAddress.Parse("10.71.0.9"));
        var other = await Send(HttpMethod.Get, $"/api/v1/instances/{r.Id}", a);
        other.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        var absent = await Send(HttpMethod.Get, "/api/v1/instances/ffffffffffff", a);
        Detail(await other.Content.ReadAsStringAsync()).Replace(r.Id, "X", StringComparison.Ordinal)
            .ShouldBe(Detail(await absent.Content.ReadAsStringAsync()).Replace("ffffffffffff", "X", StringComparison.Ordinal));
        (await (await Send(HttpMethod.Get, "/api/v1/instances", a)).Content.ReadAsStringAsync()).ShouldNotContain(r.Id);
        store.Delete(r.Id);
    }

    private static string Detail(string problem) => System.Text.Json.JsonDocument.Parse(problem).RootElement.GetProperty("detail").GetString()!;

    public void Dispose() => _factory.Dispose();
}
