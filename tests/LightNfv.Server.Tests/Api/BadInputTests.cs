using System.Net;
using System.Net.Http.Headers;
using System.Reflection;
using System.Text;
using System.Text.Json;
using LightNfv.Core.Descriptors;
using LightNfv.Server.Daemon;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.Extensions.DependencyInjection;

namespace LightNfv.Server.Tests.Api;

/// <summary>
/// Malformed requests get RFC 7807 problem documents with a 4xx status, never a 5xx or an empty body. The sweep
/// reads the mapped endpoints from the app itself, so a route added later is covered without editing this test.
/// </summary>
public sealed class BadInputTests : IDisposable
{
    // Off: the sweep sends well over the burst, and a 429 would stand in for the answer under test.
    private readonly ServerFactory _factory = new(new CallerRateLimit(0, 1));
    private readonly HttpClient _http;

    public BadInputTests() => _http = _factory.CreateClient();

    private static async Task<JsonElement> Problem(HttpResponseMessage r, int status)
    {
        var text = await r.Content.ReadAsStringAsync();
        ((int)r.StatusCode).ShouldBe(status, text);
        r.Content.Headers.ContentType?.MediaType.ShouldBe("application/problem+json", text);
        var p = JsonDocument.Parse(text).RootElement.Clone();
        p.GetProperty("status").GetInt32().ShouldBe(status);
        return p;
    }

    private Task<HttpResponseMessage> Post(string path, string body, string? contentType)
    {
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
        if (contentType is not null)
        {
            content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        }
        return _http.PostAsync(path, content);
    }

    private static string Descriptor(string name, string app = "{builtin: iperf3-server}") =>
        $"apiVersion: lightnfv/v1\nkind: Vnf\nmetadata: {{name: {name}}}\nspec:\n  technology: process\n  app: {app}\n";

    [Fact]
    public async Task A_descriptor_nested_100k_levels_deep_is_a_400_and_the_daemon_lives_on()
    {
        var deep = "apiVersion: lightnfv/v1\nkind: Vnf\nmetadata: {name: deep}\nspec: " + new string('[', 100_000) + new string(']', 100_000);
        var p = await Problem(await Post("/api/v1/descriptors", deep, "application/yaml"), 400);
        p.GetProperty("detail").GetString()!.ShouldContain("nesting limit");
        p.GetProperty("field").GetString().ShouldBe("(document)");

        // The same through JSON: System.Text.Json's own depth limit answers first (64).
        var json = "{\"yaml\": " + new string('[', 100_000) + new string(']', 100_000) + "}";
        (await Problem(await Post("/api/v1/descriptors", json, "application/json"), 400)).GetProperty("field").GetString().ShouldBe("yaml");

        // Still serving.
        (await Post("/api/v1/descriptors", Descriptor("after"), "application/yaml")).StatusCode.ShouldBe(HttpStatusCode.Created);
    }

