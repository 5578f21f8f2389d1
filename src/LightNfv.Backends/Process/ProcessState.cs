using System.Text.Json;
using LightNfv.Backends.Shared;
using LightNfv.Core.Backends;

namespace LightNfv.Backends.Process;

/// <summary>The process backend's own record of an instance; the rest (namespace, cgroup, VNF process) are shared facts.</summary>
public sealed record ProcessState : BackendState
{
    /// <summary>The supervisor that reaps the VNF and writes its exit status to the run directory.</summary>
    public ProcessRef? Supervisor { get; init; }

    public override string ToJson() => JsonSerializer.Serialize(this, BackendStateJson.Default.ProcessState);

    internal static ProcessState Of(BackendInstance instance) => Read(instance.State, BackendStateJson.Default.ProcessState);
}
