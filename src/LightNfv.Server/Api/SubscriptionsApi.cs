using System.Net;
using LightNfv.Core.Errors;
using LightNfv.Platform.Alerts;
using LightNfv.Platform.Audit;
using LightNfv.Platform.Events;
using LightNfv.Platform.Store;
using LightNfv.Server.Api.Concurrency;
using LightNfv.Server.Api.Query;

namespace LightNfv.Server.Api;

/// <summary>
/// Webhook subscriptions in SOL003's shape. At creation the callback is checked as SOL003 does it: it must be on this
/// machine (loopback only, never the lab or a metadata address: <see cref="CallbackPolicy"/>) and answer a GET with 204 within 2 s; otherwise
/// nothing is stored and the problem names callbackUri and what came back.
/// </summary>
public static class SubscriptionsApi
{
    /// <summary>An HMAC key shorter than this is guessable.</summary>
    public const int MinSecretLength = 16;

    public static void Map(RouteGroupBuilder api)
    {
        var s = api.MapGroup("/subscriptions").WithTags("subscriptions");
        s.MapPost("/", async (SubscriptionRequest body, PlatformStore store, CallbackPolicy policy, IHttpClientFactory clients, TimeProvider time, CancellationToken ct) =>
        {
            // Subscriptions have no service of their own: the trail records them here (never the secret, only its type).
            var sub = await store.AuditedAsync(AuditActions.SubscriptionCreate, body.Filter?.Tenant, "subscription",
                new { callbackUri = body.CallbackUri, authType = body.Authentication?.AuthType }, async () =>
                {
                    var (uri, filter, auth) = Validate(body);
                    await CheckCallbackAsync(uri, auth, policy, clients.CreateClient(nameof(WebhookDispatcher)), time, ct).ConfigureAwait(false);
                    return store.AddSubscription(uri.ToString(), filter, auth);
                }).ConfigureAwait(false);
            return Results.Created($"/api/v1/subscriptions/{sub.Id}", SubscriptionDto.Of(sub));
        }).WithName("createSubscription").Produces<SubscriptionDto>(StatusCodes.Status201Created).ProducesProblem(StatusCodes.Status400BadRequest)
            .WithSummary("Subscribe a webhook: events are POSTed to callbackUri (checked first with a GET that must answer 204), signed as authentication asks, retried with backoff");
        s.MapGet("/", (PlatformStore store) => store.Subscriptions().Select(SubscriptionDto.Of).ToList())
            .WithListQuery<SubscriptionDto>().WithName("listSubscriptions").Produces<SubscriptionDto[]>();
        s.MapGet("/{id}", (string id, PlatformStore store) =>
            SubscriptionDto.Of(store.Subscription(id) ?? throw new LightNfvException(ErrorKind.NotFound, $"id: no subscription '{id}'")))
            .WithName("getSubscription").Produces<SubscriptionDto>().ProducesProblem(StatusCodes.Status404NotFound).WithETag(Version, "subscription");
        s.MapDelete("/{id}", (string id, PlatformStore store) =>
            store.Audited(AuditActions.SubscriptionDelete, store.Subscription(id)?.Filter.Tenant, $"subscription/{id}", null,
                () => store.DeleteSubscription(id) ? Results.NoContent() : throw new LightNfvException(ErrorKind.NotFound, $"id: no subscription '{id}'")))
            .WithName("deleteSubscription").Produces(StatusCodes.Status204NoContent).ProducesProblem(StatusCodes.Status404NotFound).WithETag(Version, "subscription");
    }

    private static string? Version(HttpContext http) =>
        http.RequestServices.GetRequiredService<PlatformStore>().Subscription((string)http.Request.RouteValues["id"]!) is { } s
            ? System.Text.Json.JsonSerializer.Serialize(SubscriptionDto.Of(s)) : null;

