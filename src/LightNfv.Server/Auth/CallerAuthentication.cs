using System.Net.Sockets;
using System.Security.Claims;
using LightNfv.Core.Errors;
using LightNfv.Core.Identity;
using LightNfv.Host.UnixSockets;
using LightNfv.Platform.Store;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Connections.Features;

namespace LightNfv.Server.Auth;

/// <summary>
/// Who is calling, once per request, before any handler: a bearer API token (lnfv_...), else a bearer JWT of the
/// configured issuer (<see cref="SsoOptions"/>), else the unix socket's peer uid (SO_PEERCRED: uid 0 is admin; any other
/// local user needs a token). The TCP listener has no peer to trust, so a call without a bearer answers 401. Then the
/// route's rule (<see cref="AccessRules"/>) decides 403. Sets <see cref="Caller.Current"/> and HttpContext.User.
/// </summary>
/// <remarks>
/// An in-process host (the tests' TestServer) has no socket: only code in this process can reach it, which is root's,
/// so it is the unix socket's root, unless a bearer says otherwise.
/// </remarks>
public sealed class CallerAuthentication(RequestDelegate next, PlatformStore store, TimeProvider time, SsoConfig ssoConfig)
{
    public const string JwtScheme = JwtBearerDefaults.AuthenticationScheme;
    private const string Challenge = "Bearer realm=\"lightnfv\"";
    private readonly SsoOptions? sso = ssoConfig.Options;

    public async Task InvokeAsync(HttpContext context)
    {
        // No route, or the router's own 405/415 answers: nothing is read or changed, so only a bad bearer is refused.
        var endpoint = context.GetEndpoint() is RouteEndpoint r && !AccessRules.IsRejection(r) ? r : null;
        var (known, needs) = endpoint is null ? (true, (Role?)null) : AccessRules.RuleFor(endpoint, context.Request.Method);
        var caller = await AuthenticateAsync(context, anonymousAllowed: endpoint is null || (known && needs is null)).ConfigureAwait(false);
        if (caller is not null)
        {
            Caller.Current = caller;
            context.User = Principal(caller);
        }
        if (endpoint is not null)
        {
            if (!known)
            {
                throw new LightNfvException(ErrorKind.Forbidden, $"{context.Request.Method} {context.Request.Path}: this route has no access rule, so it is refused to everyone");
            }
            if (needs is { } role && (caller is null || caller.Role < role))
            {
                throw new LightNfvException(ErrorKind.Forbidden,
                    $"role: {context.Request.Method} {context.Request.Path} needs the {Name(role)} role; {caller?.Actor} has {Name(caller?.Role ?? Role.Viewer)}");
            }
        }
        await next(context).ConfigureAwait(false);
    }

    private async Task<Caller?> AuthenticateAsync(HttpContext context, bool anonymousAllowed)
    {
        var header = context.Request.Headers.Authorization.ToString();
        if (header.Length > 0)
        {
            if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            {
                throw Refuse(context, "Authorization: only 'Bearer <token>' is accepted (an API token from 'lightnfv token create', or a JWT of the configured issuer)");
            }
            var bearer = header["Bearer ".Length..].Trim();
            return bearer.StartsWith(PlatformStore.TokenPrefix, StringComparison.Ordinal) ? FromToken(context, bearer) : await FromJwtAsync(context).ConfigureAwait(false);
        }
        if (context.Features.Get<IConnectionSocketFeature>()?.Socket is not { } socket)
        {
            return Caller.Root;
        }
        if (socket.AddressFamily == AddressFamily.Unix)
        {
            var peer = PeerCredentials.Of(socket);
            if (peer.Uid == 0)
            {
                return Caller.Root;
            }
            return anonymousAllowed ? null
                : throw Refuse(context, $"Authorization: uid {peer.Uid} is not root; local users other than root send a token (--token, LIGHTNFV_TOKEN or the config file)");
        }
        return anonymousAllowed ? null
            : throw Refuse(context, "Authorization: the TCP listener needs 'Authorization: Bearer <token>' on every call (an API token from 'lightnfv token create', or a JWT of the configured issuer)");
    }

    private Caller FromToken(HttpContext context, string secret)
    {
        // One answer for unknown, revoked and expired alike: the caller learns nothing about which tokens exist.
        var token = store.FindToken(secret);
        return token is not null && token.ValidAt(time.GetUtcNow())
            ? new Caller($"token:{token.Name}", token.Role == Role.Admin ? null : token.Tenant, token.Role)
            : throw Refuse(context, "Authorization: the token is unknown, revoked or expired; ask an admin for a new one ('lightnfv token create')");
    }

    private async Task<Caller> FromJwtAsync(HttpContext context)
    {
        if (sso is null)
        {
            throw Refuse(context, $"Authorization: not an API token (they start with {PlatformStore.TokenPrefix}), and single sign-on is not configured ({SsoOptions.FileName})");
        }
        var result = await context.AuthenticateAsync(JwtScheme).ConfigureAwait(false);
        if (!result.Succeeded || result.Principal is not { } p)
        {
            throw Refuse(context, "Authorization: the JWT was refused (signature, issuer, audience or lifetime); sign in again");
        }
        var subject = p.FindFirstValue(sso.SubjectClaim);
        var roleText = p.FindFirstValue(sso.RoleClaim);
        var tenant = p.FindFirstValue(sso.TenantClaim);
        if (subject is null || !Enum.TryParse<Role>(roleText, ignoreCase: true, out var role) || !Enum.IsDefined(role) || int.TryParse(roleText, out _))
        {
            throw Refuse(context, $"Authorization: the JWT needs claims '{sso.SubjectClaim}' and '{sso.RoleClaim}' (viewer, operator or admin)");
        }
        if (role != Role.Admin && string.IsNullOrEmpty(tenant))
        {
            throw Refuse(context, $"Authorization: the JWT has no '{sso.TenantClaim}' claim; a viewer or operator acts in one tenant");
        }
        return new Caller($"jwt:{subject}", role == Role.Admin ? null : tenant, role);
    }

    private static LightNfvException Refuse(HttpContext context, string why)
    {
        context.Response.Headers.WWWAuthenticate = Challenge;
        return new LightNfvException(ErrorKind.Unauthenticated, why);
    }

    private static string Name(Role role) => role.ToString().ToLowerInvariant();

    private static ClaimsPrincipal Principal(Caller c) => new(new ClaimsIdentity(
        [new Claim(ClaimTypes.Name, c.Actor), new Claim(ClaimTypes.Role, Name(c.Role)), .. c.Tenant is { } t ? [new Claim("tenant", t)] : Array.Empty<Claim>()],
        authenticationType: "lightnfv"));
}
