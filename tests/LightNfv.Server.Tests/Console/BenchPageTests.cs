using System.Net;
using LightNfv.Bench.Reports;
using LightNfv.Platform.Store;
using Microsoft.Extensions.DependencyInjection;

namespace LightNfv.Server.Tests.Console;

/// <summary>
/// /ui/bench over the real pipeline: the latest run the bench remembered in the state directory, a table per technology
/// with the draft's figure and ratio beside each median (the same cells as results.md), the bench's SVG inline.
/// </summary>
public sealed class BenchPageTests : IDisposable
{
    private readonly ServerFactory _server = new();
    private readonly HttpClient _http;

    public BenchPageTests() => _http = _server.CreateClient();

    public void Dispose()
    {
        _http.Dispose();
        _server.Dispose();
    }

    [Fact]
    public async Task Without_a_run_the_page_says_how_to_make_one()
    {
        var page = await Get("token:v/tenant-a/viewer");
        page.ShouldContain("data-testid=\"bench-none\"");
        page.ShouldContain("lightnfv bench --quick");
    }

    [Fact]
    public async Task A_viewer_reads_the_latest_run_beside_the_drafts_figures_with_the_chart_inline()
    {
        var dir = Path.Combine(_server.StateDirectory, "some-bench-out");
        ReportWriter.WriteAll(Report(), dir);
        LatestResults.Remember(_server.StateDirectory, dir);

        var page = await Get("token:v/tenant-a/viewer");
        page.ShouldContain("data-testid=\"bench-process\"");
        page.ShouldContain("data-testid=\"bench-floor\"");
        page.ShouldContain("beside the draft&#x27;s Container (Docker)");
        // process cold: 12.5 ms against Docker's 1711 ms, 137x better; the same cell results.md writes.
        page.ShouldContain("<strong>12.5</strong>");
        page.ShouldContain("draft 1711");
        page.ShouldContain("137x");
        ReportWriter.Markdown(Report()).ShouldContain("**12.5** (1711; 137x)");
        page.ShouldContain("not available on this host: no /dev/kvm");
        page.ShouldContain("<svg");
        page.ShouldNotContain("<?xml");
        page.ShouldContain(Path.Combine(dir, "results.json"));
        page.ShouldContain("href=\"/ui/bench\" aria-current=\"page\"", Case.Sensitive, "the shell's navigation links the page");
    }

    private async Task<string> Get(string caller)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/ui/bench");
        TestCaller.Authorize(request, _server.Services.GetRequiredService<PlatformStore>(), caller);
        using var r = await _http.SendAsync(request);
        var text = await r.Content.ReadAsStringAsync();
        r.StatusCode.ShouldBe(HttpStatusCode.OK, text);
        return text;
    }

    private static BenchReport Report() => new(
        new HostDescription("AMD EPYC", 2, 23.5, "6.18", "Debian 12", ["tcg"], "v1", "none", ".NET 10", DateTimeOffset.Parse("2026-12-06T03:10:30Z"), "lightnfv bench --quick"),
        [
            new MetricResult("floor", "bare-fork-exec", Metrics.ReadyMs, "ms", 12.1, 11, 23.5, 23, 5, [12.1], "the floor"),
            new MetricResult("process", "cold", Metrics.InstantiationMs, "ms", 12.5, 11, 20, 19, 5, [12.5], "process cold"),
            new MetricResult("process", "cold", Metrics.TxGbps, "Gb/s", 13, 13, 13, 13, 1, [13], "tx"),
        ],
        [new Unavailable("unikernel", "no /dev/kvm")]);
}
