using System.Globalization;
using LightNfv.Core.Errors;
using LightNfv.Core.Tenants;

namespace LightNfv.Platform.Control.Admission;

/// <summary>One limit a request would cross: the resource, its limit, what the tenant uses and what the request needs.</summary>
public sealed record QuotaRefusal(string Tenant, string Resource, long Limit, long Used, long Needed, string Action)
{
    /// <summary>The one-line error: the quota, its limit, the current use, the need, and the ways out.</summary>
    public string Message => string.Create(CultureInfo.InvariantCulture,
        $"quota: tenant '{Tenant}' is limited to {Limit} {Unit} ({TenantResources.Field(Resource)}) and uses {Used}; {Action} needs {Needed} more; " +
        $"raise it with 'lightnfv tenant set-quota {Tenant} --{Flag} N' or free some first");

    private string Unit => Resource switch
    {
        TenantResources.Instances => "instances",
        TenantResources.Vcpus => "vCPUs",
        TenantResources.MemoryMiB => "MiB of memory",
        TenantResources.Pids => "pids",
        _ => "VNFs",
    };

    private string Flag => Resource switch
    {
        TenantResources.MemoryMiB => "max-memory",
        _ => "max-" + Resource,
    };
}

/// <summary>
/// The admission policy for quotas: whether a tenant holding <c>used</c> may take <c>needed</c> more under its quota.
/// Pure (no store, no clock): the store calls it inside its write transaction, with the usage read in that same
/// transaction, so the check and the reservation are one atomic step against concurrent requests; the lifecycle calls
/// it again before it stores desired state, so a VNF-level request is refused before any side effect.
/// </summary>
public static class QuotaAdmission
{
    /// <summary>The first limit crossed (in <see cref="TenantResources.All"/> order), or null when the request fits.</summary>
    public static QuotaRefusal? Check(string tenant, TenantQuota quota, TenantUsage used, TenantUsage needed, string action)
    {
        foreach (var (resource, limit) in quota.Limits())
        {
            var need = needed.Of(resource);
            if (limit is { } max && need > 0 && used.Of(resource) + need > max)
            {
                return new QuotaRefusal(tenant, resource, max, used.Of(resource), need, action);
            }
        }
        return null;
    }

    /// <summary>As <see cref="Check"/>, refusing with <see cref="ErrorKind.Quota"/> (HTTP 403, exit 7).</summary>
    public static void Admit(string tenant, TenantQuota quota, TenantUsage used, TenantUsage needed, string action)
    {
        if (Check(tenant, quota, used, needed, action) is { } refusal)
        {
            throw new QuotaExceededException(refusal);
        }
    }
}

/// <summary>A quota refusal, carrying what was crossed (the auto-scaler's alert names it).</summary>
public sealed class QuotaExceededException(QuotaRefusal refusal) : LightNfvException(ErrorKind.Quota, refusal.Message)
{
    public QuotaRefusal Refusal => refusal;
}
