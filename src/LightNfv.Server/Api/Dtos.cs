using System.Text.Json;
using LightNfv.Core.Backends;
using LightNfv.Core.Descriptors;
using LightNfv.Platform.Lifecycle;
using LightNfv.Platform.Store;

namespace LightNfv.Server.Api;

/// <summary>An instance in a list: `GET /instances`, `lightnfv ps --json` (the same shape with or without the daemon).</summary>
public sealed record InstanceDto(string Id, string Name, string Tenant, string? Vnf, int? Version, string Technology, string State,
    string? Address, int? Pid, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, string? Error)
{
    /// <summary>From the record only (no host call): listing stays cheap with many instances.</summary>
    public static InstanceDto Of(InstanceRecord r) => new(r.Id, r.Name, r.Tenant, r.Deployment, r.Version, r.Technology.ToName(),
        r.State.ToString().ToLowerInvariant(), r.Address, r.Facts.Process?.Pid,
        r.CreatedAt, r.UpdatedAt, r.Error);

    /// <summary>With what the host said, when it was asked: its pid now rather than the recorded one.</summary>
    public static InstanceDto Of(InstanceView v) => Of(v.Record) is var d && v.Observation is { } o ? d with { Pid = o.Pid } : d;
}

/// <summary>Host objects of an instance no record knows (a store lost or replaced while it ran), listed with state "orphaned".</summary>
public sealed record OrphanDto(string Id, string State, string? Address, IReadOnlyList<string> Objects, IReadOnlyList<int> Pids)
{
    public const string OrphanedState = "orphaned";

    public static OrphanDto Of(OrphanedInstance o) => new(o.Id, OrphanedState, o.Address?.ToString(), o.Objects, o.Processes.Select(p => p.Pid).ToArray());
}

/// <summary>What the host says about an instance now.</summary>
public sealed record HostDto(string State, int? Pid, DateTimeOffset? StartedAt, string? Detail);

/// <summary>One instance in full: `GET /instances/{id}` and `lightnfv inspect` (the same shape with or without the daemon).</summary>
public sealed record InstanceDetailDto(string Id, string Name, string Tenant, string? Vnf, int? Version, string Technology, string State,
    string? Address, int? Pid, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, string? Error, HostDto? Host, InstanceStats? Stats,
    InstanceFacts Facts, JsonElement? Backend, string Descriptor)
{
    public static InstanceDetailDto Of(InstanceView v)
    {
        var d = InstanceDto.Of(v);
        var o = v.Observation;
        return new(d.Id, d.Name, d.Tenant, d.Vnf, d.Version, d.Technology, d.State, d.Address, d.Pid, d.CreatedAt, d.UpdatedAt, d.Error,
            o is null ? null : new HostDto(o.State.ToString().ToLowerInvariant(), o.Pid, o.StartedAt, o.Detail), v.Stats, v.Record.Facts, v.Record.BackendStateJson(),
            v.Record.Descriptor);
    }
}

/// <summary>What `DELETE /instances/{id}` removed: an instance, or the host objects of an orphan.</summary>
public sealed record RemovedDto(string Id, bool Orphaned, IReadOnlyList<string>? Objects);

/// <summary>What `DELETE /instances` removed, and the VNFs whose replicas it left to the daemon.</summary>
public sealed record RemovedAllDto(int Removed, IReadOnlyList<string> KeptVnfs);

/// <summary>One row of `GET /top` and `lightnfv top`.</summary>
public sealed record TopRow(string Id, string Name, string? Vnf, string Technology, double CpuPercent, ulong MemoryBytes, double MemoryPercent, double PacketRate, ulong RxBytes, ulong TxBytes,
    ulong SpoofedFramesDropped);

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

/// <param name="ServiceAddress">The VNF's stable service address, "ip:port" per port of its descriptor: it survives replica
/// replacement and spreads new connections over the ready replicas (reachable from the lab namespace). Null until the
/// daemon's first reconcile pass after instantiate allocates it.</param>
public sealed record VnfDto(string Name, string Tenant, int Version, int Replicas, int Ready, IReadOnlyList<InstanceDto> Instances, DateTimeOffset UpdatedAt,
    IReadOnlyList<string>? ServiceAddress = null);

/// <summary>Request bodies of the lifecycle actions. Every field is optional where a default makes sense.</summary>
public sealed record InstantiateRequest(int? Replicas, int? Version);

public sealed record ScaleRequest(int? Replicas);

public sealed record HealRequest(string? InstanceId, bool All = false);

public sealed record UpdateRequest(int? Version);
