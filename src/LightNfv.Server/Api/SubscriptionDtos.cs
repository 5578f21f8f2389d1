using System.Text.Json.Serialization;
using LightNfv.Platform.Events;

namespace LightNfv.Server.Api;

/// <summary>
/// POST /subscriptions (SOL003's LccnSubscriptionRequest, adapted): where to POST events, which ones, and how to
/// authenticate them. <see cref="Kinds"/> is the older spelling of filter.notificationTypes, still accepted.
/// </summary>
public sealed record SubscriptionRequest(string? CallbackUri, SubscriptionFilterRequest? Filter, SubscriptionAuthenticationRequest? Authentication, string[]? Kinds);

public sealed record SubscriptionFilterRequest(string[]? NotificationTypes, string[]? VnfNames, string? Tenant);

/// <summary>authType: one of HMAC_SHA256 (with paramsHmac) or BASIC (with paramsBasic).</summary>
public sealed record SubscriptionAuthenticationRequest(string[]? AuthType, BasicAuthParams? ParamsBasic, HmacAuthParams? ParamsHmac);

public sealed record BasicAuthParams(string? UserName, string? Password);

public sealed record HmacAuthParams(string? Secret);

/// <summary>A subscription as the API shows it (SOL003's LccnSubscription): never its secret or password.</summary>
public sealed record SubscriptionDto(string Id, string CallbackUri, SubscriptionFilter Filter, SubscriptionAuthenticationDto? Authentication,
    DateTimeOffset CreatedAt, [property: JsonPropertyName("_links")] SubscriptionLinks Links)
{
    public static SubscriptionDto Of(Subscription s) => new(s.Id, s.CallbackUri, s.Filter,
        s.Authentication is { } a ? new SubscriptionAuthenticationDto([a.Type], a.UserName is { } u ? new BasicAuthInfo(u) : null) : null,
        s.CreatedAt, new SubscriptionLinks(new Link($"/api/v1/subscriptions/{s.Id}")));
}

public sealed record SubscriptionAuthenticationDto(string[] AuthType, BasicAuthInfo? ParamsBasic);

public sealed record BasicAuthInfo(string UserName);

public sealed record SubscriptionLinks(Link Self);

public sealed record Link(string Href);
