using System.Text.Json;
using LightNfv.Backends.Shared;
using LightNfv.Core.Backends;

namespace LightNfv.Backends.Docker;

/// <summary>The Docker backend's own record of an instance: which dockerd holds its container, and the shim that runs it.</summary>
public sealed record DockerState : BackendState
{
    /// <summary>The container's id in dockerd (its name until create returned one).</summary>
    public string? Container { get; init; }

    public string? ContainerName { get; init; }

    /// <summary>The Engine API socket of the dockerd that holds the container.</summary>
    public string? DockerSocket { get; init; }

    /// <summary>containerd's shim, the VNF's parent: reaped here when this process is its subreaper.</summary>
    public ProcessRef? Shim { get; init; }

    public override string ToJson() => JsonSerializer.Serialize(this, BackendStateJson.Default.DockerState);

    internal static DockerState Of(BackendInstance instance) => Read(instance.State, BackendStateJson.Default.DockerState);
}
