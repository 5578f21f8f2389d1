using System.Text.Json;
using LightNfv.Core.Backends;
using LightNfv.Core.Descriptors;
using LightNfv.Core.Instances;

namespace LightNfv.Platform.Store;

/// <summary>
/// One instance as the control plane records it: desired state, the descriptor it came from, the facts every layer may
/// read, and its backend's own record (opaque here: only the backend reads it).
/// </summary>
public sealed record InstanceRecord(
    string Id,
    string Name,
    string Tenant,
    Technology Technology,
    InstanceState State,
    string? Address,
    string Descriptor,
    InstanceFacts Facts,
    BackendState? BackendState,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    string? Error)
{
    /// <summary>What the backend recorded, to hand back to it.</summary>
    public BackendInstance AsBackendInstance() => new(Id, Technology, Facts, BackendState);

    /// <summary>The backend's record as a JSON object, for `inspect` and the API; null when it has none.</summary>
    public JsonElement? BackendStateJson()
    {
        if (BackendState is not { } state)
        {
            return null;
        }
        using var doc = JsonDocument.Parse(state.ToJson());
        return doc.RootElement.Clone();
    }

    /// <summary>The VNF (deployment) this instance is a replica of; null for an instance made by `lightnfv run`.</summary>
    public string? Deployment { get; init; }

    /// <summary>The descriptor version the replica was made from.</summary>
    public int? Version { get; init; }
}

/// <summary>Which deployment and descriptor version a new instance belongs to.</summary>
public sealed record ReplicaOf(string Deployment, int Version);

/// <summary>An audit-trail entry: who did what to which instance, and how it ended.</summary>
public sealed record AuditEvent(long Id, DateTimeOffset At, string? InstanceId, string Kind, string Message);
