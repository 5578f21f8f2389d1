using LightNfv.Core.Errors;
using LightNfv.Core.Identity;

namespace LightNfv.Server.Auth;

/// <summary>
/// Tenant scoping for the API handlers, in one place: which tenant a request acts in, whether an object is visible,
/// and lists filtered to the caller's tenant. Another tenant's object answers exactly as an absent one (no existence leak).
/// </summary>
public static class Scope
{
    /// <summary>
    /// The tenant a request acts in: the one asked for (default: the caller's own, else `default`). A scoped caller
    /// asking for another tenant gets the answer any absent object gets, whether that tenant exists or not.
    /// </summary>
    public static string Tenant(string? requested, Func<LightNfvException> absent)
    {
        var caller = Caller.Current;
        var tenant = string.IsNullOrEmpty(requested) ? caller.Tenant ?? Platform.Control.VnfLifecycle.DefaultTenant : requested;
        return caller.Sees(tenant) ? tenant : throw absent();
    }

    /// <summary><paramref name="value"/> when the caller sees its tenant; otherwise the error an absent object raises.</summary>
    public static T Visible<T>(T value, string tenant, Func<LightNfvException> absent) => Caller.Current.Sees(tenant) ? value : throw absent();

    /// <summary>The items of tenants the caller sees.</summary>
    public static IEnumerable<T> Filter<T>(IEnumerable<T> items, Func<T, string> tenant)
    {
        var caller = Caller.Current;
        return caller.Tenant is null ? items : items.Where(i => caller.Sees(tenant(i)));
    }
}
