using System.Text;
using System.Text.Json;

namespace LightNfv.Server.Tests.Api;

/// <summary>POST /api/v1/instances/{id}/resize without root: its body is checked field by field before anything is looked up.</summary>
public sealed class InstanceResizeApiTests : IDisposable
{
    private readonly ServerFactory _factory = new();
    private readonly HttpClient _http;

    public InstanceResizeApiTests() => _http = _factory.CreateClient();

    private async Task<JsonElement> Post(string id, string body)
    {
        var r = await _http.PostAsync($"/api/v1/instances/{id}/resize", new StringContent(body, Encoding.UTF8, "application/json"));
        return JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    [Theory]
    [InlineData("{\"memory\": 256}", "memory", "not a resizable field; give any of vcpus, memoryMiB, pids, bandwidthMbps, cpuset")]
    [InlineData("{\"vcpus\": \"two\"}", "vcpus", "expected a whole number")]
    [InlineData("{\"cpuset\": 1}", "cpuset", "expected a string such as \"0-1\"")]
    [InlineData("[1]", "body", "expected a JSON object")]
    [InlineData("{", "body", "not JSON")]
    public async Task A_bad_body_is_a_400_naming_the_field(string body, string field, string message)
    {
        var p = await Post("abc", body);
        p.GetProperty("status").GetInt32().ShouldBe(400);
        p.GetProperty("field").GetString().ShouldBe(field);
        p.GetProperty("detail").GetString()!.ShouldContain(message);
    }

    [Fact]
    public async Task An_unknown_instance_is_a_404_and_is_audited_as_refused()
    {
        var p = await Post("abc", "{\"memoryMiB\": 128}");
        p.GetProperty("status").GetInt32().ShouldBe(404);
        p.GetProperty("detail").GetString()!.ShouldContain("no instance matches 'abc'");
        var audit = JsonDocument.Parse(await _http.GetStringAsync("/api/v1/audit")).RootElement;
        audit.EnumerateArray().ShouldContain(a => a.GetProperty("action").GetString() == "instance.resize" && a.GetProperty("result").GetString() != "ok");
    }

    public void Dispose()
    {
        _http.Dispose();
        _factory.Dispose();
    }
}
