using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using LightNfv.Server.Tests.Events;

namespace LightNfv.Server.Tests.Api.Concurrency;

/// <summary>ETags on the mutable resources: GET gives one, If-None-Match answers 304, a stale If-Match is a 412 that changes nothing.</summary>
public sealed class ETagTests : IDisposable
{
    private readonly ServerFactory _factory = new();
    private readonly HttpClient _http;

    public ETagTests() => _http = _factory.CreateClient();

    private static string Yaml(string name, int memoryMiB) => $"""
        apiVersion: lightnfv/v1
        kind: Vnf
        metadata:
          name: {name}
        spec:
          technology: process
          app:
            builtin: iperf3-server
          resources:
            memoryMiB: {memoryMiB}
        """;

    private Task<HttpResponseMessage> PostYaml(string yaml) =>
        _http.PostAsync("/api/v1/descriptors", new StringContent(yaml, Encoding.UTF8, "application/yaml"));

    private async Task<HttpResponseMessage> Send(HttpMethod method, string url, string? ifMatch = null, string? ifNoneMatch = null)
    {
        using var request = new HttpRequestMessage(method, url);
        if (ifMatch is not null)
        {
            request.Headers.IfMatch.Add(EntityTagHeaderValue.Parse(ifMatch));
        }
        if (ifNoneMatch is not null)
        {
            request.Headers.IfNoneMatch.Add(EntityTagHeaderValue.Parse(ifNoneMatch));
        }
        return await _http.SendAsync(request);
    }

    [Fact]
    public async Task A_descriptor_has_an_etag_that_changes_with_a_new_version()
    {
        (await PostYaml(Yaml("web", 32))).StatusCode.ShouldBe(HttpStatusCode.Created);
        var first = await _http.GetAsync("/api/v1/descriptors/web");
        var tag = first.Headers.ETag!.Tag;
        first.Headers.ETag.IsWeak.ShouldBeFalse();

        (await Send(HttpMethod.Get, "/api/v1/descriptors/web", ifNoneMatch: tag)).StatusCode.ShouldBe(HttpStatusCode.NotModified);
        (await Send(HttpMethod.Get, "/api/v1/descriptors/web", ifNoneMatch: "\"other\"")).StatusCode.ShouldBe(HttpStatusCode.OK);

        (await PostYaml(Yaml("web", 64))).StatusCode.ShouldBe(HttpStatusCode.Created);
        var second = await Send(HttpMethod.Get, "/api/v1/descriptors/web", ifNoneMatch: tag);
        second.StatusCode.ShouldBe(HttpStatusCode.OK);
        second.Headers.ETag!.Tag.ShouldNotBe(tag);

        // The stale tag: 412 naming If-Match, and the descriptor is still there.
        var stale = await Send(HttpMethod.Delete, "/api/v1/descriptors/web", ifMatch: tag);
        stale.StatusCode.ShouldBe(HttpStatusCode.PreconditionFailed);
        stale.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
        var p = JsonDocument.Parse(await stale.Content.ReadAsStringAsync()).RootElement;
        p.GetProperty("status").GetInt32().ShouldBe(412);
        p.GetProperty("field").GetString().ShouldBe("If-Match");
        p.GetProperty("detail").GetString()!.ShouldContain(second.Headers.ETag.Tag);
        (await _http.GetAsync("/api/v1/descriptors/web")).StatusCode.ShouldBe(HttpStatusCode.OK);

        (await Send(HttpMethod.Delete, "/api/v1/descriptors/web", ifMatch: second.Headers.ETag.Tag)).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        (await _http.GetAsync("/api/v1/descriptors/web")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_subscription_delete_with_a_stale_or_unknown_etag_is_refused()
    {
        using var listener = new CallbackListener();
        var created = await _http.PostAsJsonAsync("/api/v1/subscriptions", new { callbackUri = listener.Url() });
        created.StatusCode.ShouldBe(HttpStatusCode.Created);
        var id = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;
        var get = await _http.GetAsync($"/api/v1/subscriptions/{id}");
        var tag = get.Headers.ETag!.Tag;
        (await Send(HttpMethod.Get, $"/api/v1/subscriptions/{id}", ifNoneMatch: tag)).StatusCode.ShouldBe(HttpStatusCode.NotModified);
        (await Send(HttpMethod.Delete, $"/api/v1/subscriptions/{id}", ifMatch: "\"0000\"")).StatusCode.ShouldBe(HttpStatusCode.PreconditionFailed);
        (await Send(HttpMethod.Delete, $"/api/v1/subscriptions/{id}", ifMatch: tag)).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        // Gone: any If-Match fails (RFC 9110 13.1.1), and without one it is an ordinary 404.
        (await Send(HttpMethod.Delete, $"/api/v1/subscriptions/{id}", ifMatch: tag)).StatusCode.ShouldBe(HttpStatusCode.PreconditionFailed);
        (await Send(HttpMethod.Delete, $"/api/v1/subscriptions/{id}")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task An_action_on_a_vnf_with_a_stale_etag_does_nothing()
    {
        (await PostYaml(Yaml("web", 32))).StatusCode.ShouldBe(HttpStatusCode.Created);
        // Not instantiated: no ETag matches it, so the scale is refused before the lifecycle sees it.
        var r = await _http.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/api/v1/vnfs/web/scale")
        {
            Content = JsonContent.Create(new { replicas = 2 }),
            Headers = { IfMatch = { EntityTagHeaderValue.Parse("\"abc\"") } },
        });
        r.StatusCode.ShouldBe(HttpStatusCode.PreconditionFailed);
        (await _http.GetStringAsync("/api/v1/operations")).ShouldBe("[]");
    }

    public void Dispose()
    {
        _http.Dispose();
        _factory.Dispose();
    }
}
