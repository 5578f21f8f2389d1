using System.Collections.Immutable;

namespace LightNfv.Images.Rootfs;

/// <summary>What goes into a root filesystem: executables (with their library closure) and extra files, as absolute host paths.</summary>
public sealed record RootfsRequest(IReadOnlyList<string> Executables, IReadOnlyList<string> ExtraFiles)
{
    /// <summary>Symlinks to add (image path to target as written), e.g. busybox applet names pointing at busybox.</summary>
    public IReadOnlyDictionary<string, string> Symlinks { get; init; } = ImmutableDictionary<string, string>.Empty;
}
