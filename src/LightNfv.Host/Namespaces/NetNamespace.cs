using LightNfv.Core.Errors;
using LightNfv.Host.Native;
using LightNfv.Host.Netlink;

namespace LightNfv.Host.Namespaces;

/// <summary>
/// Named network namespaces pinned by bind mounts under /run/netns, the same convention as `ip netns`,
/// so operators can inspect them with the usual tools. Entered with setns on a dedicated thread, never
/// through `ip netns exec` (which remounts /sys and hides cgroups).
/// </summary>
public static class NetNamespace
{
    public const string Directory = "/run/netns";

    public static string PathOf(string name) => System.IO.Path.Combine(Directory, name);

    public static bool Exists(string name) => File.Exists(PathOf(name));

    /// <summary>
    /// Whether a namespace is mounted on the pin file (a kill between creating the file and bind-mounting it leaves
    /// an empty file that <see cref="Exists"/> still sees). Reads the mount table: for repair paths, not hot ones.
    /// </summary>
    public static bool IsPinned(string name) => IsMountPoint(PathOf(name));

    /// <summary>Names in /run/netns starting with <paramref name="prefix"/>.</summary>
    public static IReadOnlyList<string> List(string prefix)
    {
        if (!System.IO.Directory.Exists(Directory))
        {
            return [];
        }
        return System.IO.Directory.EnumerateFiles(Directory)
            .Select(System.IO.Path.GetFileName)
            .Where(n => n is not null && n.StartsWith(prefix, StringComparison.Ordinal))
            .Select(n => n!)
            .Order(StringComparer.Ordinal)
            .ToArray();
    }

    public static FileDescriptor Open(string name) => FileDescriptor.Open(PathOf(name));

    /// <summary>
    /// Creates a namespace pinned at /run/netns/<paramref name="name"/> and runs <paramref name="configure"/> inside it,
    /// on the creating thread, with a netlink socket of the new namespace and the namespace's fd. Any failure removes it.
    /// </summary>
    public static T Create<T>(string name, Func<RtNetlink, FileDescriptor, T> configure)
    {
        EnsureDirectory();
        var path = PathOf(name);
        HostNetwork.Capture();
        return OsThread.Run(() =>
        {
            Errno.Check(Libc.unshare(Libc.CLONE_NEWNET), "unshare(CLONE_NEWNET)");
            var fd = Libc.open(path, Libc.O_RDONLY | Libc.O_CREAT | Libc.O_EXCL | Libc.O_CLOEXEC, 0);
            if (fd < 0)
            {
                var e = Errno.Last;
                if (e == Libc.EEXIST)
                {
                    throw new LightNfvException(ErrorKind.Conflict, $"network namespace {name} already exists; remove it with 'lightnfv down' or 'ip netns delete {name}'");
                }
                throw Errno.Error($"create {path}", e);
            }
            Libc.close(fd);
            try
            {
                Errno.Check(Libc.mount($"/proc/self/task/{Libc.gettid()}/ns/net", path, "none", Libc.MS_BIND, null), $"bind-mount network namespace to {path}");
                using var nsfd = FileDescriptor.Open(path);
                using var rtnl = RtNetlink.Open();
                rtnl.SetUp(1); // loopback
                return configure(rtnl, nsfd);
            }
            catch
            {
                Delete(name);
                throw;
            }
        });
    }

    /// <summary>
    /// Pins the network namespace of a running process (one made by the spawn helper with its VNF) at
    /// /run/netns/<paramref name="name"/>, then configures it like <see cref="Create{T}"/>. Any failure unpins it.
    /// </summary>
    public static T Adopt<T>(string name, int pid, Func<RtNetlink, FileDescriptor, T> configure)
    {
        EnsureDirectory();
        var path = PathOf(name);
        var fd = Libc.open(path, Libc.O_RDONLY | Libc.O_CREAT | Libc.O_EXCL | Libc.O_CLOEXEC, 0);
        if (fd < 0)
        {
            var e = Errno.Last;
            throw e == Libc.EEXIST
                ? new LightNfvException(ErrorKind.Conflict, $"network namespace {name} already exists; remove it with 'lightnfv down' or 'ip netns delete {name}'")
                : Errno.Error($"create {path}", e);
        }
        Libc.close(fd);
        try
        {
            Errno.Check(Libc.mount($"/proc/{pid}/ns/net", path, "none", Libc.MS_BIND, null), $"bind-mount network namespace of pid {pid} to {path}");
            using var nsfd = FileDescriptor.Open(path);
            using var rtnl = OpenNetlinkIn(nsfd);
            rtnl.SetUp(1); // loopback
            return configure(rtnl, nsfd);
        }
        catch
        {
            Delete(name);
            throw;
        }
    }

    /// <summary>Runs <paramref name="work"/> with the calling thread inside <paramref name="ns"/>, then returns it home.</summary>
    public static void WithNamespace(FileDescriptor ns, Action work)
    {
        HostNetwork.Capture();
        using var home = FileDescriptor.Open($"/proc/self/task/{Libc.gettid()}/ns/net");
        Errno.Check(Libc.setns(ns, Libc.CLONE_NEWNET), "setns(CLONE_NEWNET)");
        try
        {
            work();
        }
        finally
        {
            if (Libc.setns(home, Libc.CLONE_NEWNET) < 0)
            {
                Environment.FailFast($"setns back to the original network namespace failed: {Errno.Describe(Errno.Last)}");
            }
        }
    }

