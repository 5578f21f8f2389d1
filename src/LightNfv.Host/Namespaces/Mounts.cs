using LightNfv.Host.Native;

namespace LightNfv.Host.Namespaces;

/// <summary>Mount-table operations the backends need outside this assembly (the libc call stays in Native/Libc.cs).</summary>
public static class Mounts
{
    /// <summary>
    /// Lazily detaches the mount at <paramref name="target"/> (umount2 MNT_DETACH). True if one was detached, false if
    /// nothing is mounted there or the path is gone; any other failure is an error naming the path.
    /// </summary>
    public static bool Detach(string target)
    {
        if (Libc.umount2(target, Libc.MNT_DETACH) == 0)
        {
            return true;
        }
        var errno = Errno.Last;
        return errno is Libc.EINVAL or Libc.ENOENT ? false : throw Errno.Error($"unmount {target}", errno);
    }
}
