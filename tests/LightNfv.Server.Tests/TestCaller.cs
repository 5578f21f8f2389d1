using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using LightNfv.Core.Identity;
using LightNfv.Platform.Store;

namespace LightNfv.Server.Tests;

/// <summary>
/// Sends a request as a caller written <c>ACTOR/TENANT/ROLE</c> (e.g. <c>token:a/tenant-a/operator</c>): through a real
/// API token with that tenant and role, made once per store and named after the actor and role.
/// </summary>
public static class TestCaller
{
    private static readonly ConditionalWeakTable<PlatformStore, Dictionary<string, string>> Secrets = new();

    public static void Authorize(HttpRequestMessage request, PlatformStore store, string caller)
    {
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Secret(store, caller));
    }

    private static string Secret(PlatformStore store, string caller)
    {
        var known = Secrets.GetOrCreateValue(store);
        lock (known)
        {
            if (!known.TryGetValue(caller, out var secret))
            {
                var (actor, tenant, role) = caller.Split('/') is [var a, var t, var r] ? (a, t, Enum.Parse<Role>(r, ignoreCase: true))
                    : throw new ArgumentException($"'{caller}' is not ACTOR/TENANT/ROLE", nameof(caller));
                var name = $"{actor[(actor.IndexOf(':', StringComparison.Ordinal) + 1)..]}-{role.ToString().ToLowerInvariant()}";
                secret = known[caller] = store.CreateToken(name, tenant, role, null).Secret;
            }
            return secret;
        }
    }
}
