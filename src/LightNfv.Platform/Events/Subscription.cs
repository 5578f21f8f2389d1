namespace LightNfv.Platform.Events;

/// <summary>Which events a subscription receives (SOL003's filter, trimmed): every list empty or null means "any".</summary>
public sealed record SubscriptionFilter(IReadOnlyList<string> NotificationTypes, IReadOnlyList<string> VnfNames, string? Tenant)
{
    public static readonly SubscriptionFilter All = new([], [], null);

    public bool Matches(PlatformEvent e) =>
        (NotificationTypes.Count == 0 || NotificationTypes.Contains(e.NotificationType))
        && (VnfNames.Count == 0 || (e.Vnf is { } vnf && VnfNames.Contains(vnf)))
        && (Tenant is null || e.Tenant == Tenant);
}

/// <summary>How a webhook proves it comes from this daemon (SOL003's authType, with HMAC_SHA256 as LightNFV's adaptation).</summary>
public static class AuthTypes
{
    /// <summary>Authorization: Basic with the subscription's userName and password.</summary>
    public const string Basic = "BASIC";

    /// <summary>X-LightNFV-Signature: sha256=hex(HMAC-SHA256(secret, timestamp + "." + body)), see <see cref="WebhookSigner"/>.</summary>
    public const string HmacSha256 = "HMAC_SHA256";

    public static readonly string[] Supported = [HmacSha256, Basic];
}

/// <summary>
/// A subscription's credentials: <see cref="Secret"/> is the HMAC key or the Basic password. Kept in the store (a file
/// readable by root only) because every notification needs it; never returned by the API.
/// </summary>
public sealed record SubscriptionAuth(string Type, string? UserName, string Secret);

/// <summary>A webhook subscription (SOL003 LccnSubscription, trimmed): where to POST events, which ones, and how they are authenticated.</summary>
public sealed record Subscription(string Id, string CallbackUri, SubscriptionFilter Filter, SubscriptionAuth? Authentication, DateTimeOffset CreatedAt);
