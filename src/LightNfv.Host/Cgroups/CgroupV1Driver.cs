using LightNfv.Core.Errors;

namespace LightNfv.Host.Cgroups;

/// <summary>
/// cgroup v1: one hierarchy per controller (this machine kind's hybrid layout). A cgroup is one directory per
/// used hierarchy; cpu and cpuacct may share one mount, in which case they share the directory.
/// </summary>
public sealed partial class CgroupV1Driver : ICgroupDriver
{
    /// <summary>
    /// The controllers LightNFV uses, in the order their directories are created and joined. The freezer sets no limit:
    /// an instance joins it at start so a quarantine can freeze it whole (v2 has cgroup.freeze in every cgroup).
    /// </summary>
    public static readonly IReadOnlyList<string> UsedControllers = ["memory", "cpu", "cpuacct", "pids", "freezer"];

    private readonly Dictionary<string, string> _roots;
    private readonly string[] _hierarchies;

    /// <summary>Discovers the hierarchies from a mountinfo file.</summary>
    public CgroupV1Driver(string mountinfoPath = MountInfo.SelfPath) : this(MountInfo.Read(mountinfoPath))
    {
    }

    /// <summary>Discovers the hierarchies from a parsed mount table.</summary>
    public CgroupV1Driver(IEnumerable<MountInfoEntry> mounts) : this(DiscoverRoots(mounts))
    {
    }

