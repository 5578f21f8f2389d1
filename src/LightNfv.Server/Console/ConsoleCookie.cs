using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;

namespace LightNfv.Server.Console;

/// <summary>
/// The console's session cookie: the bearer the operator signed in with, sealed (authenticated encryption) with this
/// daemon's data-protection keys, which live in memory only: a restarted daemon asks everyone to sign in again, and no
/// key file is left on the host. HttpOnly (no script reads it) and SameSite=Strict (no other site's page sends it).
/// </summary>
public sealed class ConsoleCookie(IDataProtectionProvider protection)
{
    public const string Name = "lnfv_console";
    private readonly IDataProtector _protector = protection.CreateProtector("LightNfv.Console.Session");

    public void SignIn(HttpContext context, string bearer) => context.Response.Cookies.Append(Name, _protector.Protect(bearer), Options(context));

    public static void SignOut(HttpContext context) => context.Response.Cookies.Delete(Name, Options(context));

    /// <summary>The bearer, or null when the cookie was not sealed by this daemon (an earlier run, or forged).</summary>
    public string? Unseal(string value)
    {
        try
        {
            return _protector.Unprotect(value);
        }
        catch (CryptographicException)
        {
            return null;
        }
    }

    private static CookieOptions Options(HttpContext context) => new()
    {
        HttpOnly = true,
        SameSite = SameSiteMode.Strict,
        Secure = context.Request.IsHttps,
        Path = "/",
        IsEssential = true,
    };
}
