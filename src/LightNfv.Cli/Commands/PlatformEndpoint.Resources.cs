using System.Text.Json;
using LightNfv.Server.Api;

namespace LightNfv.Cli.Commands;

// The read side of `get` and `describe` beyond instances: VNFs, descriptors, operations and alerts, each in the API's
// shape. Through the daemon one list call each (?tenant= filters, none lists every tenant); embedded, the same DTOs
// built from the store, so `get ... -o json` prints the same bytes either way.

public abstract partial class PlatformEndpoint
{
    /// <summary><see cref="VnfDto"/>s of <paramref name="tenant"/> (every tenant when null).</summary>
    public abstract Task<JsonElement> VnfsAsync(string? tenant, CancellationToken ct);

    /// <summary>The latest <see cref="DescriptorDto"/> of each descriptor.</summary>
    public abstract Task<JsonElement> DescriptorsAsync(string? tenant, CancellationToken ct);

    /// <summary><see cref="OperationDto"/>s, newest first (the last 200).</summary>
    public abstract Task<JsonElement> OperationsAsync(string? tenant, CancellationToken ct);

    /// <summary>Alerts (the platform's events), oldest first (the last 200).</summary>
    public abstract Task<JsonElement> AlertsAsync(string? tenant, CancellationToken ct);
}

public sealed partial class EmbeddedPlatform
{
    private Platform.Store.PlatformStore Store => Context.Store;

    public override Task<JsonElement> VnfsAsync(string? tenant, CancellationToken ct) =>
        Json.Done(Store.Deployments().Where(d => tenant is null || d.Tenant == tenant).Select(d => VnfsApi.Of(d, Store)).ToList());

    public override Task<JsonElement> DescriptorsAsync(string? tenant, CancellationToken ct) =>
        Json.Done(Store.LatestDescriptors().Where(d => tenant is null || d.Tenant == tenant).Select(DescriptorDto.Of).ToList());

    public override Task<JsonElement> OperationsAsync(string? tenant, CancellationToken ct) =>
        Json.Done(Store.Operations().Where(o => tenant is null || o.Tenant == tenant).Select(OperationDto.Of).ToList());

    public override Task<JsonElement> AlertsAsync(string? tenant, CancellationToken ct) =>
        Json.Done(Store.Alerts().Where(a => tenant is null || a.Tenant == tenant).ToList());
}

public sealed partial class DaemonPlatform
{
    public override Task<JsonElement> VnfsAsync(string? tenant, CancellationToken ct) =>
        Client.SendAsync(HttpMethod.Get, "api/v1/vnfs" + TenantOption.Query(tenant), ct: ct);

    public override Task<JsonElement> DescriptorsAsync(string? tenant, CancellationToken ct) =>
        Client.SendAsync(HttpMethod.Get, "api/v1/descriptors" + TenantOption.Query(tenant), ct: ct);

    public override Task<JsonElement> OperationsAsync(string? tenant, CancellationToken ct) =>
        Client.SendAsync(HttpMethod.Get, "api/v1/operations" + TenantOption.Query(tenant), ct: ct);

    public override Task<JsonElement> AlertsAsync(string? tenant, CancellationToken ct) =>
        Client.SendAsync(HttpMethod.Get, "api/v1/alerts" + TenantOption.Query(tenant), ct: ct);
}
