using System.Net;
using System.Text.Json;
using LightNfv.Platform.Store;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace LightNfv.Server.Tests.Api;

/// <summary>The daemon's own status: /api/v1/status, and the /healthz and /readyz probes supervisors use.</summary>
public sealed class StatusApiTests : IDisposable
{
    private readonly ServerFactory _factory = new();
    private readonly HttpClient _http;

    public StatusApiTests() => _http = _factory.CreateClient();

    [Fact]
    public async Task Started_at_is_the_daemons_start_not_the_first_status_request()
    {
        var beforeFirstRequest = DateTimeOffset.UtcNow;
        var status = JsonDocument.Parse(await _http.GetStringAsync("/api/v1/status")).RootElement;
        status.GetProperty("startedAt").GetDateTimeOffset().ShouldBeLessThan(beforeFirstRequest);
        status.GetProperty("pid").GetInt32().ShouldBe(Environment.ProcessId);
    }

    [Fact]
    public async Task Healthz_and_readyz_answer_ok_once_adoption_is_done()
    {
        var health = await _http.GetAsync("/healthz");
        health.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await health.Content.ReadAsStringAsync()).ShouldBe("ok\n");
        // The hosted control plane adopts before the server answers, so the daemon is ready at once.
        var ready = await _http.GetAsync("/readyz");
        ready.StatusCode.ShouldBe(HttpStatusCode.OK, await ready.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Readyz_is_503_naming_the_store_when_the_store_cannot_be_read()
    {
        // No loops: nothing else reads the store this test breaks.
        using var factory = _factory.WithWebHostBuilder(b => b.ConfigureTestServices(s => s.AddSingleton(_factory.Options with { RunLoops = false })));
        using var http = factory.CreateClient();
        (await http.GetAsync("/readyz")).StatusCode.ShouldBe(HttpStatusCode.OK);
        factory.Services.GetRequiredService<PlatformStore>().Dispose();
        var ready = await http.GetAsync("/readyz");
        ready.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
        ready.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
        (await ready.Content.ReadAsStringAsync()).ShouldContain("the store cannot be read");
        (await http.GetAsync("/healthz")).StatusCode.ShouldBe(HttpStatusCode.OK, "liveness does not depend on the store");
    }

    public void Dispose()
    {
        _http.Dispose();
        _factory.Dispose();
    }
}
