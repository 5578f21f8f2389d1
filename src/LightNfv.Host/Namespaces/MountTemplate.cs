using LightNfv.Host.Native;

namespace LightNfv.Host.Namespaces;

/// <summary>
/// A lean mount namespace that new VNF processes start from instead of the host's. Unsharing a mount namespace copies
/// every mount of the one it comes from, and the host's holds one nsfs bind mount per instance under /run/netns: so
/// without it, each new instance (and each removal) pays for every instance already running (measured here: +1.3 ms
/// per unshare at 800 mounts). The template is a copy of the host's mounts made once, slave to the host's, without
/// /run/netns; it is pinned by a bind mount of its nsfs file on a private mount of its own, and released with
/// /run/netns by the last `down`.
/// </summary>
/// <remarks>
/// A snapshot: a filesystem mounted on the host later reaches VNFs only if the host's mount is shared (systemd hosts),
/// through the slave relation; otherwise after the next `down`.
/// </remarks>
public static class MountTemplate
{
    private const string Directory = "/run/lightnfv/mnt";
    public const string PathName = Directory + "/template";

    private static int s_ready;

    /// <summary>The template's path, made on first use; null when the host does not allow it (then spawns copy the host's).</summary>
    public static string? Ensure()
    {
        if (Volatile.Read(ref s_ready) == 1)
        {
            return PathName;
        }
        using var gate = RunLock.Acquire();
        if (IsPinned())
        {
            Volatile.Write(ref s_ready, 1);
            return PathName;
        }
        System.IO.Directory.CreateDirectory(Directory);
        if (!IsMountPoint(Directory))
        {
            // A namespace file may only be bind-mounted on a private mount (else the pin would propagate into the
            // template itself and loop).
            if (Libc.mount(Directory, Directory, "none", Libc.MS_BIND, null) < 0)
            {
                return null;
            }
        }
        Errno.Check(Libc.mount("none", Directory, null, Libc.MS_PRIVATE, null), $"make {Directory} private");
        File.WriteAllText(PathName, "");
        using var ns = OsThread.Run(() =>
        {
            // CLONE_NEWNS on a thread implies CLONE_FS: only this thread moves; the thread ends afterwards.
            Errno.Check(Libc.unshare(Libc.CLONE_NEWNS), "unshare(CLONE_NEWNS)");
            Errno.Check(Libc.mount(null, "/", null, Libc.MS_REC | Libc.MS_SLAVE, null), "make mounts slave");
            // What makes it lean: no instance pins (and not the template's own pin directory).
            Libc.umount2(NetNamespace.Directory, Libc.MNT_DETACH);
            Libc.umount2(Directory, Libc.MNT_DETACH);
            return FileDescriptor.Open("/proc/thread-self/ns/mnt");
        });
        // From the host's namespace: the kernel refuses a pin made from inside the namespace it pins.
        Errno.Check(Libc.mount($"/proc/self/fd/{ns.Value}", PathName, null, Libc.MS_BIND, null), $"pin {PathName}");
        Volatile.Write(ref s_ready, 1);
        return PathName;
    }

    /// <summary>Unpins the template and removes its directory. Called under the run lock by the last `down`.</summary>
    internal static void ReleaseLocked()
    {
        if (System.IO.Directory.Exists(Directory))
        {
            Libc.umount2(PathName, Libc.MNT_DETACH);
            Libc.umount2(Directory, Libc.MNT_DETACH);
            try
            {
                File.Delete(PathName);
            }
            catch (IOException)
            {
                // Still busy: the next down retries.
            }
            NetNamespace.TryRemoveEmpty(Directory);
        }
        Volatile.Write(ref s_ready, 0);
    }

    private static bool IsPinned() => File.ReadLines("/proc/self/mountinfo").Any(l => l.Split(' ')[4] == PathName);

    private static bool IsMountPoint(string path) => File.ReadLines("/proc/self/mountinfo").Any(l => l.Split(' ')[4] == path);
}
