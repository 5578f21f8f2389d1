using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using LightNfv.Core.Identity;
using LightNfv.Platform.Store;
using LightNfv.Server.Auth;
using Microsoft.Extensions.DependencyInjection;

namespace LightNfv.Server.Tests.Auth;

/// <summary>
/// Role x tenant x endpoint, generated over every operation of the daemon's OpenAPI document (a new route is in the
/// matrix the day it is mapped): a role below the route's rule gets 403; a tenant-a caller aiming at tenant b's
/// object gets exactly the answer an absent object gets (status and words), and b's objects never appear in its lists;
/// an admin is refused nowhere.
/// </summary>
public sealed class AccessMatrixTests : IDisposable
{
    private readonly ServerFactory _factory = new();
    private readonly HttpClient _http;
    private readonly PlatformStore _store;

    public AccessMatrixTests()
    {
        _http = _factory.CreateClient();
        _store = _factory.Services.GetRequiredService<PlatformStore>();
    }

    public void Dispose()
    {
        _http.Dispose();
        _factory.Dispose();
    }

    private static string Yaml(string name, string tenant) => TenantDescriptors.Yaml(name, tenant);

    /// <summary>Tenant b's objects (present) and objects nobody has (absent), by route parameter.</summary>
    private sealed record Targets(string Vnf, string Tenant, string Instance, string Operation);

    private static string Fill(string route, Targets t) => route
        .Replace("/tenants/{name}", $"/tenants/{t.Tenant}", StringComparison.Ordinal)
        .Replace("{name}", t.Vnf, StringComparison.Ordinal)
        .Replace("/instances/{id}", $"/instances/{t.Instance}", StringComparison.Ordinal)
        .Replace("{id}", t.Operation, StringComparison.Ordinal)
        .Replace("{version}", "1", StringComparison.Ordinal)
        .Replace("{vnfInstanceId}", t.Operation, StringComparison.Ordinal)
        .Replace("{vnfLcmOpOccId}", t.Operation, StringComparison.Ordinal);

