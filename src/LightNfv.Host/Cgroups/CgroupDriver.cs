using LightNfv.Core.Errors;

namespace LightNfv.Host.Cgroups;

/// <summary>Picks the cgroup driver this host supports.</summary>
public static class CgroupDriver
{
    /// <summary>
    /// v2 if a cgroup2 mount offers the memory controller (pure v2 hosts, and hybrids that moved memory to v2);
    /// else v1 if a memory hierarchy is mounted (this machine kind's hybrid layout, where the cgroup2 mount at
    /// /sys/fs/cgroup/unified holds no useful controllers); else Unavailable.
    /// </summary>
    public static ICgroupDriver Detect(string mountinfoPath = MountInfo.SelfPath) => Detect(MountInfo.Read(mountinfoPath));

    public static ICgroupDriver Detect(IReadOnlyList<MountInfoEntry> mounts)
    {
        if (CgroupV2Driver.FindUsableRoot(mounts) is { } v2Root)
        {
            return new CgroupV2Driver(v2Root);
        }
        var v1Roots = CgroupV1Driver.DiscoverRoots(mounts);
        if (v1Roots.ContainsKey("memory"))
        {
            return new CgroupV1Driver(v1Roots);
        }
        var seen = mounts.Where(m => m.FsType is "cgroup" or "cgroup2").Select(m => $"{m.MountPoint} ({m.FsType} {m.SuperOptions})").ToList();
        throw new LightNfvException(ErrorKind.Unavailable,
            "no usable cgroup hierarchy: " +
            (seen.Count == 0 ? "no cgroup filesystem is mounted" : $"found only {string.Join(", ", seen)}, none offering the memory controller") +
            "; mount cgroup v2 at /sys/fs/cgroup (mount -t cgroup2 none /sys/fs/cgroup) or the v1 memory, cpu and pids controllers");
    }
}
