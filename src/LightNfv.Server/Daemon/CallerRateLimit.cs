using System.Globalization;
using System.Threading.RateLimiting;
using LightNfv.Core.Errors;
using LightNfv.Core.Identity;
using LightNfv.Server.Api;

namespace LightNfv.Server.Daemon;

/// <summary>
/// The request rate each caller may use (a token bucket per <see cref="Caller.Actor"/>, or the authenticated name):
/// <see cref="PermitsPerSecond"/> sustained, <see cref="Burst"/> at once. Generous by default (500/s, bursts of 1000:
/// more than the CLI, the dashboard or a test suite sends) so it only stops a runaway or hostile client from starving
/// the others. LIGHTNFV_RATE_LIMIT=N or N/BURST sets it; 0 turns it off.
/// </summary>
public sealed record CallerRateLimit(int PermitsPerSecond, int Burst)
{
    public const string Variable = "LIGHTNFV_RATE_LIMIT";

    public static CallerRateLimit Default { get; } = new(500, 1000);

    public bool Enabled => PermitsPerSecond > 0;

    public static CallerRateLimit FromEnvironment() =>
        Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } v ? Parse(v) : Default;

    public static CallerRateLimit Parse(string value)
    {
        var parts = value.Split('/', StringSplitOptions.TrimEntries);
        if (parts.Length is 1 or 2 && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var rate)
            && (parts.Length == 1 || int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out _)))
        {
            var burst = parts.Length == 2 ? int.Parse(parts[1], CultureInfo.InvariantCulture) : 2 * rate;
            if (rate == 0 || burst >= 1)
            {
                return new(rate, Math.Max(burst, 1));
            }
        }
        throw new LightNfvException(ErrorKind.Invalid, $"{Variable}: '{value}' is not a rate; give requests per second per caller, optionally with a burst (e.g. 500 or 500/1000), or 0 for no limit");
    }
}

/// <summary>ASP.NET Core's rate limiter, partitioned per caller, answering 429 problem details with Retry-After.</summary>
public static class CallerRateLimiting
{
    public static IServiceCollection AddCallerRateLimit(this IServiceCollection services) =>
        services.AddRateLimiter(o =>
        {
            o.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context =>
            {
                var limit = context.RequestServices.GetRequiredService<DaemonOptions>().RateLimit;
                if (!limit.Enabled)
                {
                    return RateLimitPartition.GetNoLimiter("");
                }
                // The caller the authentication step set (per request, before this middleware); uid:0 when none did.
                var key = context.User.Identity is { IsAuthenticated: true, Name: { } name } ? name : Caller.Current.Actor;
                return RateLimitPartition.GetTokenBucketLimiter(key, _ => new TokenBucketRateLimiterOptions
                {
                    TokenLimit = limit.Burst,
                    TokensPerPeriod = limit.PermitsPerSecond,
                    ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                    QueueLimit = 0,
                    AutoReplenishment = true,
                });
            });
            o.OnRejected = async (context, ct) =>
            {
                var http = context.HttpContext;
                var retry = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? Math.Max(1, (int)Math.Ceiling(after.TotalSeconds)) : 1;
                http.Response.Headers.RetryAfter = retry.ToString(CultureInfo.InvariantCulture);
                var limit = http.RequestServices.GetRequiredService<DaemonOptions>().RateLimit;
                await ProblemMiddleware.Problem(http, StatusCodes.Status429TooManyRequests, nameof(ErrorKind.Exhausted),
                    $"rate limit: this caller sent more than {limit.PermitsPerSecond} requests per second (bursts of {limit.Burst}); retry after {retry} s ({CallerRateLimit.Variable} sets the limit)",
                    null).ExecuteAsync(http).ConfigureAwait(false);
            };
        });
}
