using System.Text.Json;
using LightNfv.Core.Errors;
using LightNfv.Core.Instances;
using LightNfv.Platform.Control;
using LightNfv.Platform.Control.Service;
using LightNfv.Platform.Store;
using LightNfv.Server.Api.Concurrency;
using LightNfv.Server.Api.Query;
using LightNfv.Server.Auth;

namespace LightNfv.Server.Api;

/// <summary>
/// /api/v1/vnfs: instantiated VNFs and their typed lifecycle actions (SOL003 style). Each action answers 202 Accepted
/// with the operation occurrence to poll (Location: /api/v1/operations/{id}).
/// </summary>
public static class VnfsApi
{
    public static void Map(RouteGroupBuilder api)
    {
        var g = api.MapGroup("/vnfs").WithTags("vnfs");
        g.MapGet("/", (PlatformStore store) => Scope.Filter(store.Deployments(), d => d.Tenant).Select(d => Of(d, store))).WithListQuery<VnfDto>();
        g.MapGet("/{name}", (string name, string? tenant, PlatformStore store) =>
            Of(store.Deployment(DescriptorsApi.Tenant(tenant), name)
                ?? throw new LightNfvException(ErrorKind.NotFound, $"name: VNF '{name}' is not instantiated; run 'lightnfv vnf instantiate {name}'"), store)).WithETag(Version, "VNF");

        g.MapPost("/{name}/instantiate", (string name, string? tenant, InstantiateRequest? body, VnfLifecycle lifecycle) =>
            Accepted(lifecycle.Instantiate(DescriptorsApi.Tenant(tenant), name, body?.Replicas, body?.Version)))
            .Produces<OperationDto>(StatusCodes.Status202Accepted).WithSummary("Instantiate a VNF from its descriptor (replicas default 1, version default latest)");

        g.MapPost("/{name}/scale", (string name, string? tenant, ScaleRequest? body, VnfLifecycle lifecycle) =>
            Accepted(lifecycle.Scale(DescriptorsApi.Tenant(tenant), name,
                body?.Replicas ?? throw new LightNfvException(ErrorKind.Invalid, "replicas: required; send {\"replicas\": N}"))))
            .Produces<OperationDto>(StatusCodes.Status202Accepted).WithETag(Version, "VNF").WithSummary("Scale to N replicas");

        g.MapPost("/{name}/heal", (string name, string? tenant, HealRequest? body, VnfLifecycle lifecycle) =>
            Accepted(lifecycle.Heal(DescriptorsApi.Tenant(tenant), name, body?.InstanceId, body?.All ?? false)))
            .Produces<OperationDto>(StatusCodes.Status202Accepted).WithETag(Version, "VNF").WithSummary("Heal one replica (instanceId) or all, with the descriptor's recovery action");

        g.MapPost("/{name}/update", (string name, string? tenant, UpdateRequest? body, VnfLifecycle lifecycle) =>
            Accepted(lifecycle.Update(DescriptorsApi.Tenant(tenant), name, body?.Version)))
            .Produces<OperationDto>(StatusCodes.Status202Accepted).WithETag(Version, "VNF").WithSummary("Rolling replace with another descriptor version (default latest), one replica at a time");

        g.MapPost("/{name}/terminate", (string name, string? tenant, VnfLifecycle lifecycle) =>
            Accepted(lifecycle.Terminate(DescriptorsApi.Tenant(tenant), name)))
            .Produces<OperationDto>(StatusCodes.Status202Accepted).WithETag(Version, "VNF").WithSummary("Remove every replica of the VNF");
    }

    /// <summary>
    /// A VNF's ETag covers its desired state and its replicas' records (what GET answers), so a scale sent with the
    /// ETag of a read is refused once a replica was replaced or the VNF rescaled since.
    /// </summary>
    private static string? Version(HttpContext http)
    {
        var store = http.RequestServices.GetRequiredService<PlatformStore>();
        return store.Deployment(DescriptorsApi.Tenant(http.Request.Query["tenant"]), (string)http.Request.RouteValues["name"]!) is { } d
            ? JsonSerializer.Serialize(Of(d, store)) : null;
    }

    private static IResult Accepted(OperationRecord op) => Results.Accepted($"/api/v1/operations/{op.Id}", OperationDto.Of(op));

    /// <summary>A VNF as the API lists it (also `lightnfv get vnfs` without a daemon, so both print the same).</summary>
    public static VnfDto Of(Deployment d, PlatformStore store)
    {
        var replicas = store.List().Where(r => r.Tenant == d.Tenant && r.Deployment == d.Name).Select(InstanceDto.Of).ToList();
        return new VnfDto(d.Name, d.Tenant, d.Version, d.Replicas,
            replicas.Count(r => r.State == nameof(InstanceState.Running).ToLowerInvariant() && r.Version == d.Version), replicas, d.UpdatedAt,
            ServiceEndpoints.Of(store, d));
    }
}
