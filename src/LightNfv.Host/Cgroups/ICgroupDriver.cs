namespace LightNfv.Host.Cgroups;

/// <summary>Limits applied to one instance's cgroup. Null means "no limit".</summary>
public sealed record CgroupLimits(long? MemoryBytes, double? Cpus, long? Pids)
{
    /// <summary>CPUs the cgroup may run on (cpuset.cpus list form, "0-1"); null: every CPU its parent has.</summary>
    public string? CpuSet { get; init; }
}

/// <summary>
/// Counters read from one cgroup. <see cref="MemoryBytes"/> is the cgroup's private memory: anonymous pages, tmpfs
/// and shared memory, kernel memory. Page cache of files (the image's binary and libraries, shared by every instance
/// of the image and reclaimable) is <see cref="FileCacheBytes"/>: it is charged to whichever cgroup first reads a page,
/// so it lands on an instance by chance (docker stats leaves it out for the same reason).
/// </summary>
public sealed record CgroupStats(
    ulong CpuNanoseconds,
    ulong MemoryBytes,
    ulong? MemoryLimitBytes,
    ulong PidsCurrent,
    ulong? PidsLimit,
    ulong OomKills)
{
    public ulong FileCacheBytes { get; init; }
}

/// <summary>
/// cgroups behind one interface: v1 (one hierarchy per controller, this machine kind) and v2 (unified, most hosts).
/// Paths are relative to the hierarchy roots, e.g. "lightnfv/0123456789ab".
/// </summary>
public interface ICgroupDriver
{
    /// <summary>"v1" or "v2".</summary>
    string Version { get; }

    /// <summary>Creates the cgroup (and its parents), enables the controllers it needs and writes the limits.</summary>
    ICgroup Create(string relativePath, CgroupLimits limits);

    /// <summary>The cgroup if it exists in any hierarchy, else null.</summary>
    ICgroup? Open(string relativePath);

    /// <summary>Child cgroup names directly under <paramref name="relativePath"/> (for orphan cleanup and `down`).</summary>
    IReadOnlyList<string> ListChildren(string relativePath);
}

public interface ICgroup
{
    string RelativePath { get; }

    /// <summary>Absolute paths of the cgroup.procs files a process writes "0" to in order to join (one per v1 hierarchy, one for v2).</summary>
    IReadOnlyList<string> ProcsFiles { get; }

    /// <summary>Pids of every process in the cgroup.</summary>
    IReadOnlyList<int> Pids();

    CgroupStats ReadStats();

    /// <summary>SIGKILLs every process in the cgroup (cgroup.kill on v2 where present) and waits until it is empty or the timeout passes.</summary>
    bool KillAll(TimeSpan timeout);

    /// <summary>Removes the cgroup directories (every hierarchy). Returns false if a directory could not be removed (still busy). Idempotent.</summary>
    bool Remove();

    /// <summary>
    /// Freezes every process of the cgroup (v2 cgroup.freeze, v1 freezer hierarchy) and returns once the kernel reports
    /// it frozen; memory is kept. Returns the freezer used ("v1" or "v2"). Throws Unavailable when the cgroup has no freezer.
    /// </summary>
    string Freeze();

    /// <summary>Thaws the cgroup's processes. Idempotent.</summary>
    void Thaw();

    /// <summary>Whether the cgroup is frozen (or freezing).</summary>
    bool IsFrozen { get; }
}
