using System.Text.Json;
using System.Text.Json.Serialization;
using LightNfv.Core.Backends;

namespace LightNfv.Backends.Process;

/// <summary>The process backend's own record of an instance; the rest (namespace, cgroup, VNF process) are shared facts.</summary>
public sealed record ProcessState : BackendState
{
    /// <summary>The supervisor that reaps the VNF and writes its exit status to the run directory.</summary>
    public ProcessRef? Supervisor { get; init; }

    public override string ToJson() => JsonSerializer.Serialize(this, ProcessStateJson.Default.ProcessState);

    internal static ProcessState Of(BackendInstance instance) => Read(instance.State, ProcessStateJson.Default.ProcessState);
}

/// <summary>Numbers read from strings too: rows from before typed state held every value as a string.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    NumberHandling = JsonNumberHandling.AllowReadingFromString)]
[JsonSerializable(typeof(ProcessState))]
internal sealed partial class ProcessStateJson : JsonSerializerContext;
