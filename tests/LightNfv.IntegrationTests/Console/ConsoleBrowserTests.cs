using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using LightNfv.Bench.Experiments;
using LightNfv.Bench.Reports;
using LightNfv.Host.UnixSockets;
using LightNfv.IntegrationTests.Infrastructure;
using Microsoft.Playwright;
using static LightNfv.IntegrationTests.Infrastructure.DaemonApi;

namespace LightNfv.IntegrationTests.Console;

/// <summary>
/// The web console in a real browser (Debian's chromium, driven by Playwright) against a real daemon listening on
/// loopback TCP, with real process instances of two tenants: sign-in, search, live chart, scaling without a reload,
/// live alerts, a viewer's missing actions (and the API's refusal), another tenant's instance unreachable by URL.
/// Each page's screenshot is written to the test's output directory (docs/console has the committed ones).
/// </summary>
public sealed class ConsoleBrowserTests(ITestOutputHelper output) : IntegrationTest(output)
{
    private const string Chromium = "/usr/bin/chromium";

    private static string ShotDirectory => Environment.GetEnvironmentVariable("LIGHTNFV_SCREENSHOTS") is { Length: > 0 } d
        ? d : Path.Combine(Path.GetTempPath(), "lightnfv-console-shots");

    [Fact]
    public async Task An_operator_signs_in_searches_watches_scales_and_sees_alerts_live_a_viewer_cannot_act_and_another_tenant_stays_hidden()
    {
        Assert.SkipUnless(File.Exists(Chromium), $"{Chromium} is missing (install.sh installs Debian's chromium for the console's browser tests)");
        RequireAvailable(LightNfv.Core.Descriptors.Technology.Process);
        var port = FreePort();
        var socket = Path.Combine(Lab.StateDirectory, "lightnfv.sock");
        // The benchmark page reads the committed results (what the README shows), not a run of this test.
        var environment = new Dictionary<string, string>(Lab.CliEnvironment)
        {
            ["LIGHTNFV_SOCKET"] = socket,
            [LatestResults.Variable] = Path.Combine(RepositoryRoot(), "docs", "results"),
        };
        Directory.CreateDirectory(Lab.StateDirectory);
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } h && File.Exists(h) ? h : "dotnet";
        using var daemon = new DaemonProcess([dotnet, Path.Combine(AppContext.BaseDirectory, "lightnfv.dll"), "serve", "--listen", $"127.0.0.1:{port}"],
            socket, Path.Combine(Lab.StateDirectory, "daemon.log"), environment);
        await daemon.StartAsync(CancellationToken.None);
        using var root = UnixHttp.Create(socket);

        // Two tenants; tenant a runs VNF "web" (one replica) and tenant b a standalone instance it must not see.
        await Send(root, HttpMethod.Post, "api/v1/tenants", body: new { name = "a" });
        await Send(root, HttpMethod.Post, "api/v1/tenants", body: new { name = "b" });
        var operatorToken = (await Send(root, HttpMethod.Post, "api/v1/tokens", body: new { name = "op-a", tenant = "a", role = "operator" })).GetProperty("token").GetString()!;
        var viewerToken = (await Send(root, HttpMethod.Post, "api/v1/tokens", body: new { name = "view-a", tenant = "a", role = "viewer" })).GetProperty("token").GetString()!;
        await Send(root, HttpMethod.Post, "api/v1/descriptors", yaml: InTenant(Descriptors.Iperf3("web"), "a"));
        var op = await Send(root, HttpMethod.Post, "api/v1/vnfs/web/instantiate?tenant=a", body: new { replicas = 1 });
        (await WaitOperation(root, op.GetProperty("id").GetString()!, TimeSpan.FromSeconds(60))).GetProperty("state").GetString().ShouldBe("completed");
        var hidden = await Send(root, HttpMethod.Post, "api/v1/instances", yaml: InTenant(Descriptors.Iperf3("secret-b"), "b"));
        var hiddenId = hidden.GetProperty("id").GetString()!;