    private static (Uri Uri, SubscriptionFilter Filter, SubscriptionAuth? Auth) Validate(SubscriptionRequest body)
    {
        if (string.IsNullOrEmpty(body.CallbackUri) || !Uri.TryCreate(body.CallbackUri, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            throw new LightNfvException(ErrorKind.Invalid, $"callbackUri: '{body.CallbackUri}' is not an absolute http(s) URI; e.g. http://127.0.0.1:9000/notify");
        }
        if (body.Kinds is not null && body.Filter?.NotificationTypes is not null)
        {
            throw new LightNfvException(ErrorKind.Invalid, "kinds: give filter.notificationTypes or its older name kinds, not both");
        }
        var (types, field) = body.Kinds is { } kinds ? (kinds, "kinds") : (body.Filter?.NotificationTypes ?? [], "filter.notificationTypes");
        foreach (var (t, i) in types.Select((t, i) => (t, i)))
        {
            if (!AlertKinds.All.Contains(t))
            {
                throw new LightNfvException(ErrorKind.Invalid, $"{field}[{i}]: '{t}' is not an event type; accepted: {string.Join(", ", AlertKinds.All)}");
            }
        }
        var vnfs = body.Filter?.VnfNames ?? [];
        foreach (var (v, i) in vnfs.Select((v, i) => (v, i)))
        {
            if (string.IsNullOrWhiteSpace(v))
            {
                throw new LightNfvException(ErrorKind.Invalid, $"filter.vnfNames[{i}]: a VNF name is required; e.g. \"web\"");
            }
        }
        if (body.Filter?.Tenant is { } tenant && string.IsNullOrWhiteSpace(tenant))
        {
            throw new LightNfvException(ErrorKind.Invalid, "filter.tenant: empty; leave it out for every tenant");
        }
        return (uri, new SubscriptionFilter(types.Distinct().ToList(), vnfs.Distinct().ToList(), body.Filter?.Tenant), Auth(body.Authentication));
    }

    private static SubscriptionAuth? Auth(SubscriptionAuthenticationRequest? a)
    {
        if (a is null)
        {
            return null;
        }
        var accepted = string.Join(" or ", AuthTypes.Supported);
        if (a.AuthType is not [var type])
        {
            throw new LightNfvException(ErrorKind.Invalid, $"authentication.authType: give one of {accepted}, e.g. [\"{AuthTypes.HmacSha256}\"]");
        }
        switch (type)
        {
            case AuthTypes.HmacSha256:
                if (a.ParamsHmac?.Secret is not { Length: >= MinSecretLength } secret)
                {
                    throw new LightNfvException(ErrorKind.Invalid,
                        $"authentication.paramsHmac.secret: a secret of at least {MinSecretLength} characters is required with HMAC_SHA256; e.g. the output of 'openssl rand -hex 32'");
                }
                return new SubscriptionAuth(type, null, secret);
            case AuthTypes.Basic:
                if (a.ParamsBasic?.UserName is not { Length: > 0 } user || user.Contains(':', StringComparison.Ordinal))
                {
                    throw new LightNfvException(ErrorKind.Invalid, "authentication.paramsBasic.userName: a user name without ':' is required with BASIC");
                }
                if (a.ParamsBasic.Password is not { Length: > 0 } password)
                {
                    throw new LightNfvException(ErrorKind.Invalid, "authentication.paramsBasic.password: a password is required with BASIC");
                }
                return new SubscriptionAuth(type, user, password);
            default:
                throw new LightNfvException(ErrorKind.Invalid, $"authentication.authType[0]: '{type}' is not supported here; use {accepted}");
        }
    }

    /// <summary>SOL003's check: a GET on the callback (authenticated as the notifications will be) must answer 204 within 2 s.</summary>
    private static async Task CheckCallbackAsync(Uri uri, SubscriptionAuth? auth, CallbackPolicy policy, HttpClient http, TimeProvider time, CancellationToken ct)
    {
        await policy.EnsureAllowedAsync(uri.IdnHost, ct).ConfigureAwait(false);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(CallbackPolicy.CheckTimeout);
        using var request = new HttpRequestMessage(HttpMethod.Get, uri);
        WebhookSigner.Sign(request, null, auth, [], time.GetUtcNow());
        HttpStatusCode status;
        try
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
            status = response.StatusCode;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new LightNfvException(ErrorKind.Invalid,
                $"callbackUri: GET {uri} did not answer within {CallbackPolicy.CheckTimeout.TotalSeconds:0} s; the callback must answer a GET with 204 No Content before it is subscribed");
        }
        catch (HttpRequestException e)
        {
            throw new LightNfvException(ErrorKind.Invalid,
                $"callbackUri: GET {uri} failed ({(e.InnerException ?? e).Message}); the callback must be listening and answer a GET with 204 No Content");
        }
        if (status != HttpStatusCode.NoContent)
        {
            throw new LightNfvException(ErrorKind.Invalid,
                $"callbackUri: GET {uri} answered {(int)status} {status}, not 204 No Content; the callback must answer LightNFV's check GET with 204 before it is subscribed");
        }
    }
}
