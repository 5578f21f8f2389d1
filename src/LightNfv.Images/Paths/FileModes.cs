using LightNfv.Core.Errors;

namespace LightNfv.Images.Paths;

/// <summary>
/// Unix permission bits, behind one platform guard so callers of the image builder need no
/// [SupportedOSPlatform] annotations of their own.
/// </summary>
internal static class FileModes
{
    public static UnixFileMode Get(string path) =>
        OperatingSystem.IsWindows() ? throw Unsupported() : File.GetUnixFileMode(path);

    public static void Set(string path, UnixFileMode mode)
    {
        if (OperatingSystem.IsWindows())
        {
            throw Unsupported();
        }
        File.SetUnixFileMode(path, mode);
    }

    private static LightNfvException Unsupported() =>
        new(ErrorKind.Unavailable, "root filesystems can only be built on Linux; run LightNFV on a Linux host");
}