    [Fact]
    public async Task Descriptors_over_the_size_limit_are_413_and_not_stored()
    {
        var pad = "#" + new string('c', DescriptorLimits.MaxBytes);
        var p = await Problem(await Post("/api/v1/descriptors", Descriptor("big") + pad, "application/yaml"), 413);
        p.GetProperty("detail").GetString()!.ShouldContain("262144 bytes (256 KiB)");

        // In JSON too: the YAML inside is what is measured.
        var wrapped = JsonSerializer.Serialize(new { yaml = Descriptor("big") + pad });
        (await Problem(await Post("/api/v1/descriptors", wrapped, "application/json"), 413)).GetProperty("detail").GetString()!.ShouldContain("262144");

        // A body over the route's limit is refused before it is read whole.
        var huge = await Problem(await Post("/api/v1/descriptors", Descriptor("big") + "#" + new string('c', 10 * 1024 * 1024), "application/yaml"), 413);
        huge.GetProperty("field").GetString().ShouldBe("body");
        huge.GetProperty("detail").GetString()!.ShouldContain($"{4 * DescriptorLimits.MaxBytes} bytes");

        (await _http.GetAsync("/api/v1/descriptors/big")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    [Theory]
    [InlineData("[1,2]", "application/json", 400, "yaml")]
    [InlineData("{\"yaml\": 5}", "application/json", 400, "yaml")]
    [InlineData("not json", "application/json", 400, "yaml")]
    [InlineData("<vnf/>", "application/xml", 415, "Content-Type")]
    [InlineData("a=b", "application/x-www-form-urlencoded", 415, "Content-Type")]
    public async Task Malformed_descriptor_bodies_name_the_field(string body, string contentType, int status, string field)
    {
        var p = await Problem(await Post("/api/v1/descriptors", body, contentType), status);
        p.GetProperty("field").GetString().ShouldBe(field);
        p.GetProperty("detail").GetString()!.ShouldContain(field);
    }

    [Fact]
    public async Task Control_characters_and_dotdot_are_refused_by_the_api()
    {
        var nul = await Problem(await Post("/api/v1/descriptors", Descriptor("nul").Replace("process", "\"process\\0\"", StringComparison.Ordinal), "application/yaml"), 400);
        nul.GetProperty("field").GetString().ShouldBe("spec.technology");
        var dots = await Problem(await Post("/api/v1/descriptors", Descriptor("dots", "{command: [../../bin/sh]}"), "application/yaml"), 400);
        dots.GetProperty("field").GetString().ShouldBe("spec.app.command[0]");
    }

    [Theory]
    [InlineData("/api/v1/alerts?after=abc", "after")]
    [InlineData("/api/v1/instances/x/logs?tail=99999999999", "tail")]
    public async Task A_bad_query_value_is_a_400_naming_it(string url, string field)
    {
        var p = await Problem(await _http.GetAsync(url), 400);
        p.GetProperty("field").GetString().ShouldBe(field);
        p.GetProperty("detail").GetString()!.ShouldStartWith(field + ":");
    }

    [Fact]
    public async Task Wrong_json_types_name_the_field()
    {
        await Post("/api/v1/descriptors", Descriptor("web"), "application/yaml");
        var p = await Problem(await Post("/api/v1/vnfs/web/instantiate", "{\"replicas\": \"two\"}", "application/json"), 400);
        p.GetProperty("field").GetString().ShouldBe("replicas");
        (await Problem(await Post("/api/v1/vnfs/web/scale", "{\"replicas\": 2}", "text/plain"), 415)).GetProperty("field").GetString().ShouldBe("Content-Type");
    }

    /// <summary>
    /// Values to put in route and query parameters: ordinary, an encoded control character (NUL in the query: the test
    /// client refuses it in a path, as Kestrel does), an encoded slash, negative, a number too large for any integer.
    /// </summary>
    private static readonly string[] s_routeValues = ["x", "%01", "..%2F..", "-1", "99999999999999999999", "abc"];

    /// <summary>Bodies a confused or hostile client sends: wrong JSON shapes and types, not JSON, wrong media types, nothing.</summary>
    private static readonly (string Body, string? ContentType)[] s_bodies =
    [
        ("[1,2]", "application/json"),
        ("{\"replicas\": \"two\", \"version\": [], \"instanceId\": 5, \"callbackUri\": 7, \"kinds\": \"x\", \"yaml\": 1}", "application/json"),
        ("{\"replicas\": 99999999999, \"version\": -1}", "application/json"),
        ("{\"kinds\": [1, null], \"callbackUri\": \"file:///etc/passwd\"}", "application/json"),
        ("not json {", "application/json"),
        ("null", "application/json"),
        ("", "application/json"),
        ("", null),
        (new string('[', 10_000) + new string(']', 10_000), "application/json"),
        ("<x/>", "application/xml"),
        ("{}", "text/plain"),
        ("\0\u0001\u001b", "application/yaml"),
    ];

    [Fact]
    public async Task Every_endpoint_answers_malformed_requests_with_a_4xx_problem()
    {
        var endpoints = _factory.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>().ToList();
        endpoints.Count.ShouldBeGreaterThan(20, "the sweep should see every mapped route");
        var failures = new List<string>();
        var requests = 0;
        foreach (var endpoint in endpoints)
        {
            var methods = endpoint.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET"];
            var handler = endpoint.Metadata.OfType<MethodInfo>().FirstOrDefault();
            var queryNames = QueryParameters(endpoint.RoutePattern, handler);
            foreach (var method in methods)
            {
                foreach (var url in Urls(endpoint.RoutePattern, queryNames))
                {
                    var bodies = method is "GET" or "HEAD" ? [("", (string?)null)] : s_bodies;
                    foreach (var (body, contentType) in bodies)
                    {
                        requests++;
                        var problem = await Check(method, url, body, contentType);
                        if (problem is not null)
                        {
                            failures.Add($"{method} {url} [{contentType}] {Shorten(body)}: {problem}");
                        }
                    }
                }
            }
        }
        requests.ShouldBeGreaterThan(200);
        failures.ShouldBeEmpty(string.Join('\n', failures));
    }

    /// <summary>Null when the answer is acceptable: below 500, and a problem document with the status whenever it is an error.</summary>
    private async Task<string?> Check(string method, string url, string body, string? contentType)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), url);
        if (method is not ("GET" or "HEAD"))
        {
            request.Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
            if (contentType is not null)
            {
                request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
            }
        }
        // Headers only: the event stream never ends, and a bound keeps any other stuck response from hanging the sweep.
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cts.Token);
        var status = (int)response.StatusCode;
        if (status < 400)
        {
            return null;
        }
        if (status >= 500)
        {
            return $"{status} {Shorten(await response.Content.ReadAsStringAsync(cts.Token))}";
        }
        var text = await response.Content.ReadAsStringAsync(cts.Token);
        if (url.StartsWith("/ui/", StringComparison.Ordinal) && response.Content.Headers.ContentType?.MediaType == "text/html")
        {
            // A console page answers a browser: its error page names the status and says why, in the console's frame.
            return text.Contains($"<title>{status} ", StringComparison.Ordinal) && text.Contains("data-testid=\"error\"", StringComparison.Ordinal)
                ? null
                : $"{status}: the console's error page lacks the status or the reason: {Shorten(text)}";
        }
        if (response.Content.Headers.ContentType?.MediaType != "application/problem+json")
        {
            return $"{status} with content type '{response.Content.Headers.ContentType}' and body '{Shorten(text)}'";
        }
        using var doc = JsonDocument.Parse(text);
        if (!doc.RootElement.TryGetProperty("status", out var s) || s.GetInt32() != status)
        {
            return $"{status}: the problem's status is not {status}: {Shorten(text)}";
        }
        if (!doc.RootElement.TryGetProperty("detail", out var d) || string.IsNullOrWhiteSpace(d.GetString()))
        {
            return $"{status}: the problem has no detail: {Shorten(text)}";
        }
        return null;
    }

    /// <summary>The handler's parameters that bind from the query string: simple types that are not route values.</summary>
    private static List<string> QueryParameters(RoutePattern pattern, MethodInfo? handler)
    {
        if (handler is null)
        {
            return [];
        }
        var route = pattern.Parameters.Select(p => p.Name).ToHashSet(StringComparer.OrdinalIgnoreCase);
        return handler.GetParameters()
            .Where(p => p.Name is not null && !route.Contains(p.Name))
            .Where(p => (Nullable.GetUnderlyingType(p.ParameterType) ?? p.ParameterType) is var t && (t.IsPrimitive || t == typeof(string) || t.IsEnum))
            .Select(p => p.Name!)
            .ToList();
    }

    private static IEnumerable<string> Urls(RoutePattern pattern, List<string> queryNames)
    {
        foreach (var value in s_routeValues)
        {
            var path = "/" + string.Join('/', pattern.PathSegments.Select(segment => string.Concat(segment.Parts.Select(part => part switch
            {
                RoutePatternLiteralPart l => l.Content,
                RoutePatternParameterPart => value,
                RoutePatternSeparatorPart sep => sep.Content,
                _ => "",
            }))));
            var query = queryNames.Count == 0 ? "" : "?" + string.Join('&', queryNames.Select(n => $"{n}={value.Replace("%01", "%00", StringComparison.Ordinal)}"));
            yield return path + query;
        }
    }

    private static string Shorten(string s) => s.Length > 120 ? s[..120] + "..." : s;

    public void Dispose()
    {
        _http.Dispose();
        _factory.Dispose();
    }
}
