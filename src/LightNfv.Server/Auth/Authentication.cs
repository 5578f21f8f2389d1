using LightNfv.Core.Configuration;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.IdentityModel.Tokens;

namespace LightNfv.Server.Auth;

/// <summary>The single sign-on configuration the daemon read at start-up (null: none, tokens only).</summary>
public sealed record SsoConfig(SsoOptions? Options);

/// <summary>Registers the JWT bearer handler, configured from the SSO file of the registered state directory.</summary>
public static class Authentication
{
    public static void Add(IServiceCollection services)
    {
        // From the registered options (a test server's replacement state directory is the one read).
        services.AddSingleton(sp => new SsoConfig(SsoOptions.Load(SsoOptions.PathIn(sp.GetRequiredService<PlatformOptions>().StateDirectory))));
        services.AddAuthentication().AddJwtBearer(CallerAuthentication.JwtScheme, _ => { });
        services.AddOptions<JwtBearerOptions>(CallerAuthentication.JwtScheme).Configure<SsoConfig>((o, sso) =>
        {
            // No Authority or MetadataAddress: the handler never fetches a discovery document or keys.
            o.MapInboundClaims = false;
            o.RequireHttpsMetadata = false;
            if (sso.Options is not { } s)
            {
                // Nothing validates: every JWT is refused (CallerAuthentication does not ask the handler then anyway).
                o.TokenValidationParameters = new TokenValidationParameters { ValidateIssuerSigningKey = true, IssuerSigningKeys = [] };
                return;
            }
            o.TokenValidationParameters = new TokenValidationParameters
            {
                ValidIssuer = s.Issuer,
                ValidAudience = s.Audience,
                IssuerSigningKeys = s.SigningKeys(),
                ValidateIssuerSigningKey = true,
                RequireSignedTokens = true,
                RequireExpirationTime = true,
                ClockSkew = TimeSpan.FromSeconds(30),
                NameClaimType = s.SubjectClaim,
                RoleClaimType = s.RoleClaim,
            };
        });
    }
}
