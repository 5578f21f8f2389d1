using System.Globalization;
using System.Text.RegularExpressions;
using LightNfv.Core.Errors;
using LightNfv.Core.Identity;
using LightNfv.Platform.Store;

namespace LightNfv.Server.Api;

/// <summary>
/// /api/v1/tokens: API tokens (admin only, see AccessRules). The secret is in the answer to POST only: the store keeps
/// its hash, so neither a list nor a log can show it again.
/// </summary>
public static partial class TokensApi
{
    [GeneratedRegex("^[a-z0-9]([a-z0-9._-]{0,62})$")]
    private static partial Regex NamePattern();

    [GeneratedRegex(@"^(?<n>[1-9][0-9]{0,4})(?<u>[mhd])$")]
    private static partial Regex Lifetime();

    public static void Map(RouteGroupBuilder api)
    {
        var g = api.MapGroup("/tokens").WithTags("tokens");
        g.MapPost("/", (TokenRequest body, PlatformStore store, TimeProvider time) =>
        {
            var made = Create(body, store, time.GetUtcNow());
            return Results.Created($"/api/v1/tokens/{made.Record.Name}", made);
        }).Produces<CreatedTokenDto>(StatusCodes.Status201Created)
          .WithSummary("Create an API token for a tenant and role; the answer holds the token, shown this once only");
        g.MapGet("/", (PlatformStore store) => store.Tokens().Select(TokenDto.Of)).WithSummary("Every token (never the secret)");
        g.MapDelete("/{name}", (string name, PlatformStore store) => TokenDto.Of(store.RevokeToken(name)))
            .WithSummary("Revoke a token: it no longer authenticates, and stays listed as revoked");
    }

    /// <summary>Checks a request and makes the token: the API's and the daemonless CLI's one way.</summary>
    public static CreatedTokenDto Create(TokenRequest body, PlatformStore store, DateTimeOffset now)
    {
        var name = body.Name is { } n && NamePattern().IsMatch(n) ? n
            : throw new LightNfvException(ErrorKind.Invalid, "name: required, lowercase letters, digits, '.', '_' or '-' (at most 63), e.g. ci-deploy");
        var tenant = string.IsNullOrEmpty(body.Tenant) ? Platform.Control.VnfLifecycle.DefaultTenant : body.Tenant;
        var role = ParseRole(body.Role);
        var expires = body.Expires is { } e ? now + ParseLifetime(e) : (DateTimeOffset?)null;
        var made = store.CreateToken(name, tenant, role, expires);
        return new CreatedTokenDto(TokenDto.Of(made.Record), made.Secret);
    }

    public static Role ParseRole(string? text) => text?.ToLowerInvariant() switch
    {
        "viewer" => Role.Viewer,
        "operator" => Role.Operator,
        "admin" => Role.Admin,
        _ => throw new LightNfvException(ErrorKind.Invalid, $"role: '{text}' is not a role; use viewer, operator or admin"),
    };

    /// <summary>30d, 12h, 90m; at most 5 digits (no overflow, and a token should not outlive its owner's memory of it).</summary>
    public static TimeSpan ParseLifetime(string text)
    {
        var m = Lifetime().Match(text);
        if (!m.Success)
        {
            throw new LightNfvException(ErrorKind.Invalid, $"expires: '{text}' is not a lifetime; use e.g. 90m, 12h or 30d");
        }
        var n = int.Parse(m.Groups["n"].Value, CultureInfo.InvariantCulture);
        return m.Groups["u"].Value switch
        {
            "m" => TimeSpan.FromMinutes(n),
            "h" => TimeSpan.FromHours(n),
            _ => TimeSpan.FromDays(n),
        };
    }
}

/// <summary>POST /api/v1/tokens: name, tenant (default `default`), role, expires (e.g. 30d; none: never).</summary>
public sealed record TokenRequest(string? Name, string? Tenant, string? Role, string? Expires);

public sealed record TokenDto(string Name, string Tenant, string Role, DateTimeOffset CreatedAt, DateTimeOffset? ExpiresAt, DateTimeOffset? RevokedAt)
{
    public static TokenDto Of(TokenRecord r) => new(r.Name, r.Tenant, r.Role.ToString().ToLowerInvariant(), r.CreatedAt, r.ExpiresAt, r.RevokedAt);
}

/// <summary>The answer to POST: the token's record and its secret (the only time it is shown).</summary>
public sealed record CreatedTokenDto(TokenDto Record, string Token);
