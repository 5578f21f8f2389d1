using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using LightNfv.Platform.Alerts;
using Microsoft.Extensions.DependencyInjection;

namespace LightNfv.Server.Tests.Api;

/// <summary>The REST API through WebApplicationFactory: resources, problem details naming the field, operations.</summary>
public sealed class ApiTests : IDisposable
{
    private readonly ServerFactory _factory = new();
    private readonly HttpClient _http;

    public ApiTests() => _http = _factory.CreateClient();

    private static string Yaml(string name, string app = "builtin: iperf3-server", string extra = "") => $"""
        apiVersion: lightnfv/v1
        kind: Vnf
        metadata:
          name: {name}
        spec:
          technology: process
          app:
            {app}
        {extra}
        """;

    private async Task<HttpResponseMessage> PostYaml(string yaml) =>
        await _http.PostAsync("/api/v1/descriptors", new StringContent(yaml, Encoding.UTF8, "application/yaml"));

    private static async Task<JsonElement> Json(HttpResponseMessage r) => JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.Clone();

    [Fact]
    public async Task Descriptors_are_versioned()
    {
        var first = await PostYaml(Yaml("web"));
        first.StatusCode.ShouldBe(HttpStatusCode.Created);
        (await Json(first)).GetProperty("version").GetInt32().ShouldBe(1);
        first.Headers.Location!.ToString().ShouldContain("/api/v1/descriptors/web/versions/1");

        // The same text again is not a new version; a changed text is.
        (await Json(await PostYaml(Yaml("web")))).GetProperty("version").GetInt32().ShouldBe(1);
        (await Json(await PostYaml(Yaml("web", extra: "  resources: {memoryMiB: 32}")))).GetProperty("version").GetInt32().ShouldBe(2);

        var versions = await Json(await _http.GetAsync("/api/v1/descriptors/web/versions"));
        versions.EnumerateArray().Select(v => v.GetProperty("version").GetInt32()).ShouldBe([1, 2]);
        (await Json(await _http.GetAsync("/api/v1/descriptors"))).GetArrayLength().ShouldBe(1);
        (await Json(await _http.GetAsync("/api/v1/descriptors/web"))).GetProperty("version").GetInt32().ShouldBe(2);

        (await _http.DeleteAsync("/api/v1/descriptors/web")).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        (await _http.GetAsync("/api/v1/descriptors/web")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Json_body_is_accepted_too()
    {
        var r = await _http.PostAsJsonAsync("/api/v1/descriptors", new { yaml = Yaml("jsonvnf") });
        r.StatusCode.ShouldBe(HttpStatusCode.Created);
    }

    [Theory]
    [InlineData("spec:\n  technology: nosuch", "spec.technology")]
    [InlineData("spec:\n  technology: process\n  app: {builtin: iperf3-server}\n  health: {probe: http}", "spec.health.probe")]
    public async Task Invalid_descriptor_is_a_problem_naming_the_field(string spec, string field)
    {
        var r = await PostYaml($"apiVersion: lightnfv/v1\nkind: Vnf\nmetadata: {{name: bad}}\n{spec}\n");
        r.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        r.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
        var p = await Json(r);
        p.GetProperty("status").GetInt32().ShouldBe(400);
        p.GetProperty("field").GetString().ShouldBe(field);
        p.GetProperty("detail").GetString()!.ShouldContain(field);
    }

    [Fact]
    public async Task Lifecycle_errors_are_problems()
    {
        var missing = await _http.PostAsJsonAsync("/api/v1/vnfs/nothere/instantiate", new { });
        missing.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await Json(missing)).GetProperty("field").GetString().ShouldBe("name");

        await PostYaml(Yaml("web"));
        var scale = await _http.PostAsJsonAsync("/api/v1/vnfs/web/scale", new { });
        scale.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await Json(scale)).GetProperty("field").GetString().ShouldBe("replicas");
        var notInstantiated = await _http.PostAsJsonAsync("/api/v1/vnfs/web/scale", new { replicas = 2 });
        notInstantiated.StatusCode.ShouldBe(HttpStatusCode.NotFound);

        var bad = await _http.PostAsJsonAsync("/api/v1/vnfs/web/instantiate", new { replicas = -1 });
        bad.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await Json(bad)).GetProperty("field").GetString().ShouldBe("replicas");

