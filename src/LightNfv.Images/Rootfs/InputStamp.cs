using LightNfv.Images.Paths;

namespace LightNfv.Images.Rootfs;

/// <summary>
/// What a host input looked like when an image was built (size, mtime, mode, or link target): comparing stamps
/// is a few stat calls, so a cache hit never re-reads file contents.
/// </summary>
internal sealed record InputStamp(string Path, long Size, long ModifiedTicks, int Mode, string? LinkTarget)
{
    public static InputStamp? Capture(HostTree tree, string path)
    {
        var info = new FileInfo(tree.ToHost(path));
        if (info.LinkTarget is { } target)
        {
            return new InputStamp(path, 0, 0, 0, target);
        }
        if (!info.Exists)
        {
            return null;
        }
        return new InputStamp(path, info.Length, info.LastWriteTimeUtc.Ticks, (int)info.UnixFileMode, null);
    }

    public bool IsCurrent(HostTree tree) => Capture(tree, Path) == this;
}