    private async Task<(HttpStatusCode Status, string Body)> Send(string method, string route, Targets t, string? token)
    {
        var path = Fill(route, t);
        using var request = new HttpRequestMessage(new HttpMethod(method), path + (path.Contains('?', StringComparison.Ordinal) ? "&" : "?") + $"tenant={t.Tenant}");
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
        if (method is "POST" or "PATCH" or "PUT")
        {
            request.Content = route.EndsWith("/descriptors", StringComparison.Ordinal) || route.EndsWith("/instances", StringComparison.Ordinal)
                ? new StringContent(Yaml(t.Vnf + "-new", t.Tenant), Encoding.UTF8, "application/yaml")
                : new StringContent("{}", Encoding.UTF8, "application/json");
        }
        if (route.EndsWith("/events/stream", StringComparison.Ordinal))
        {
            // A stream never ends: its status and headers are the answer.
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            using var streamed = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cts.Token);
            return (streamed.StatusCode, "");
        }
        using var r = await _http.SendAsync(request);
        return (r.StatusCode, await r.Content.ReadAsStringAsync());
    }

    private static string Detail(string body)
    {
        try
        {
            return JsonDocument.Parse(body).RootElement.TryGetProperty("detail", out var d) ? d.GetString() ?? "" : body;
        }
        catch (JsonException)
        {
            return body;
        }
    }

    [Fact]
    public async Task Every_route_refuses_a_small_role_hides_another_tenant_and_refuses_an_admin_nothing()
    {
        var admin = _store.CreateToken("matrix-admin", "default", Role.Admin, null).Secret;
        var callers = new[]
        {
            (Name: "viewer of a", Role: Role.Viewer, Token: _store.CreateToken("matrix-viewer-a", "a", Role.Viewer, null).Secret),
            (Name: "operator of a", Role: Role.Operator, Token: _store.CreateToken("matrix-operator-a", "a", Role.Operator, null).Secret),
        };
        using (var created = await _http.PostAsync("/api/v1/descriptors", new StringContent(Yaml("web-b", "b"), Encoding.UTF8, "application/yaml")))
        {
            created.StatusCode.ShouldBe(HttpStatusCode.Created);
        }
        var instance = _store.Reserve("0123456789ab", Core.Descriptors.DescriptorParser.Parse(Yaml("inst-b", "b")), _ => IPAddress.Parse("10.71.0.9"));
        _factory.Services.GetRequiredService<Platform.Alerts.AlertHub>().Raise(Platform.Alerts.AlertKinds.InstanceFailed, "b", "web-b", instance.Id, "an alert of b");
        var present = new Targets("web-b", "b", instance.Id, "0123456789ab");
        var absent = new Targets("web-zz", "zz", "ffffffffffff", "ffffffffffff");

        var doc = JsonDocument.Parse(await _http.GetStringAsync("/openapi/v1.json")).RootElement;
        var operations = doc.GetProperty("paths").EnumerateObject()
            .SelectMany(p => p.Value.EnumerateObject().Select(m => (Method: m.Name.ToUpperInvariant(), Route: p.Name)))
            .ToList();
        operations.Count.ShouldBeGreaterThan(50);
        var failures = new List<string>();
        try
        {
            foreach (var (method, route) in operations)
            {
                var key = $"{method} {route}";
                var rule = AccessRules.Table.TryGetValue(key, out var r) ? r
                    : AccessRules.Table.TryGetValue($"{method} {route}/", out var slash) ? slash
                    : AccessRules.Table.FirstOrDefault(e => Normalize(e.Key) == Normalize(key)) is { Key: not null } found ? found.Value
                    : throw new InvalidOperationException($"{key}: in the OpenAPI document but not in AccessRules.Table");
                foreach (var caller in callers)
                {
                    var (status, body) = await Send(method, route, present, caller.Token);
                    if ((int)status >= 500)
                    {
                        failures.Add($"{caller.Name}: {key} answered {(int)status}");
                    }
                    else if (rule is { } needs && caller.Role < needs)
                    {
                        if (status != HttpStatusCode.Forbidden)
                        {
                            failures.Add($"{caller.Name}: {key} needs {needs} but answered {(int)status}");
                        }
                    }
                    else if (rule is not null && route.Contains('{', StringComparison.Ordinal))
                    {
                        // The same request aimed at nothing must answer the same, or the caller learns b's object exists.
                        var (absentStatus, absentBody) = await Send(method, route, absent, caller.Token);
                        var seen = Detail(body).Replace(present.Vnf, "X", StringComparison.Ordinal).Replace(present.Instance, "X", StringComparison.Ordinal)
                            .Replace("'b'", "'X'", StringComparison.Ordinal).Replace("tenant=b", "tenant=X", StringComparison.Ordinal);
                        var none = Detail(absentBody).Replace(absent.Vnf, "X", StringComparison.Ordinal).Replace(absent.Instance, "X", StringComparison.Ordinal)
                            .Replace("'zz'", "'X'", StringComparison.Ordinal).Replace("tenant=zz", "tenant=X", StringComparison.Ordinal);
                        if ((int)status is >= 200 and < 300 || status != absentStatus || seen != none)
                        {
                            failures.Add($"{caller.Name}: {key} on b's object answered {(int)status} '{Detail(body)}', on an absent one {(int)absentStatus} '{Detail(absentBody)}'");
                        }
                    }
                    else if ((int)status is >= 200 and < 300 && (body.Contains("web-b", StringComparison.Ordinal) || body.Contains(instance.Id, StringComparison.Ordinal) || body.Contains("an alert of b", StringComparison.Ordinal)))
                    {
                        failures.Add($"{caller.Name}: {key} listed tenant b's objects: {body[..Math.Min(body.Length, 300)]}");
                    }
                }
                if (method == "GET")
                {
                    var (status, _) = await Send(method, route, present, admin);
                    if (status is HttpStatusCode.Forbidden or HttpStatusCode.Unauthorized || (int)status >= 500)
                    {
                        failures.Add($"admin: {key} answered {(int)status}");
                    }
                }
            }
        }
        finally
        {
            _store.Delete(instance.Id);
        }
        failures.ShouldBeEmpty();
        // The admin sees what the tenant's callers did not.
        (await Send("GET", "/api/v1/events", present, admin)).Body.ShouldContain("an alert of b");
        // The operator's refused writes changed nothing of b's.
        _store.LatestDescriptors().Where(d => d.Tenant == "b").Select(d => d.Name).ShouldBe(["web-b"]);
    }

    private static string Normalize(string key) => System.Text.RegularExpressions.Regex.Replace(key.TrimEnd('/'), @"\{([a-zA-Z]+)(:[a-z]+)?\}", "{$1}");
}
