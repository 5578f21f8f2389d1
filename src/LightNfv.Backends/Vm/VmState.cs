using System.Text.Json;
using System.Text.Json.Serialization;
using LightNfv.Backends.Shared;
using LightNfv.Core.Backends;

namespace LightNfv.Backends.Vm;

/// <summary>
/// A VM backend's own record of an instance: what create prepared and decided (accelerator, machine, boot files, size),
/// so a start (first or later) launches the same QEMU. Its tap is the host link and its QMP socket lives in the run
/// directory (shared facts).
/// </summary>
public sealed record VmState : BackendState
{
    /// <summary>The accelerator chosen at create (kvm or tcg, by probe unless the descriptor asked).</summary>
    public string? Accel { get; init; }

    public string? Machine { get; init; }

    public string? Kernel { get; init; }

    public string? Initrd { get; init; }

    public string? Disk { get; init; }

    public string? Append { get; init; }

    [JsonConverter(typeof(OnOffJsonConverter))]
    public bool Acpi { get; init; }

    /// <summary>What the guest boots, for people (kernel, image and their sizes).</summary>
    public string? Boot { get; init; }

    public int? TbSizeMiB { get; init; }

    public int MemoryMiB { get; init; }

    public int Vcpus { get; init; }

    public override string ToJson() => JsonSerializer.Serialize(this, BackendStateJson.Default.VmState);

    [JsonIgnore]
    public override string? Summary => Accel is null ? null : $"QEMU -accel {Accel} -M {Machine}; {Boot}";

    internal static VmState Of(BackendInstance instance) => Read(instance.State, BackendStateJson.Default.VmState);
}

/// <summary>A flag as JSON true/false; reads "on"/"off" too, as rows from before typed state spelled it.</summary>
public sealed class OnOffJsonConverter : JsonConverter<bool>
{
    public override bool Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => reader.TokenType switch
    {
        JsonTokenType.True => true,
        JsonTokenType.False => false,
        JsonTokenType.String => reader.GetString() is "on" or "true",
        _ => throw new JsonException($"expected true, false, \"on\" or \"off\", not {reader.TokenType}"),
    };

    public override void Write(Utf8JsonWriter writer, bool value, JsonSerializerOptions options) => writer.WriteBooleanValue(value);
}
