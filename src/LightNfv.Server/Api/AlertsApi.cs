using System.Text.Json;
using LightNfv.Core.Errors;
using LightNfv.Platform.Alerts;
using LightNfv.Platform.Store;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;

namespace LightNfv.Server.Api;

/// <summary>Alerts: the stored list, a Server-Sent-Events stream, and webhook subscriptions (SOL003-style).</summary>
public static class AlertsApi
{
    public static void Map(RouteGroupBuilder api)
    {
        api.MapGet("/alerts", (long? after, string? tenant, PlatformStore store) => store.Alerts(after ?? 0).Where(a => tenant is null || a.Tenant == tenant)).WithTags("alerts");

        // SSE: each alert is an event with id (so a reconnecting client sends Last-Event-ID and misses nothing) and kind.
        api.MapGet("/events/stream", async (HttpContext context, AlertHub hub, PlatformStore store, IOptions<JsonOptions> json) =>
        {
            var ct = context.RequestAborted;
            context.Response.Headers.ContentType = "text/event-stream";
            context.Response.Headers.CacheControl = "no-cache";
            using var feed = hub.Listen();
            var last = long.TryParse(context.Request.Headers["Last-Event-ID"], out var l) ? l : -1;
            if (last >= 0)
            {
                foreach (var a in store.Alerts(last))
                {
                    await Send(context, a, json.Value.SerializerOptions, ct).ConfigureAwait(false);
                    last = a.Id;
                }
            }
            await context.Response.WriteAsync(": connected\n\n", ct).ConfigureAwait(false);
            await context.Response.Body.FlushAsync(ct).ConfigureAwait(false);
            try
            {
                await foreach (var a in feed.Reader.ReadAllAsync(ct).ConfigureAwait(false))
                {
                    if (a.Id > last)
                    {
                        await Send(context, a, json.Value.SerializerOptions, ct).ConfigureAwait(false);
                    }
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
            }
        }).WithTags("alerts").WithSummary("Alerts as Server-Sent Events (text/event-stream)");

        var s = api.MapGroup("/subscriptions").WithTags("subscriptions");
        s.MapPost("/", (SubscriptionRequest body, PlatformStore store) =>
        {
            if (string.IsNullOrEmpty(body.CallbackUri) || !Uri.TryCreate(body.CallbackUri, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            {
                throw new LightNfvException(ErrorKind.Invalid, $"callbackUri: '{body.CallbackUri}' is not an absolute http(s) URI; e.g. http://127.0.0.1:9000/notify");
            }
            var kinds = body.Kinds ?? [];
            foreach (var (k, i) in kinds.Select((k, i) => (k, i)))
            {
                if (!AlertKinds.All.Contains(k))
                {
                    throw new LightNfvException(ErrorKind.Invalid, $"kinds[{i}]: '{k}' is not an alert kind; accepted: {string.Join(", ", AlertKinds.All)}");
                }
            }
            var sub = store.AddSubscription(uri.ToString(), kinds);
            return Results.Created($"/api/v1/subscriptions/{sub.Id}", sub);
        }).WithSummary("Subscribe a webhook: alerts are POSTed to callbackUri, retried with backoff");
        s.MapGet("/", (PlatformStore store) => store.Subscriptions());
        s.MapGet("/{id}", (string id, PlatformStore store) =>
            store.Subscriptions().FirstOrDefault(x => x.Id == id) ?? throw new LightNfvException(ErrorKind.NotFound, $"id: no subscription '{id}'"));
        s.MapDelete("/{id}", (string id, PlatformStore store) =>
            store.DeleteSubscription(id) ? Results.NoContent() : throw new LightNfvException(ErrorKind.NotFound, $"id: no subscription '{id}'"));
    }

    private static async Task Send(HttpContext context, AlertRecord a, JsonSerializerOptions options, CancellationToken ct)
    {
        await context.Response.WriteAsync($"id: {a.Id}\nevent: {a.Kind}\ndata: {JsonSerializer.Serialize(a, options)}\n\n", ct).ConfigureAwait(false);
        await context.Response.Body.FlushAsync(ct).ConfigureAwait(false);
    }
}
