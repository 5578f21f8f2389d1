using System.Text.Json;
using LightNfv.Core.Tenants;
using LightNfv.Server.Api;

namespace LightNfv.Cli.Commands;

// Tenants and their quotas for `lightnfv tenant`: through the daemon one /api/v1/tenants call each; embedded, the
// store's own operations with the API's DTOs, so both print the same.

public abstract partial class PlatformEndpoint
{
    /// <summary><see cref="TenantDto"/>s.</summary>
    public abstract Task<JsonElement> TenantsAsync(CancellationToken ct);

    public abstract Task<JsonElement> TenantAsync(string name, CancellationToken ct);

    public abstract Task<JsonElement> CreateTenantAsync(TenantRequest request, CancellationToken ct);

    public abstract Task<JsonElement> SetQuotaAsync(string name, TenantRequest request, CancellationToken ct);

    public abstract Task DeleteTenantAsync(string name, CancellationToken ct);
}

public sealed partial class EmbeddedPlatform
{
    public override Task<JsonElement> TenantsAsync(CancellationToken ct) =>
        Json.Done(Store.Tenants().Select(t => TenantDto.Of(t, Store)).ToList());

    public override Task<JsonElement> TenantAsync(string name, CancellationToken ct) => Json.Done(TenantDto.Of(Find(name), Store));

    public override Task<JsonElement> CreateTenantAsync(TenantRequest request, CancellationToken ct) =>
        Json.Done(TenantDto.Of(Store.CreateTenant(TenantResources.CheckName(request.Name), request.Quota), Store));

    public override Task<JsonElement> SetQuotaAsync(string name, TenantRequest request, CancellationToken ct) =>
        Json.Done(TenantDto.Of(Store.SetQuota(name, Find(name).Quota.With(request.Quota, request.UnlimitedResources())), Store));

    public override Task DeleteTenantAsync(string name, CancellationToken ct)
    {
        Store.DeleteTenant(name);
        return Task.CompletedTask;
    }

    private Platform.Store.TenantRecord Find(string name) => Store.Tenant(name)
        ?? throw new Core.Errors.LightNfvException(Core.Errors.ErrorKind.NotFound, $"name: no tenant named '{name}'; 'lightnfv tenant ls' lists them");
}

public sealed partial class DaemonPlatform
{
    private static string Tenant(string name) => $"api/v1/tenants/{Uri.EscapeDataString(name)}";

    public override Task<JsonElement> TenantsAsync(CancellationToken ct) => Client.SendAsync(HttpMethod.Get, "api/v1/tenants", ct: ct);

    public override Task<JsonElement> TenantAsync(string name, CancellationToken ct) => Client.SendAsync(HttpMethod.Get, Tenant(name), ct: ct);

    public override Task<JsonElement> CreateTenantAsync(TenantRequest request, CancellationToken ct) =>
        Client.SendAsync(HttpMethod.Post, "api/v1/tenants", request, ct: ct);

    public override Task<JsonElement> SetQuotaAsync(string name, TenantRequest request, CancellationToken ct) =>
        Client.SendAsync(HttpMethod.Patch, Tenant(name), request, ct: ct);

    public override Task DeleteTenantAsync(string name, CancellationToken ct) => Client.SendAsync(HttpMethod.Delete, Tenant(name), ct: ct);
}