    /// <summary>Explicit roots: controller ("memory", "cpu", "cpuacct", "pids") to the absolute hierarchy directory. Tests point these at a fake tree.</summary>
    public CgroupV1Driver(IReadOnlyDictionary<string, string> controllerRoots)
    {
        _roots = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (controller, root) in controllerRoots)
        {
            if (!UsedControllers.Contains(controller) && controller != CpusetController)
            {
                throw new LightNfvException(ErrorKind.Invalid, $"cgroup v1 controller '{controller}': expected one of {string.Join(", ", UsedControllers)}, {CpusetController}");
            }
            if (!Path.IsPathFullyQualified(root))
            {
                throw new LightNfvException(ErrorKind.Invalid, $"cgroup v1 {controller} root '{root}': must be an absolute path");
            }
            _roots[controller] = Path.TrimEndingDirectorySeparator(root);
        }
        if (_roots.Count == 0)
        {
            throw new LightNfvException(ErrorKind.Unavailable,
                "no cgroup v1 hierarchy for memory, cpu, cpuacct or pids is mounted: mount them (e.g. mount -t cgroup -o memory cgroup /sys/fs/cgroup/memory)");
        }
        _hierarchies = UsedControllers.Where(_roots.ContainsKey).Select(c => _roots[c]).Distinct(StringComparer.Ordinal).ToArray();
        _swapAccounting = new(() => _roots.TryGetValue("memory", out var m) && File.Exists(Path.Combine(m, "memory.memsw.limit_in_bytes")));
    }

    public string Version => "v1";

    // Swap accounting is the kernel's (swapaccount=1) and the same for every memory cgroup: its root has the file or not.
    private readonly Lazy<bool> _swapAccounting;

    /// <summary>Controller to hierarchy root, for the controllers found.</summary>
    public IReadOnlyDictionary<string, string> Roots => _roots;

    /// <summary>
    /// Controller to mount point for the used controllers, from "cgroup" mounts whose super options name them
    /// ("rw,memory", or "rw,cpu,cpuacct" for a combined mount). Named hierarchies (name=systemd) never match.
    /// Where a hierarchy is mounted more than once, a mount of its root ("/") wins over a bind mount of a subtree.
    /// </summary>
    public static IReadOnlyDictionary<string, string> DiscoverRoots(IEnumerable<MountInfoEntry> mounts)
    {
        var roots = new Dictionary<string, string>(StringComparer.Ordinal);
        var rootIsSlash = new Dictionary<string, bool>(StringComparer.Ordinal);
        foreach (var m in mounts)
        {
            if (m.FsType != "cgroup")
            {
                continue;
            }
            foreach (var opt in m.SuperOptionList)
            {
                if (!UsedControllers.Contains(opt) && opt != CpusetController)
                {
                    continue;
                }
                var isSlash = m.Root == "/";
                if (!roots.ContainsKey(opt) || (isSlash && !rootIsSlash[opt]))
                {
                    roots[opt] = m.MountPoint;
                    rootIsSlash[opt] = isSlash;
                }
            }
        }
        return roots;
    }

    public ICgroup Create(string relativePath, CgroupLimits limits)
    {
        var rel = CgroupFs.NormalizeRelative(relativePath, allowEmpty: false);
        CgroupFs.ValidateLimits(limits);
        Require("memory", limits.MemoryBytes is not null);
        Require("cpu", limits.Cpus is not null);
        Require("pids", limits.Pids is not null);
        Require(CpusetController, limits.CpuSet is not null);

        var created = new Dictionary<string, bool>(StringComparer.Ordinal);
        foreach (var h in _hierarchies)
        {
            created[h] = CgroupFs.MakeDirs(h, rel);
        }
        WeighParent(rel);
        var cgroup = OpenExisting(rel);
        try
        {
            if (Dir("memory", rel) is { } mem)
            {
                WriteMemory(mem, limits.MemoryBytes, existed: !created[_roots["memory"]], _swapAccounting.Value);
            }
            if (Dir("cpu", rel) is { } cpu && (limits.Cpus is not null || !created[_roots["cpu"]]))
            {
                // A new cgroup has the kernel's default period, which is ours: only a reused one may differ.
                if (!created[_roots["cpu"]])
                {
                    CgroupFs.Write(Path.Combine(cpu, "cpu.cfs_period_us"), CgroupFs.Invariant(CgroupFs.CpuPeriodUs));
                }
                CgroupFs.Write(Path.Combine(cpu, "cpu.cfs_quota_us"), limits.Cpus is { } c ? CgroupFs.Invariant(CgroupFs.CpuQuotaUs(c)) : "-1");
            }
            if (Dir("pids", rel) is { } pids && (limits.Pids is not null || !created[_roots["pids"]]))
            {
                CgroupFs.Write(Path.Combine(pids, "pids.max"), limits.Pids is { } p ? CgroupFs.Invariant(p) : "max");
            }
            WriteCpuSet(rel, limits.CpuSet, cgroup);
        }
        catch
        {
            // Do not leave a half-limited cgroup behind that a later instance could reuse by name.
            if (created.Values.Any(c => c))
            {
                cgroup.Remove();
            }
            throw;
        }
        // Opened again when pinned: its cpuset directory may be new, and joining must include it.
        return limits.CpuSet is null ? cgroup : OpenExisting(rel);
    }

    /// <summary>
    /// memory.limit_in_bytes, and memory.memsw.limit_in_bytes set equal to it where swap accounting exists so swap
    /// cannot dodge the limit. The kernel keeps memsw >= limit at every write, so the order depends on direction:
    /// lowering (including the first set, down from unlimited) writes the limit first, raising writes memsw first.
    /// A null limit on a fresh cgroup keeps the kernel default (unlimited); on a reused one it resets to unlimited.
    /// </summary>
    /// <summary>Once per parent and process: its cpu.shares (<see cref="CgroupFs.GroupWeight"/>).</summary>
    private void WeighParent(string rel)
    {
        if (CgroupFs.ParentOf(rel) is { } parent && Dir("cpu", parent) is { } dir && _weighed.TryAdd(parent, true))
        {
            CgroupFs.Write(Path.Combine(dir, "cpu.shares"), CgroupFs.Invariant(CgroupFs.GroupWeight(Environment.ProcessorCount).V1Shares));
        }
    }

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> _weighed = new(StringComparer.Ordinal);

    private static void WriteMemory(string dir, long? bytes, bool existed, bool swapAccounting)
    {
        if (bytes is null && !existed)
        {
            return;
        }
        var limitFile = Path.Combine(dir, "memory.limit_in_bytes");
        var memswFile = Path.Combine(dir, "memory.memsw.limit_in_bytes");
        var value = bytes is { } b ? CgroupFs.Invariant(b) : "-1";
        if (!swapAccounting)
        {
            CgroupFs.Write(limitFile, value);
            return;
        }
        var target = bytes is { } t ? (ulong)t : ulong.MaxValue;
        // A new cgroup starts unlimited: no need to read it.
        var current = existed ? CgroupFs.ReadNumber(limitFile) ?? ulong.MaxValue : ulong.MaxValue;
        if (target > current)
        {
            CgroupFs.Write(memswFile, value);
            CgroupFs.Write(limitFile, value);
        }
        else
        {
            CgroupFs.Write(limitFile, value);
            CgroupFs.Write(memswFile, value);
        }
    }

    public ICgroup? Open(string relativePath)
    {
        var rel = CgroupFs.NormalizeRelative(relativePath, allowEmpty: false);
        return _hierarchies.Any(h => Directory.Exists(Path.Combine(h, rel))) ? OpenExisting(rel) : null;
    }

    public IReadOnlyList<string> ListChildren(string relativePath)
    {
        var rel = CgroupFs.NormalizeRelative(relativePath, allowEmpty: true);
        return _hierarchies
            .SelectMany(h => CgroupFs.ChildNames(CgroupFs.Combine(h, rel)))
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal)
            .ToList();
    }

    private V1Cgroup OpenExisting(string rel) => new(this, rel, _hierarchies.Select(h => Path.Combine(h, rel)).Concat(CpusetDir(rel)).ToList());

    private string? Dir(string controller, string rel) => _roots.TryGetValue(controller, out var root) ? Path.Combine(root, rel) : null;

    private void Require(string controller, bool needed)
    {
        if (needed && !_roots.ContainsKey(controller))
        {
            throw new LightNfvException(ErrorKind.Unavailable,
                $"a {controller} limit was requested but no cgroup v1 {controller} hierarchy is mounted: mount it (mount -t cgroup -o {controller} cgroup /sys/fs/cgroup/{controller}) or drop the limit");
        }
    }

    private sealed class V1Cgroup(CgroupV1Driver driver, string rel, IReadOnlyList<string> dirs) : CgroupDirs(rel, dirs)
    {
        /// <summary>
        /// Private memory and file cache from memory.stat (memory.usage_in_bytes includes charges cached per CPU, up to
        /// 64 pages each, so an idle 0.6 MB VNF would read 0.75 or 1 MB by chance): anonymous pages (rss) and tmpfs
        /// (shmem, part of cache) plus kernel memory (page tables, slab) from memory.kmem.usage_in_bytes; the rest of
        /// cache is file pages.
        /// </summary>
        private static (ulong Private, ulong FileCache) ExactMemory(string dir)
        {
            var stat = Path.Combine(dir, "memory.stat");
            var rss = CgroupFs.ReadKeyed(stat, "total_rss");
            var cache = CgroupFs.ReadKeyed(stat, "total_cache");
            if (rss is null || cache is null)
            {
                return (CgroupFs.ReadNumber(Path.Combine(dir, "memory.usage_in_bytes")) ?? 0, 0);
            }
            var shmem = Math.Min(CgroupFs.ReadKeyed(stat, "total_shmem") ?? 0, cache.Value);
            return (rss.Value + shmem + (CgroupFs.ReadNumber(Path.Combine(dir, "memory.kmem.usage_in_bytes")) ?? 0), cache.Value - shmem);
        }

        public override CgroupStats ReadStats()
        {
            if (!Dirs.Any(Directory.Exists))
            {
                throw Gone();
            }
            var mem = driver.Dir("memory", RelativePath);
            var cpuacct = driver.Dir("cpuacct", RelativePath);
            var pids = driver.Dir("pids", RelativePath);
            var (memory, fileCache) = mem is null ? (0UL, 0UL) : ExactMemory(mem);
            return new CgroupStats(
                CpuNanoseconds: cpuacct is null ? 0 : CgroupFs.ReadNumber(Path.Combine(cpuacct, "cpuacct.usage")) ?? 0,
                MemoryBytes: memory,
                MemoryLimitBytes: mem is null ? null : CgroupFs.ReadLimit(Path.Combine(mem, "memory.limit_in_bytes")),
                PidsCurrent: pids is null ? 0 : CgroupFs.ReadNumber(Path.Combine(pids, "pids.current")) ?? 0,
                PidsLimit: pids is null ? null : CgroupFs.ReadLimit(Path.Combine(pids, "pids.max")),
                OomKills: mem is null ? 0 : CgroupFs.ReadKeyed(Path.Combine(mem, "memory.oom_control"), "oom_kill") ?? 0)
            { FileCacheBytes = fileCache };
        }
    }
}
