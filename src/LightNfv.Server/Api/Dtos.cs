using LightNfv.Core.Descriptors;
using LightNfv.Platform.Store;

namespace LightNfv.Server.Api;

public sealed record InstanceDto(string Id, string Name, string Tenant, string? Vnf, int? Version, string Technology, string State,
    string? Address, int? Pid, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, string? Error)
{
    /// <summary>From the record only (no host call): listing stays cheap with many instances.</summary>
    public static InstanceDto Of(InstanceRecord r) => new(r.Id, r.Name, r.Tenant, r.Deployment, r.Version, r.Technology.ToName(),
        r.State.ToString().ToLowerInvariant(), r.Address, r.Facts.Process?.Pid,
        r.CreatedAt, r.UpdatedAt, r.Error);
}

public sealed record DescriptorDto(string Name, string Tenant, int Version, DateTimeOffset CreatedAt, string Technology, string Source)
{
    public static DescriptorDto Of(DescriptorVersion d) => new(d.Name, d.Tenant, d.Version, d.CreatedAt, TechnologyOf(d.Source), d.Source);

    /// <summary>A version stored before today's limits may no longer parse: it is still listed (so it can be seen and deleted).</summary>
    private static string TechnologyOf(string source)
    {
        try
        {
            return DescriptorParser.Parse(source).Spec.Technology.ToName();
        }
        catch (Core.Errors.DescriptorException)
        {
            return "invalid";
        }
    }
}

public sealed record OperationDto(string Id, string Kind, string Tenant, string Vnf, OperationState State,
    IReadOnlyDictionary<string, string> Parameters, string? Error, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)
{
    public static OperationDto Of(OperationRecord o) => new(o.Id, o.Kind, o.Tenant, o.Deployment, o.State, o.Parameters, o.Error, o.CreatedAt, o.UpdatedAt);
}

public sealed record VnfDto(string Name, string Tenant, int Version, int Replicas, int Ready, IReadOnlyList<InstanceDto> Instances, DateTimeOffset UpdatedAt);

/// <summary>Request bodies of the lifecycle actions. Every field is optional where a default makes sense.</summary>
public sealed record InstantiateRequest(int? Replicas, int? Version);

public sealed record ScaleRequest(int? Replicas);

public sealed record HealRequest(string? InstanceId);

public sealed record UpdateRequest(int? Version);

public sealed record SubscriptionRequest(string? CallbackUri, string[]? Kinds);
