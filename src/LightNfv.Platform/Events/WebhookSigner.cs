using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace LightNfv.Platform.Events;

/// <summary>
/// The headers that authenticate a webhook request. HMAC_SHA256: X-LightNFV-Timestamp (Unix seconds) and
/// X-LightNFV-Signature: sha256=&lt;hex HMAC-SHA256 of timestamp + "." + body, keyed with the secret&gt;. The timestamp
/// is signed so a receiver can refuse a replayed request (older than a few minutes). BASIC: Authorization: Basic.
/// </summary>
public static class WebhookSigner
{
    public const string SignatureHeader = "X-LightNFV-Signature";
    public const string TimestampHeader = "X-LightNFV-Timestamp";
    public const string SubscriptionHeader = "X-LightNFV-Subscription";

    public static string Signature(string secret, string timestamp, ReadOnlySpan<byte> body)
    {
        var prefix = Encoding.UTF8.GetBytes(timestamp + ".");
        var message = new byte[prefix.Length + body.Length];
        prefix.CopyTo(message, 0);
        body.CopyTo(message.AsSpan(prefix.Length));
        return "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), message));
    }

    /// <summary>Adds the subscription's authentication (if any) and its id to a request whose body is <paramref name="body"/>.</summary>
    public static void Sign(HttpRequestMessage request, Subscription? subscription, SubscriptionAuth? auth, ReadOnlySpan<byte> body, DateTimeOffset now)
    {
        if (subscription is not null)
        {
            request.Headers.TryAddWithoutValidation(SubscriptionHeader, subscription.Id);
        }
        switch (auth?.Type)
        {
            case AuthTypes.HmacSha256:
                var timestamp = now.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
                request.Headers.TryAddWithoutValidation(TimestampHeader, timestamp);
                request.Headers.TryAddWithoutValidation(SignatureHeader, Signature(auth.Secret, timestamp, body));
                break;
            case AuthTypes.Basic:
                request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic",
                    Convert.ToBase64String(Encoding.UTF8.GetBytes($"{auth.UserName}:{auth.Secret}")));
                break;
        }
    }
}
