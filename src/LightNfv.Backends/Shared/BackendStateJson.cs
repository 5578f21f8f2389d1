using System.Text.Json.Serialization;
using LightNfv.Backends.Docker;
using LightNfv.Backends.Oci;
using LightNfv.Backends.Process;
using LightNfv.Backends.Unikernel;
using LightNfv.Backends.Vm;

namespace LightNfv.Backends.Shared;

/// <summary>
/// Source-generated JSON of every backend's own record (no reflection on the instantiation path's store write). Numbers
/// written as strings are read too: stores older than typed state kept every value as a string.
/// </summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    NumberHandling = JsonNumberHandling.AllowReadingFromString)]
[JsonSerializable(typeof(ProcessState))]
[JsonSerializable(typeof(ContainerState))]
[JsonSerializable(typeof(DockerState))]
[JsonSerializable(typeof(VmState))]
[JsonSerializable(typeof(UnikernelState))]
internal sealed partial class BackendStateJson : JsonSerializerContext;
