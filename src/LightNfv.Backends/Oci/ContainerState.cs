using System.Text.Json;
using LightNfv.Backends.Shared;
using LightNfv.Core.Backends;

namespace LightNfv.Backends.Oci;

/// <summary>The container backend's own record of an instance: which OCI runtime runs it, from which bundle.</summary>
public sealed record ContainerState : BackendState
{
    /// <summary>The OCI runtime chosen at create (crun, runc); a restart uses the same one.</summary>
    public string? Runtime { get; init; }

    /// <summary>The bundle directory (config.json) the runtime runs.</summary>
    public string? Bundle { get; init; }

    public override string ToJson() => JsonSerializer.Serialize(this, BackendStateJson.Default.ContainerState);

    internal static ContainerState Of(BackendInstance instance) => Read(instance.State, BackendStateJson.Default.ContainerState);
}
