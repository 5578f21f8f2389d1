using System.Text.Json.Serialization;
using LightNfv.Core.Errors;
using LightNfv.Core.Identity;
using LightNfv.Core.Tenants;
using LightNfv.Platform.Store;

namespace LightNfv.Server.Api;

/// <summary>A tenant's limits (null: unlimited, written out so it reads as such) or its use, by resource.</summary>
public sealed record TenantAmountsDto(
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] long? Instances,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] long? Vcpus,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] long? MemoryMiB,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] long? Pids,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] long? Vnfs);

/// <summary>A tenant: `GET /api/v1/tenants[/{name}]` and `lightnfv tenant ls|show` (the same shape with or without a daemon).</summary>
public sealed record TenantDto(string Name, TenantAmountsDto Quota, TenantAmountsDto Usage, DateTimeOffset CreatedAt)
{
    public static TenantDto Of(TenantRecord t, TenantUsage u) => new(t.Name,
        new(t.Quota.Instances, t.Quota.Vcpus, t.Quota.MemoryMiB, t.Quota.Pids, t.Quota.Vnfs),
        new(u.Instances, u.Vcpus, u.MemoryMiB, u.Pids, u.Vnfs), t.CreatedAt);

    public static TenantDto Of(TenantRecord t, PlatformStore store) => Of(t, store.Usage(t.Name));
}

/// <summary>
/// A tenant to create (POST) or a quota change (PATCH): each max* given is set, those named in <see cref="Unlimited"/>
/// (maxInstances, maxVcpus, maxMemoryMiB, maxPids, maxVnfs) become unlimited, the others stay as they are.
/// </summary>
public sealed record TenantRequest(string? Name, int? MaxInstances, int? MaxVcpus, int? MaxMemoryMiB, int? MaxPids, int? MaxVnfs, IReadOnlyList<string>? Unlimited)
{
    public TenantQuota Quota => new(MaxInstances, MaxVcpus, MaxMemoryMiB, MaxPids, MaxVnfs);

    /// <summary>The resources <see cref="Unlimited"/> names; an unknown field is refused, naming the accepted ones.</summary>
    public IReadOnlyList<string> UnlimitedResources() => (Unlimited ?? []).Select(f =>
        TenantResources.All.FirstOrDefault(r => string.Equals(TenantResources.Field(r), f, StringComparison.OrdinalIgnoreCase))
        ?? throw new LightNfvException(ErrorKind.Invalid,
            $"unlimited: '{f}' is not a quota; give any of {string.Join(", ", TenantResources.All.Select(TenantResources.Field))}")).ToList();
}

/// <summary>
/// /api/v1/tenants: tenants and their quotas. Creating, changing and deleting them is an admin's (AccessRules); a caller scoped to
/// a tenant sees only its own (another tenant answers 404, as if absent).
/// </summary>
public static class TenantsApi
{
    public static void Map(RouteGroupBuilder api)
    {
        var g = api.MapGroup("/tenants").WithTags("tenants");
        g.MapGet("/", (PlatformStore store) =>
            store.Tenants().Where(t => Caller.Current.Sees(t.Name)).Select(t => TenantDto.Of(t, store)).ToList())
            .WithSummary("List the tenants with their quotas and usage");

        g.MapPost("/", (TenantRequest? body, PlatformStore store) =>
        {
            var name = TenantResources.CheckName(body?.Name);
            var t = store.CreateTenant(name, body!.Quota);
            return Results.Created($"/api/v1/tenants/{t.Name}", TenantDto.Of(t, store));
        }).Produces<TenantDto>(StatusCodes.Status201Created).WithSummary("Create a tenant, with its quota (unset limits are unlimited)");

        g.MapGet("/{name}", (string name, PlatformStore store) => TenantDto.Of(Find(store, name), store))
            .WithSummary("A tenant with its quota and usage");

        g.MapPatch("/{name}", (string name, TenantRequest? body, PlatformStore store) =>
        {
            var t = Find(store, name);
            var quota = t.Quota.With(body?.Quota ?? TenantQuota.Unlimited, body?.UnlimitedResources() ?? []);
            return TenantDto.Of(store.SetQuota(name, quota), store);
        }).WithSummary("Change a tenant's quota: the max* given are set, those named in 'unlimited' removed");

        g.MapDelete("/{name}", (string name, PlatformStore store) =>
        {
            Find(store, name);
            store.DeleteTenant(name);
            return Results.NoContent();
        }).Produces(StatusCodes.Status204NoContent).WithSummary("Delete a tenant that owns no instance and no VNF");
    }

    private static TenantRecord Find(PlatformStore store, string name) =>
        store.Tenant(name) is { } t && Caller.Current.Sees(t.Name) ? t
            : throw new LightNfvException(ErrorKind.NotFound, $"name: no tenant named '{name}'; 'lightnfv tenant ls' lists them");
}