    /// <summary>Moves the calling thread into the namespace for good: only for a dedicated thread that ends afterwards.</summary>
    public static void EnterCurrentThread(FileDescriptor ns)
    {
        HostNetwork.Capture();
        Errno.Check(Libc.setns(ns, Libc.CLONE_NEWNET), "setns(CLONE_NEWNET)");
    }

    /// <summary>
    /// Opens a socket inside another namespace from the calling thread: enter, open, return home. Sockets keep the
    /// namespace they were made in, so a probe or a load generator never needs a thread (or a child) in the lab.
    /// </summary>
    public static T OpenIn<T>(FileDescriptor ns, Func<T> open)
    {
        T result = default!;
        WithNamespace(ns, () => result = open());
        return result;
    }

    /// <summary>
    /// Opens a netlink socket inside another namespace from the calling thread: enter, open, return home.
    /// Sockets keep their namespace, so no thread needs to stay there (a thread costs ~0.4 ms to start here).
    /// </summary>
    public static RtNetlink OpenNetlinkIn(FileDescriptor ns)
    {
        RtNetlink? socket = null;
        WithNamespace(ns, () => socket = RtNetlink.Open());
        return socket!;
    }

    /// <summary>
    /// Runs <paramref name="work"/> on a thread inside the namespace (for sockets that must live there). Nothing started
    /// from it may inherit the namespace by accident: spawning from such a thread is refused unless the namespace is named
    /// (<see cref="HostNetwork.EnsureCurrentThreadHome"/>), and host tools hop back home (<see cref="HostNetwork.Run{T}"/>).
    /// </summary>
    public static T RunIn<T>(FileDescriptor ns, Func<T> work) => OsThread.Run(() =>
    {
        EnterCurrentThread(ns);
        return work();
    });

    /// <summary>Unpins and removes a namespace. The kernel frees it once no process or socket holds it. Idempotent.</summary>
    public static void Delete(string name)
    {
        var path = PathOf(name);
        if (Libc.umount2(path, Libc.MNT_DETACH) < 0)
        {
            var e = Errno.Last;
            if (e != Libc.EINVAL && e != Libc.ENOENT)
            {
                throw Errno.Error($"unmount {path}", e);
            }
        }
        try
        {
            File.Delete(path);
        }
        catch (DirectoryNotFoundException)
        {
            // No /run/netns at all (as after a reboot): nothing is pinned.
        }
        catch (IOException e)
        {
            throw new LightNfvException(ErrorKind.Host, $"remove {path}: {e.Message}", e);
        }
    }

    private static int s_directoryReady;

    /// <summary>
    /// Makes /run/netns a shared mount point of its own, as iproute2 does: processes in private mount
    /// namespaces can then detach the whole directory instead of pinning every namespace in it.
    /// </summary>
    public static void EnsureDirectory()
    {
        if (Volatile.Read(ref s_directoryReady) == 1)
        {
            return;
        }
        using var gate = RunLock.Acquire();
        System.IO.Directory.CreateDirectory(Directory);
        if (!IsMountPoint(Directory))
        {
            Errno.Check(Libc.mount(Directory, Directory, "none", Libc.MS_BIND | Libc.MS_REC, null), $"bind-mount {Directory}");
            // Remembered so that the last `down` can take back a mount LightNFV made (and only that).
            System.IO.Directory.CreateDirectory(Path.GetDirectoryName(OwnMountMarker)!);
            File.WriteAllText(OwnMountMarker, "");
        }
        Errno.Check(Libc.mount("none", Directory, null, Libc.MS_SHARED | Libc.MS_REC, null), $"make {Directory} shared");
        Volatile.Write(ref s_directoryReady, 1);
    }

    private const string OwnMountMarker = "/run/lightnfv/netns-mount";

    /// <summary>Undoes <see cref="EnsureDirectory"/> when LightNFV made the mount and no namespace is pinned any more.</summary>
    public static void ReleaseDirectory()
    {
        using var gate = RunLock.Acquire();
        if (System.IO.Directory.Exists(Directory) && System.IO.Directory.EnumerateFileSystemEntries(Directory).Any())
        {
            return;
        }
        MountTemplate.ReleaseLocked();
        if (!File.Exists(OwnMountMarker))
        {
            TryRemoveEmpty(Path.GetDirectoryName(OwnMountMarker)!);
            return;
        }
        if (Libc.umount2(Directory, Libc.MNT_DETACH) == 0 || Errno.Last == Libc.EINVAL)
        {
            File.Delete(OwnMountMarker);
            Volatile.Write(ref s_directoryReady, 0);
            TryRemoveEmpty(Directory);
        }
        TryRemoveEmpty(Path.GetDirectoryName(OwnMountMarker)!);
    }

    /// <summary>Removes LightNFV's bookkeeping directory under /run when nothing is left in it.</summary>
    public static void ReleaseRunDirectory()
    {
        using var gate = RunLock.Acquire();
        TryRemoveEmpty("/run/lightnfv");
    }

    /// <summary>Removes a directory of LightNFV's own bookkeeping if it is empty.</summary>
    public static void TryRemoveEmpty(string directory)
    {
        try
        {
            if (System.IO.Directory.Exists(directory) && !System.IO.Directory.EnumerateFileSystemEntries(directory).Any())
            {
                System.IO.Directory.Delete(directory);
            }
        }
        catch (IOException)
        {
            // Someone wrote into it meanwhile: it is in use.
        }
    }

    private static bool IsMountPoint(string path)
    {
        foreach (var line in File.ReadLines("/proc/self/mountinfo"))
        {
            var parts = line.Split(' ');
            if (parts.Length > 4 && parts[4] == path)
            {
                return true;
            }
        }
        return false;
    }
}
