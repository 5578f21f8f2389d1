using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using LightNfv.Platform.Alerts;
using LightNfv.Platform.Store;
using Microsoft.Extensions.DependencyInjection;

namespace LightNfv.Server.Tests.Alerts;

/// <summary>Webhooks reach a listener on 127.0.0.1, retried with backoff while it fails.</summary>
public sealed class WebhookTests : IDisposable
{
    private readonly ServerFactory _factory = new();

    [Fact]
    public void Backoff_doubles_and_is_capped()
    {
        var d = new WebhookDispatcher(null!, null!, TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger<WebhookDispatcher>.Instance)
        {
            BaseDelay = TimeSpan.FromMilliseconds(100),
            MaxDelay = TimeSpan.FromSeconds(1),
        };
        d.Backoff(1).ShouldBe(TimeSpan.FromMilliseconds(100));
        d.Backoff(2).ShouldBe(TimeSpan.FromMilliseconds(200));
        d.Backoff(4).ShouldBe(TimeSpan.FromMilliseconds(800));
        d.Backoff(5).ShouldBe(TimeSpan.FromSeconds(1));
    }

    [Fact]
    public async Task Alert_is_posted_after_the_listener_fails_twice()
    {
        var port = FreePort();
        using var listener = new HttpListener();
        listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        listener.Start();
        _ = _factory.CreateClient(); // starts the host and its loops
        var store = _factory.Services.GetRequiredService<PlatformStore>();
        store.AddSubscription($"http://127.0.0.1:{port}/hook", [AlertKinds.InstanceHealed]);
        var hub = _factory.Services.GetRequiredService<AlertHub>();
        hub.Raise(AlertKinds.InstanceFailed, "default", "web", "abc", "not subscribed");
        hub.Raise(AlertKinds.InstanceHealed, "default", "web", "abc", "healed in 3 ms");

        var attempts = 0;
        string? body = null;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (body is null)
        {
            var ctx = await listener.GetContextAsync().WaitAsync(cts.Token);
            attempts++;
            using (var reader = new StreamReader(ctx.Request.InputStream))
            {
                var text = await reader.ReadToEndAsync(cts.Token);
                ctx.Response.StatusCode = attempts <= 2 ? 503 : 204;
                if (attempts > 2)
                {
                    body = text;
                }
            }
            ctx.Response.Close();
        }
        attempts.ShouldBe(3);
        using var doc = JsonDocument.Parse(body);
        doc.RootElement.GetProperty("notificationType").GetString().ShouldBe(AlertKinds.InstanceHealed);
        doc.RootElement.GetProperty("message").GetString().ShouldBe("healed in 3 ms");
        doc.RootElement.GetProperty("vnf").GetString().ShouldBe("web");
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    public void Dispose() => _factory.Dispose();
}
