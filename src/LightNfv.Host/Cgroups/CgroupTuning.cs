using LightNfv.Host.Native;

namespace LightNfv.Host.Cgroups;

/// <summary>
/// The one host setting LightNFV changes, reversibly: cgroup's `favordynmods` mount option.
/// Moving a process into a cgroup takes a global per-CPU rwsem for writing, which first waits for an RCU grace
/// period: 13-20 ms on this machine kind, most of a namespaced process's start-up. `favordynmods` (Linux 6.0+,
/// documented in cgroup-v2.rst) keeps that rwsem in its slow mode so migrations need no grace period, at the cost
/// of slightly dearer fork and exit. The lock is global, so setting it on any cgroup2 mount (the hybrid layout
/// has one at /sys/fs/cgroup/unified) speeds up v1 hierarchies too. The previous options are recorded and put
/// back by the last platform's `lightnfv down` (a host-wide count of users in /run/lightnfv); LIGHTNFV_HOST_TUNING=off
/// leaves the host untouched.
/// </summary>
public static class CgroupTuning
{
    public const string Option = "favordynmods";

    private const ulong MS_RDONLY = 1, MS_NOSUID = 2, MS_NODEV = 4, MS_NOEXEC = 8, MS_REMOUNT = 32, MS_NOATIME = 1024, MS_RELATIME = 1 << 21;

    public static bool Disabled => string.Equals(Environment.GetEnvironmentVariable("LIGHTNFV_HOST_TUNING"), "off", StringComparison.OrdinalIgnoreCase);

    /// <summary>The cgroup2 mount the option can be set on, if any.</summary>
    public static MountInfoEntry? Target(IReadOnlyList<MountInfoEntry>? mounts = null) =>
        (mounts ?? MountInfo.Read()).FirstOrDefault(m => m.FsType == "cgroup2");

    public static bool IsActive(IReadOnlyList<MountInfoEntry>? mounts = null) =>
        Target(mounts)?.SuperOptionList.Contains(Option) == true;

    /// <summary>Host-wide record: who uses the setting (one file per platform state directory) and what was there before.</summary>
    public const string RegistryDirectory = "/run/lightnfv/favordynmods";

    private static string UsersDirectory => Path.Combine(RegistryDirectory, "users");

    private static string PreviousPath => Path.Combine(RegistryDirectory, "previous");

    private static string UserFile(string user) =>
        Path.Combine(UsersDirectory, Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(user)))[..16]);

    /// <summary>
    /// Registers <paramref name="user"/> (a platform's state directory) and turns the option on unless it is on
    /// already or tuning is disabled. Returns a description of the state for reports.
    /// </summary>
    public static string Ensure(string user)
    {
        if (Disabled)
        {
            return "host tuning off (LIGHTNFV_HOST_TUNING=off)";
        }
        var target = Target();
        if (target is null)
        {
            return "no cgroup2 mount to set favordynmods on";
        }
        using var gate = RunLock.Acquire();
        Directory.CreateDirectory(UsersDirectory);
        File.WriteAllText(UserFile(user), user + "\n");
        if (target.SuperOptionList.Contains(Option))
        {
            return File.Exists(PreviousPath)
                ? $"{Option} on {target.MountPoint}, set by LightNFV (reverted by the last 'lightnfv down')"
                : $"{Option} on {target.MountPoint}, set by the host";
        }
        var previous = string.Join(',', target.SuperOptionList.Where(o => o is not ("rw" or "ro")));
        Remount(target, previous.Length == 0 ? Option : previous + "," + Option);
        File.WriteAllText(PreviousPath, $"{target.MountPoint}\n{previous}\n");
        return $"{Option} set on {target.MountPoint} by LightNFV (reverted by the last 'lightnfv down')";
    }

    /// <summary>
    /// Forgets users whose state directory is gone: a platform killed before its `down` (a test host, a CI run cut
    /// short) would otherwise keep the option set for good. A platform cannot run without its state directory (its
    /// store lives there), so such an entry has no owner left. Called under the run lock.
    /// </summary>
    private static void PruneVanishedUsers()
    {
        if (!Directory.Exists(UsersDirectory))
        {
            return;
        }
        foreach (var file in Directory.EnumerateFiles(UsersDirectory))
        {
            try
            {
                var stateDirectory = File.ReadAllText(file).Trim();
                if (stateDirectory.Length > 0 && !Directory.Exists(stateDirectory))
                {
                    File.Delete(file);
                }
            }
            catch (IOException)
            {
                // Being rewritten by its owner right now: keep it.
            }
        }
    }

    /// <summary>
    /// Unregisters <paramref name="user"/>; the last user out restores the options LightNFV changed (never ones the
    /// host set itself). Returns true if it restored them.
    /// </summary>
    public static bool Revert(string user)
    {
        using var gate = RunLock.Acquire();
        if (File.Exists(UserFile(user)))
        {
            File.Delete(UserFile(user));
        }
        PruneVanishedUsers();
        if (Directory.Exists(UsersDirectory) && Directory.EnumerateFiles(UsersDirectory).Any())
        {
            return false;
        }
        Namespaces.NetNamespace.TryRemoveEmpty(UsersDirectory);
        if (!File.Exists(PreviousPath))
        {
            Namespaces.NetNamespace.TryRemoveEmpty(RegistryDirectory);
            return false;
        }
        var lines = File.ReadAllLines(PreviousPath);
        var target = Target();
        if (target is not null && lines.Length >= 1 && target.MountPoint == lines[0] && target.SuperOptionList.Contains(Option))
        {
            Remount(target, lines.Length > 1 ? lines[1] : "");
        }
        File.Delete(PreviousPath);
        Namespaces.NetNamespace.TryRemoveEmpty(RegistryDirectory);
        return true;
    }

    private static void Remount(MountInfoEntry target, string data)
    {
        // A remount must repeat the per-mount flags, or it would clear them.
        var flags = MS_REMOUNT;
        foreach (var o in target.MountOptions.Split(','))
        {
            flags |= o switch
            {
                "ro" => MS_RDONLY,
                "nosuid" => MS_NOSUID,
                "nodev" => MS_NODEV,
                "noexec" => MS_NOEXEC,
                "noatime" => MS_NOATIME,
                "relatime" => MS_RELATIME,
                _ => 0,
            };
        }
        Errno.Check(Libc.mount("cgroup2", target.MountPoint, "cgroup2", flags, data.Length == 0 ? null : data),
            $"remount {target.MountPoint} with '{data}'");
    }
}