        var baseUrl = $"http://127.0.0.1:{port}";
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-dev-shm-usage"],
        });
        Directory.CreateDirectory(ShotDirectory);
        try
        {
            // The operator of tenant a.
            var context = await browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = baseUrl, ViewportSize = new ViewportSize { Width = 1280, Height = 800 } });
            var page = await context.NewPageAsync();
            page.Dialog += (_, d) => d.AcceptAsync();
            await page.GotoAsync("/ui/");
            page.Url.ShouldContain("/ui/login", customMessage: "a page without a session goes to the sign-in page");
            await page.Locator("#token").FillAsync("lnfv_not-a-real-token");
            await page.Locator("button[type=submit]").ClickAsync();
            (await page.Locator("[data-testid=login-error]").TextContentAsync()).ShouldNotBeNull().ShouldContain("unknown, revoked or expired");
            await Shot(page, "login");
            await page.Locator("#token").FillAsync(operatorToken);
            await page.Locator("button[type=submit]").ClickAsync();
            await page.WaitForURLAsync("**/ui/");
            (await page.Locator("[data-testid=who]").TextContentAsync()).ShouldNotBeNull().ShouldContain("tenant a");
            var rows = page.Locator("[data-testid=instances] tbody tr");
            (await rows.CountAsync()).ShouldBe(1, "tenant a sees its one replica, not tenant b's instance");
            (await page.ContentAsync()).ShouldNotContain("secret-b");
            var cookies = await context.CookiesAsync();
            cookies.Single(c => c.Name == "lnfv_console").HttpOnly.ShouldBeTrue();
            cookies.Single(c => c.Name == "lnfv_console").SameSite.ShouldBe(SameSiteAttribute.Strict);
            await Shot(page, "inventory");

            // Search as you type narrows the table in place: a marker set on the page survives (no reload).
            await page.EvaluateAsync("() => window.__noReload = true");
            await page.Locator("#q").FillAsync("no-such-thing");
            await page.Locator("[data-testid=matched]").Filter(new LocatorFilterOptions { HasText = "0 of 1" }).WaitForAsync();
            await page.Locator("#q").FillAsync("web");
            await page.Locator("[data-testid=matched]").Filter(new LocatorFilterOptions { HasText = "1 of 1" }).WaitForAsync();
            (await page.EvaluateAsync<bool>("() => window.__noReload === true")).ShouldBeTrue("search swapped the rows without reloading the page");

            // The instance: its live chart gets new samples while the page stays open.
            await page.Locator("[data-testid=instances] tbody tr a").First.ClickAsync();
            await page.WaitForURLAsync("**/ui/instances/*");
            (await page.Locator("[data-testid=state]").TextContentAsync()).ShouldBe("running");
            var chart = page.Locator("[data-testid=chart]");
            await chart.WaitForAsync(new LocatorWaitForOptions { Timeout = 20_000 });
            var first = await chart.GetAttributeAsync("data-samples");
            await page.WaitForFunctionAsync($"() => document.querySelector('[data-testid=chart]')?.getAttribute('data-samples') !== '{first}'", null,
                new PageWaitForFunctionOptions { Timeout = 20_000 });
            await Shot(page, "instance");

            // Quarantine from the page, then release: the state follows, and the VNF gets a replacement meanwhile.
            var instanceUrl = page.Url;
            await page.Locator("button", new PageLocatorOptions { HasText = "Quarantine" }).ClickAsync();
            await page.Locator(".actions .result").Filter(new LocatorFilterOptions { HasText = "Quarantine: done" }).WaitForAsync(new LocatorWaitForOptions { Timeout = 30_000 });
            await page.GotoAsync(instanceUrl);
            (await page.Locator("[data-testid=state]").TextContentAsync()).ShouldBe("quarantined");
            await Shot(page, "quarantined");
            await page.Locator("button", new PageLocatorOptions { HasText = "Release" }).ClickAsync();
            await page.Locator(".actions .result").Filter(new LocatorFilterOptions { HasText = "Release: done" }).WaitForAsync(new LocatorWaitForOptions { Timeout = 30_000 });
            await page.GotoAsync(instanceUrl);
            (await page.Locator("[data-testid=state]").TextContentAsync()).ShouldBe("running");

            // The VNF: scale to 2 from the page; the new replica appears without a reload.
            await page.Locator("dd a").First.ClickAsync();
            await page.WaitForURLAsync("**/ui/vnfs/a/web");
            await page.EvaluateAsync("() => window.__noReload = true");
            await page.Locator("#replicas").FillAsync("2");
            await page.Locator("button", new PageLocatorOptions { HasText = "Scale" }).ClickAsync();
            await page.Locator("[data-testid=replicas][data-count='2']").WaitForAsync(new LocatorWaitForOptions { Timeout = 60_000 });
            (await page.EvaluateAsync<bool>("() => window.__noReload === true")).ShouldBeTrue("the replica list updated in place");
            await Shot(page, "vnf");

            // A rolling update from the page: a second descriptor version, its button, the progress line live to its end.
            await Send(root, HttpMethod.Post, "api/v1/descriptors", yaml: InTenant(Descriptors.Iperf3("web", memoryMiB: 80), "a"));
            await page.ReloadAsync();
            await page.EvaluateAsync("() => window.__noReload = true");
            await page.Locator("button", new PageLocatorOptions { HasText = "Update to version 2" }).ClickAsync();
            await page.Locator("[data-testid=update]").WaitForAsync(new LocatorWaitForOptions { Timeout = 30_000 });
            await page.Locator("[data-testid=update][data-state=completed]").WaitForAsync(new LocatorWaitForOptions { Timeout = 90_000 });
            (await page.Locator("[data-testid=update]").TextContentAsync()).ShouldNotBeNull().ShouldContain("2 of 2 replicas at version 2");
            (await page.EvaluateAsync<bool>("() => window.__noReload === true")).ShouldBeTrue("the progress updated in place");
            await Shot(page, "vnf-update");

            // Alerts: an event raised now (scaling back to 1) arrives in the open page over the event stream.
            await page.GotoAsync("/ui/alerts");
            await page.EvaluateAsync("() => window.__noReload = true");
            // The rows already there, by event id: events of the scale-up may still be arriving live, so "a new row" alone
            // would not show that this scale-down's event came over the stream.
            var seen = await page.EvaluateAsync<string[]>("() => [...document.querySelectorAll('#alerts tbody tr')].map(r => r.dataset.event)");
            using (var operatorHttp = Tcp(baseUrl, operatorToken))
            {
                await Send(operatorHttp, HttpMethod.Post, "api/v1/vnfs/web/scale", body: new { replicas = 1 });
            }
            var arrived = await page.WaitForFunctionAsync("""
                seen => [...document.querySelectorAll('#alerts tbody tr.new')]
                    .find(r => !seen.includes(r.dataset.event) && r.textContent.includes('vnf.scaled'))?.dataset.event
                """, seen, new PageWaitForFunctionOptions { Timeout = 30_000 });

            // Acknowledge the scale-down's alert (it arrived live): its row says who, in place; after a reload too (stored).
            // The row pinned by its id: a later event may still arrive above it.
            var eventId = await arrived.JsonValueAsync<string>();
            var newest = page.Locator($"#alerts tbody tr[data-event='{eventId}']");
            await newest.Locator("button", new LocatorLocatorOptions { HasText = "Acknowledge" }).ClickAsync();
            await newest.Locator("[data-testid=acked]").Filter(new LocatorFilterOptions { HasText = "token:op-a" }).WaitForAsync(new LocatorWaitForOptions { Timeout = 10_000 });
            (await page.EvaluateAsync<bool>("() => window.__noReload === true")).ShouldBeTrue("the row changed in place");
            await page.ReloadAsync();
            (await page.Locator($"#alerts tbody tr[data-event='{eventId}'] [data-testid=acked]").TextContentAsync()).ShouldNotBeNull().ShouldContain("token:op-a");

            // From the keyboard only: the first Tab stop skips to the content; Tab on to an Acknowledge button, Enter.
            var ackedBefore = await page.Locator("#alerts [data-testid=acked]").CountAsync();
            await page.Keyboard.PressAsync("Tab");
            (await page.EvaluateAsync<string>("() => document.activeElement.textContent.trim()")).ShouldBe("Skip to content");
            await page.Keyboard.PressAsync("Enter");
            var reached = false;
            for (var i = 0; i < 40 && !reached; i++)
            {
                await page.Keyboard.PressAsync("Tab");
                reached = await page.EvaluateAsync<string>("() => document.activeElement.textContent.trim()") == "Acknowledge";
            }
            reached.ShouldBeTrue("an Acknowledge button is reachable with Tab");
            await page.Keyboard.PressAsync("Enter");
            await page.WaitForFunctionAsync($"() => document.querySelectorAll('#alerts [data-testid=acked]').length > {ackedBefore}", null,
                new PageWaitForFunctionOptions { Timeout = 10_000 });
            await Shot(page, "alerts");

            // The other pages render for the operator, scoped: operations of tenant a, tenant a's quota and usage.
            await page.GotoAsync("/ui/operations");
            (await page.Locator("[data-testid=operations] tbody tr").CountAsync()).ShouldBeGreaterThan(0);
            (await page.Locator("[data-testid=operations]").TextContentAsync()).ShouldNotBeNull().ShouldNotContain("secret-b");
            await Shot(page, "operations");
            await page.GotoAsync("/ui/tenants");
            (await page.Locator("[data-testid=tenants] tbody tr").CountAsync()).ShouldBe(1, "an operator of tenant a sees tenant a only");
            (await page.Locator("[data-testid=tokens]").CountAsync()).ShouldBe(0, "tokens are an admin's");
            await page.GotoAsync("/ui/host");
            (await page.Locator("[data-testid=probes] tbody tr").CountAsync()).ShouldBe(Enum.GetValues<LightNfv.Core.Descriptors.Technology>().Length);
            await Shot(page, "host");
            await page.GotoAsync("/ui/audit");
            await Shot(page, "audit");

            // The benchmark page: the latest results as a table per technology beside the draft, with the bench's chart.
            await page.Locator("nav a", new PageLocatorOptions { HasText = "Benchmark" }).ClickAsync();
            await page.WaitForURLAsync("**/ui/bench");
            (await page.Locator("[data-testid=bench-process] tbody tr").CountAsync()).ShouldBeGreaterThan(0);
            (await page.Locator("[data-testid=bench-process]").TextContentAsync()).ShouldNotBeNull().ShouldContain("draft 1711");
            (await page.Locator("[data-testid=bench-chart] svg").CountAsync()).ShouldBe(1);
            await Shot(page, "bench");

            // Another tenant's instance by URL reads as absent.
            var response = await page.GotoAsync($"/ui/instances/{hiddenId}");
            response.ShouldNotBeNull().Status.ShouldBe(404);
            (await page.Locator("[data-testid=error]").TextContentAsync()).ShouldNotBeNull().ShouldContain("no instance matches");

            // A change without the page's antiforgery token is refused, even with the session cookie.
            var forged = await page.EvaluateAsync<int>("async () => (await fetch('/api/v1/vnfs/web/scale', {method: 'POST', headers: {'Content-Type': 'application/json'}, body: '{\"replicas\":3}'})).status");
            forged.ShouldBe(403);
            await context.CloseAsync();

            // The viewer of tenant a: no action buttons, and the API refuses the action all the same.
            var viewer = await browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = baseUrl });
            var vpage = await viewer.NewPageAsync();
            await vpage.GotoAsync("/ui/login");
            await vpage.Locator("#token").FillAsync(viewerToken);
            await vpage.Locator("button[type=submit]").ClickAsync();
            await vpage.WaitForURLAsync("**/ui/");
            await vpage.Locator("[data-testid=instances] tbody tr a").First.ClickAsync();
            await vpage.WaitForURLAsync("**/ui/instances/*");
            (await vpage.Locator("[data-testid=actions]").CountAsync()).ShouldBe(0, "a viewer sees no action");
            await vpage.GotoAsync("/ui/alerts");
            (await vpage.Locator("#alerts tbody tr").CountAsync()).ShouldBeGreaterThan(0);
            (await vpage.Locator("#alerts button").CountAsync()).ShouldBe(0, "a viewer acknowledges nothing");
            var refused = await vpage.EvaluateAsync<int>("async () => (await fetch('/api/v1/vnfs/web/scale', {method: 'POST', headers: {'Content-Type': 'application/json', 'X-CSRF-TOKEN': document.querySelector('meta[name=csrf-token]').content}, body: '{\"replicas\":3}'})).status");
            refused.ShouldBe(403, "the API refuses a viewer's change whatever the page shows");
            await vpage.Locator("form.logout button").ClickAsync();
            await vpage.WaitForURLAsync("**/ui/login");
            await viewer.CloseAsync();
        }
        finally
        {
            Output.WriteLine($"screenshots in {ShotDirectory}");
            var term = await Call(root, HttpMethod.Post, "api/v1/vnfs/web/terminate?tenant=a");
            if (term.Status == 202)
            {
                await WaitOperation(root, term.Body.GetProperty("id").GetString()!, TimeSpan.FromSeconds(60));
            }
            await Call(root, HttpMethod.Delete, $"api/v1/instances/{hiddenId}");
            daemon.Stop();
            Lab.ReapSupervisorZombies();
        }
    }

    private static async Task Shot(IPage page, string name) =>
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ShotDirectory, $"console-{name}.png"), FullPage = true });

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "LightNfv.slnx")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException($"no LightNfv.slnx above {AppContext.BaseDirectory}");
    }

    private static string InTenant(string yaml, string tenant) => yaml.Replace("metadata:\n", $"metadata:\n  tenant: {tenant}\n", StringComparison.Ordinal);

    private static HttpClient Tcp(string baseUrl, string token)
    {
        var http = new HttpClient { BaseAddress = new Uri(baseUrl + "/") };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return http;
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}
