using System.Text.Json;
using LightNfv.Core.Errors;
using LightNfv.Core.Identity;
using LightNfv.Platform.Alerts;
using LightNfv.Platform.Events;
using LightNfv.Platform.Store;
using LightNfv.Server.Api.Query;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;

namespace LightNfv.Server.Api;

/// <summary>
/// Events: the stored list, a Server-Sent-Events stream, and webhook subscriptions (<see cref="SubscriptionsApi"/>), all
/// in one shape (<see cref="PlatformEvent"/>). /alerts is the list's older name, kept.
/// </summary>
public static class AlertsApi
{
    public const int MaxLimit = 1000;

    public static void Map(RouteGroupBuilder api)
    {
        api.MapGet("/events", (long? after, DateTimeOffset? since, string? type, int? limit, PlatformStore store) => List(store, after, since, type, limit))
            .WithListQuery<PlatformEvent>().WithTags("events").WithName("listEvents").Produces<PlatformEvent[]>().ProducesProblem(StatusCodes.Status400BadRequest)
            .WithSummary("Stored events, oldest first: after an id, since a time (RFC 3339), of types (comma-separated), the latest limit (default 200)");
        api.MapGet("/alerts", (long? after, DateTimeOffset? since, string? type, int? limit, PlatformStore store) => List(store, after, since, type, limit))
            .WithListQuery<PlatformEvent>().WithTags("events").WithName("listAlerts").Produces<PlatformEvent[]>().ProducesProblem(StatusCodes.Status400BadRequest)
            .WithSummary("The stored events under their older name (same as GET /events)");

        // SSE: each event's id (so a reconnecting client sends Last-Event-ID and misses nothing), type and JSON.
        api.MapGet("/events/stream", async (HttpContext context, string? type, AlertHub hub, PlatformStore store, IOptions<JsonOptions> json) =>
        {
            var types = Types(type);
            var ct = context.RequestAborted;
            context.Response.Headers.ContentType = "text/event-stream";
            context.Response.Headers.CacheControl = "no-cache";
            // Listening before reading the store: an event raised in between is in one or the other (ids dedupe it).
            using var feed = hub.Listen();
            var last = long.TryParse(context.Request.Headers["Last-Event-ID"], out var l) ? l : -1;
            if (last >= 0)
            {
                while (store.PlatformEvents(last, types: types, limit: MaxLimit, fromOldest: true) is { Count: > 0 } page)
                {
                    foreach (var e in page.Where(Visible))
                    {
                        await Send(context, e, json.Value.SerializerOptions, ct).ConfigureAwait(false);
                    }
                    last = page[^1].Id;
                    if (page.Count < MaxLimit)
                    {
                        break;
                    }
                }
            }
            await context.Response.WriteAsync(": connected\n\n", ct).ConfigureAwait(false);
            await context.Response.Body.FlushAsync(ct).ConfigureAwait(false);
            try
            {
                await foreach (var e in feed.Reader.ReadAllAsync(ct).ConfigureAwait(false))
                {
                    if (e.Id > last && (types is null || types.Contains(e.NotificationType)) && Visible(e))
                    {
                        await Send(context, e, json.Value.SerializerOptions, ct).ConfigureAwait(false);
                    }
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
            }
        }).WithTags("events").WithName("streamEvents").Produces<string>(StatusCodes.Status200OK, "text/event-stream")
            .WithSummary("Events as Server-Sent Events: event = type, id = event id (send Last-Event-ID to resume), data = the event's JSON");

        // {id} unconstrained: a non-number reads as an absent alert after the role check, not as a missing route before it.
        api.MapPost("/alerts/{id}/ack", (string id, AlertHub hub) => hub.Acknowledge(id))
            .WithTags("events").WithName("acknowledgeAlert").Produces<PlatformEvent>().ProducesProblem(StatusCodes.Status404NotFound)
            .WithSummary("Acknowledge an event of the caller's tenant: who and when are kept (the first acknowledgement stays) and audited");

        SubscriptionsApi.Map(api);
    }

    private static IReadOnlyList<PlatformEvent> List(PlatformStore store, long? after, DateTimeOffset? since, string? type, int? limit)
    {
        if (limit is < 1 or > MaxLimit)
        {
            throw new LightNfvException(ErrorKind.Invalid, $"limit: {limit} is out of range; use 1 to {MaxLimit}");
        }
        return store.PlatformEvents(after ?? 0, since, Types(type), limit ?? 200).Where(Visible).ToList();
    }

    /// <summary>
    /// A tenant-scoped caller sees its tenant's events only; the host's own (no tenant) are an admin's. Filtered after
    /// the page is read, so a scoped caller's page may hold fewer than limit events; `after` still pages on.
    /// </summary>
    internal static bool Visible(PlatformEvent e) => e.IsVisibleTo(Caller.Current);

    /// <summary>?type=a,b as a set; unknown names are refused (a typo would otherwise match nothing, silently).</summary>
    private static HashSet<string>? Types(string? type)
    {
        if (string.IsNullOrWhiteSpace(type))
        {
            return null;
        }
        var types = type.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.Ordinal);
        foreach (var t in types.Where(t => !AlertKinds.All.Contains(t)))
        {
            throw new LightNfvException(ErrorKind.Invalid, $"type: '{t}' is not an event type; accepted: {string.Join(", ", AlertKinds.All)}");
        }
        return types;
    }

    private static async Task Send(HttpContext context, PlatformEvent e, JsonSerializerOptions options, CancellationToken ct)
    {
        await context.Response.WriteAsync($"id: {e.Id}\nevent: {e.NotificationType}\ndata: {JsonSerializer.Serialize(e, options)}\n\n", ct).ConfigureAwait(false);
        await context.Response.Body.FlushAsync(ct).ConfigureAwait(false);
    }
}
