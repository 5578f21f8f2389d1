using System.Text.Json.Serialization;

namespace LightNfv.Images.Rootfs;

/// <summary>image.json: the image's digest, sizes and every entry (the canonical listing in readable form).</summary>
internal sealed record RootfsManifest(
    string Digest,
    long TreeBytes,
    long TarGzBytes,
    IReadOnlyList<string> Files,
    IReadOnlyList<RootfsManifestEntry> Entries);

internal sealed record RootfsManifestEntry(string Path, string Type, string Mode, long? Size, string? Sha256, string? Target);

/// <summary>keys/&lt;request&gt;.json: which digest a request produced and the host inputs it was built from.</summary>
internal sealed record RequestKeyRecord(string Digest, IReadOnlyList<InputStamp> Inputs);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(RootfsManifest))]
[JsonSerializable(typeof(RequestKeyRecord))]
internal sealed partial class RootfsJsonContext : JsonSerializerContext;