        var badVersion = await _http.PostAsJsonAsync("/api/v1/vnfs/web/instantiate", new { version = 9 });
        badVersion.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await Json(badVersion)).GetProperty("field").GetString().ShouldBe("version");

        var wrongType = await _http.PostAsync("/api/v1/vnfs/web/instantiate", new StringContent("{\"replicas\": \"two\"}", Encoding.UTF8, "application/json"));
        wrongType.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
    }

    /// <summary>A program that does not exist fails at the backend's create (before any host change): the operation ends rolled_back and desired state is undone.</summary>
    [Fact]
    public async Task Failed_instantiate_is_rolled_back_and_alerted()
    {
        (await PostYaml(Yaml("vm1", app: "command: [/nonexistent/lightnfv-test-program]"))).StatusCode.ShouldBe(HttpStatusCode.Created);
        var r = await _http.PostAsJsonAsync("/api/v1/vnfs/vm1/instantiate", new { replicas = 1 });
        r.StatusCode.ShouldBe(HttpStatusCode.Accepted);
        var op = await Json(r);
        op.GetProperty("state").GetString().ShouldBe("processing");
        r.Headers.Location!.ToString().ShouldBe($"/api/v1/operations/{op.GetProperty("id").GetString()}");

        var state = "processing";
        for (var i = 0; i < 200 && state == "processing"; i++)
        {
            await Task.Delay(50);
            state = (await Json(await _http.GetAsync(r.Headers.Location))).GetProperty("state").GetString()!;
        }
        state.ShouldBe("rolled_back");
        (await _http.GetAsync("/api/v1/vnfs/vm1")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        var alerts = await Json(await _http.GetAsync("/api/v1/alerts"));
        alerts.EnumerateArray().ShouldContain(a => a.GetProperty("notificationType").GetString() == AlertKinds.OperationFailed);
        (await Json(await _http.GetAsync("/api/v1/operations?state=rolled_back"))).GetArrayLength().ShouldBe(1);
    }

    [Fact]
    public async Task Instances_metrics_openapi_and_status_answer()
    {
        (await Json(await _http.GetAsync("/api/v1/instances"))).GetArrayLength().ShouldBe(0);
        (await _http.GetAsync("/api/v1/instances/abc")).StatusCode.ShouldBe(HttpStatusCode.NotFound);

        var metrics = await _http.GetAsync("/metrics");
        metrics.Content.Headers.ContentType!.MediaType.ShouldBe("text/plain");
        var text = await metrics.Content.ReadAsStringAsync();
        text.ShouldContain("# TYPE lightnfv_heals_total counter");
        text.ShouldContain("lightnfv_watched_processes 0");

        var openapi = await _http.GetStringAsync("/openapi/v1.json");
        openapi.ShouldContain("/api/v1/vnfs/{name}/scale");
        openapi.ShouldContain("/api/v1/descriptors");

        var status = await Json(await _http.GetAsync("/api/v1/status"));
        status.GetProperty("adoption").GetProperty("adopted").GetInt32().ShouldBe(0);
    }

    [Fact]
    public async Task Subscriptions_validate_and_list()
    {
        var bad = await _http.PostAsJsonAsync("/api/v1/subscriptions", new { callbackUri = "ftp://x" });
        bad.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await Json(bad)).GetProperty("field").GetString().ShouldBe("callbackUri");
        var badKind = await _http.PostAsJsonAsync("/api/v1/subscriptions", new { callbackUri = "http://127.0.0.1:1/", kinds = new[] { "nope" } });
        (await Json(badKind)).GetProperty("field").GetString().ShouldBe("kinds[0]");

        using var listener = new Events.CallbackListener();
        var ok = await _http.PostAsJsonAsync("/api/v1/subscriptions", new { callbackUri = listener.Url() });
        ok.StatusCode.ShouldBe(HttpStatusCode.Created);
        var id = (await Json(ok)).GetProperty("id").GetString();
        (await Json(await _http.GetAsync("/api/v1/subscriptions"))).GetArrayLength().ShouldBe(1);
        (await _http.DeleteAsync($"/api/v1/subscriptions/{id}")).StatusCode.ShouldBe(HttpStatusCode.NoContent);
    }

    [Fact]
    public async Task Event_stream_sends_alerts_as_sse()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        using var response = await _http.GetAsync("/api/v1/events/stream", HttpCompletionOption.ResponseHeadersRead, cts.Token);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("text/event-stream");
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cts.Token));
        (await reader.ReadLineAsync(cts.Token)).ShouldBe(": connected");
        _factory.Services.GetRequiredService<AlertHub>().Raise(AlertKinds.InstanceFailed, "default", "web", "abc", "test alert");
        string? line;
        var lines = new List<string>();
        while ((line = await reader.ReadLineAsync(cts.Token)) is not null && !line.StartsWith("data:", StringComparison.Ordinal))
        {
            lines.Add(line);
        }
        lines.ShouldContain("event: instance.failed");
        line!.ShouldContain("test alert");
    }

    public void Dispose()
    {
        _http.Dispose();
        _factory.Dispose();
    }
}
