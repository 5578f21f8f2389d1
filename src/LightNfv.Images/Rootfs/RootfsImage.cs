namespace LightNfv.Images.Rootfs;

/// <summary>
/// A built, content-addressed root filesystem: the tree (for OCI bundles and initramfs builders) and its
/// deterministic tar.gz (for Docker import and size reports).
/// </summary>
/// <param name="TreeBytes">Sum of regular file sizes (symlinks and directories count 0).</param>
/// <param name="Files">Image paths of every regular file and symlink, sorted.</param>
public sealed record RootfsImage(
    string Digest,
    string RootfsDirectory,
    string TarGzPath,
    long TreeBytes,
    long TarGzBytes,
    IReadOnlyList<string> Files)
{
    /// <summary>The image.json beside the tree, describing every entry.</summary>
    public string ManifestPath => Path.Combine(Path.GetDirectoryName(RootfsDirectory)!, RootfsBuilder.ManifestFileName);
}
