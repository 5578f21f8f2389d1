using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace LightNfv.Core.Backends;

/// <summary>
/// What every layer may know about an instance on the host, whatever its backend: the backend records these, the
/// control plane persists them and reads them (liveness, stats, inspect). Everything else a backend needs lives in
/// its own <see cref="BackendState"/>. A field is null when the backend has no such thing (a VM has no cgroup).
/// </summary>
public sealed record InstanceFacts
{
    public static readonly InstanceFacts None = new();

    /// <summary>The workload's main process (the VNF, QEMU, the container's init), while it runs.</summary>
    public ProcessRef? Process { get; init; }

    /// <summary>The instance's network namespace (name under /run/netns).</summary>
    public string? Namespace { get; init; }

    /// <summary>The host side of its link: a veth or a tap on the lab bridge.</summary>
    public string? HostLink { get; init; }

    [JsonConverter(typeof(IpAddressJsonConverter))]
    public IPAddress? Address { get; init; }

    /// <summary>Its run directory (console log, exit status, sockets).</summary>
    public string? RunDirectory { get; init; }

    /// <summary>Its cgroup, relative to the hierarchy root, when the backend placed it in one.</summary>
    public string? Cgroup { get; init; }

    /// <summary>The image it runs, when the backend has one.</summary>
    public ImageFacts? Image { get; init; }

    /// <summary>Where the workload's stdout and stderr go.</summary>
    [JsonIgnore]
    public string? LogPath => RunDirectory is null ? null : InstanceSpec.LogPathIn(RunDirectory);

    /// <summary>The facts as the store keeps them.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, InstanceFactsJson.Default.InstanceFacts);

    public static InstanceFacts FromJson(string json) => JsonSerializer.Deserialize(json, InstanceFactsJson.Default.InstanceFacts) ?? None;
}

/// <summary>An instance's image: what names it (digest, reference, path) and its size unpacked and as tar.gz.</summary>
public sealed record ImageFacts(string? Reference, long? Bytes, long? TarGzBytes);

/// <summary>An address as its usual text.</summary>
public sealed class IpAddressJsonConverter : JsonConverter<IPAddress>
{
    public override IPAddress? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.GetString() is { } s && IPAddress.TryParse(s, out var a) ? a : null;

    public override void Write(Utf8JsonWriter writer, IPAddress value, JsonSerializerOptions options) => writer.WriteStringValue(value.ToString());
}

/// <summary>Source-generated JSON of the shared facts (no reflection on the instantiation path's store write).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(InstanceFacts))]
internal sealed partial class InstanceFactsJson : JsonSerializerContext;
