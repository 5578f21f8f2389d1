using System.Text.Json;
using LightNfv.Core.Errors;
using Microsoft.IdentityModel.Tokens;

namespace LightNfv.Server.Auth;

/// <summary>
/// Single sign-on by file: JWTs of one OpenID Connect issuer, checked against signing keys in a JWKS file on disk (the
/// daemon never fetches anything: keys rotate by replacing the file and restarting). Claims name the caller's tenant and role.
/// </summary>
/// <remarks>The file is &lt;state dir&gt;/sso.json, or $LIGHTNFV_SSO_CONFIG; without it only API tokens authenticate.</remarks>
public sealed record SsoOptions
{
    public required string Issuer { get; init; }
    public required string Audience { get; init; }

    /// <summary>The JWKS file (absolute, or relative to the config file).</summary>
    public required string JwksFile { get; init; }

    public string TenantClaim { get; init; } = "tenant";
    public string RoleClaim { get; init; } = "role";

    /// <summary>The subject, for the caller's actor (jwt:SUBJECT).</summary>
    public string SubjectClaim { get; init; } = "sub";

    public const string FileName = "sso.json";

    public static string PathIn(string stateDirectory) =>
        Environment.GetEnvironmentVariable("LIGHTNFV_SSO_CONFIG") is { Length: > 0 } p ? p : Path.Combine(stateDirectory, FileName);

    /// <summary>The configuration in <paramref name="path"/>, or null when there is no such file; a bad file fails naming the field.</summary>
    public static SsoOptions? Load(string path)
    {
        if (!File.Exists(path))
        {
            return null;
        }
        SsoOptions? o;
        try
        {
            o = JsonSerializer.Deserialize<SsoOptions>(File.ReadAllText(path), new JsonSerializerOptions(JsonSerializerDefaults.Web));
        }
        catch (JsonException e)
        {
            throw new LightNfvException(ErrorKind.Invalid,
                $"{path}: {e.Message}; it needs issuer, audience and jwksFile (and optionally tenantClaim, roleClaim, subjectClaim)");
        }
        if (o is null)
        {
            throw new LightNfvException(ErrorKind.Invalid, $"{path}: empty; it needs issuer, audience and jwksFile");
        }
        var jwks = Path.IsPathRooted(o.JwksFile) ? o.JwksFile : Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, o.JwksFile);
        return o with { JwksFile = jwks };
    }

    /// <summary>The signing keys of the JWKS file; one without keys is refused (it would accept nothing, silently).</summary>
    public IList<SecurityKey> SigningKeys()
    {
        if (!File.Exists(JwksFile))
        {
            throw new LightNfvException(ErrorKind.Invalid, $"jwksFile: {JwksFile} does not exist; write the issuer's JWKS there");
        }
        IList<SecurityKey> keys;
        try
        {
            keys = new JsonWebKeySet(File.ReadAllText(JwksFile)).GetSigningKeys();
        }
        catch (ArgumentException e)
        {
            throw new LightNfvException(ErrorKind.Invalid, $"jwksFile: {JwksFile} is not a JWKS ({e.Message})");
        }
        return keys.Count > 0 ? keys
            : throw new LightNfvException(ErrorKind.Invalid, $"jwksFile: {JwksFile} has no signing key; write the issuer's JWKS there");
    }
}
