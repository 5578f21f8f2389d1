using System.Net;
using System.Text;
using System.Text.Json;

namespace LightNfv.Server.Tests.Api;

/// <summary>The instance routes the CLI uses when a daemon runs (`run`, `ps`, `stop`, `rm --all`), without root: their refusals and empty answers.</summary>
public sealed class InstancesApiTests : IDisposable
{
    private readonly ServerFactory _factory = new();
    private readonly HttpClient _http;

    public InstancesApiTests() => _http = _factory.CreateClient();

    private static async Task<JsonElement> Json(HttpResponseMessage r) => JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.Clone();

    [Fact]
    public async Task Run_with_a_bad_descriptor_is_a_400_naming_the_field_and_creates_nothing()
    {
        var yaml = "apiVersion: lightnfv/v1\nkind: Vnf\nmetadata: {name: web}\nspec:\n  technology: process\n  app: {builtin: iperf3-server}\n  resources: {memoryMiB: lots}\n";
        var r = await _http.PostAsync("/api/v1/instances", new StringContent(yaml, Encoding.UTF8, "application/yaml"));
        r.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        var p = await Json(r);
        p.GetProperty("field").GetString().ShouldBe("spec.resources.memoryMiB");
        p.GetProperty("type").GetString()!.ShouldEndWith("/invalid");
        (await Json(await _http.GetAsync("/api/v1/instances"))).GetArrayLength().ShouldBe(0);
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("3601")]
    [InlineData("NaN")]
    public async Task A_stop_grace_out_of_range_is_a_400_naming_time(string time)
    {
        var p = await Json(await _http.PostAsync($"/api/v1/instances/abc/stop?time={time}", null));
        p.GetProperty("status").GetInt32().ShouldBe(400);
        p.GetProperty("field").GetString().ShouldBe("time");
    }

    [Fact]
    public async Task Unknown_instances_are_404_for_every_action()
    {
        foreach (var (method, path) in new[] { (HttpMethod.Post, "/api/v1/instances/abc/stop"), (HttpMethod.Post, "/api/v1/instances/abc/start"),
            (HttpMethod.Delete, "/api/v1/instances/abc"), (HttpMethod.Get, "/api/v1/instances/abc/logs") })
        {
            var r = await _http.SendAsync(new HttpRequestMessage(method, path));
            r.StatusCode.ShouldBe(HttpStatusCode.NotFound, $"{method} {path}");
            (await Json(r)).GetProperty("detail").GetString()!.ShouldContain("no instance matches 'abc'");
        }
    }

    [Fact]
    public async Task Observed_list_and_remove_all_answer_on_an_empty_platform()
    {
        (await Json(await _http.GetAsync("/api/v1/instances?observe=true"))).GetArrayLength().ShouldBe(0);
        var removed = await Json(await _http.DeleteAsync("/api/v1/instances"));
        removed.GetProperty("removed").GetInt32().ShouldBe(0);
        removed.GetProperty("keptVnfs").GetArrayLength().ShouldBe(0);
    }

    public void Dispose()
    {
        _http.Dispose();
        _factory.Dispose();
    }
}
