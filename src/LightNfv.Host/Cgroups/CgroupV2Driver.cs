using LightNfv.Core.Errors;

namespace LightNfv.Host.Cgroups;

/// <summary>
/// cgroup v2: one unified hierarchy. Controllers must be enabled in cgroup.subtree_control of every ancestor
/// before a cgroup gets their interface files, so Create walks down from the root enabling them.
/// </summary>
public sealed class CgroupV2Driver : ICgroupDriver
{
    /// <summary>The controllers LightNFV enables, in the order written to cgroup.subtree_control.</summary>
    public static readonly IReadOnlyList<string> UsedControllers = ["memory", "cpu", "pids"];

    private readonly string _root;

    /// <summary>Explicit root: the absolute directory of the unified hierarchy. Tests point it at a fake tree.</summary>
    public CgroupV2Driver(string root)
    {
        if (!Path.IsPathFullyQualified(root))
        {
            throw new LightNfvException(ErrorKind.Invalid, $"cgroup v2 root '{root}': must be an absolute path");
        }
        _root = Path.TrimEndingDirectorySeparator(root);
    }

    /// <summary>The usable cgroup2 mount from a parsed mount table; throws Unavailable if there is none.</summary>
    public CgroupV2Driver(IEnumerable<MountInfoEntry> mounts)
        : this(FindUsableRoot(mounts) ?? throw new LightNfvException(ErrorKind.Unavailable,
            "no usable cgroup v2 hierarchy: no cgroup2 mount offers the memory controller (on a hybrid host the controllers sit in v1 hierarchies)"))
    {
    }

    public string Version => "v2";

    public string Root => _root;

    /// <summary>
    /// The first cgroup2 mount whose cgroup.controllers lists memory. A hybrid host's /sys/fs/cgroup/unified
    /// (controllers all bound to v1, or only hugetlb) is skipped: it exists but cannot limit anything.
    /// </summary>
    public static string? FindUsableRoot(IEnumerable<MountInfoEntry> mounts)
    {
        foreach (var m in mounts)
        {
            if (m.FsType == "cgroup2" && ReadControllers(Path.Combine(m.MountPoint, "cgroup.controllers")) is { } ctl && ctl.Contains("memory"))
            {
                return m.MountPoint;
            }
        }
        return null;
    }

    public static CgroupV2Driver? FromMountInfo(string mountinfoPath = MountInfo.SelfPath) =>
        FindUsableRoot(MountInfo.Read(mountinfoPath)) is { } root ? new CgroupV2Driver(root) : null;

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> _weighed = new(StringComparer.Ordinal);

    public ICgroup Create(string relativePath, CgroupLimits limits)
    {
        var rel = CgroupFs.NormalizeRelative(relativePath, allowEmpty: false);
        CgroupFs.ValidateLimits(limits);

        var rootControllers = ReadControllers(Path.Combine(_root, "cgroup.controllers")) ?? [];
        Require(rootControllers, "memory", limits.MemoryBytes is not null);
        Require(rootControllers, "cpu", limits.Cpus is not null);
        Require(rootControllers, "pids", limits.Pids is not null);
        Require(rootControllers, "cpuset", limits.CpuSet is not null);
        if (limits.CpuSet is { } pin)
        {
            CgroupV1Driver.CheckOnHost(pin, CgroupFs.TryRead(Path.Combine(_root, "cpuset.cpus.effective")));
        }
        // cpuset is enabled only on the paths of cgroups that pin (as v1 makes its directory only for them).
        string[] wanted = limits.CpuSet is null ? [.. UsedControllers] : [.. UsedControllers, "cpuset"];

        // Walk root -> parent enabling controllers for the level below, creating each level as we go.
        var segments = rel.Split('/');
        var level = _root;
        var created = false;
        HashSet<string>? parentEnabled = null;
        foreach (var seg in segments)
        {
            parentEnabled = EnableControllers(level, parentEnabled, wanted);
            level = Path.Combine(level, seg);
            created = CgroupFs.MakeDir(level);
        }
        var existed = !created;
        var dir = level;
        // Once per parent and process: its weight (CgroupFs.GroupWeight); the file exists where cpu is enabled for it.
        if (CgroupFs.ParentOf(rel) is { } parent && _weighed.TryAdd(parent, true))
        {
            WriteIfPresent(Path.Combine(_root, parent, "cpu.weight"), CgroupFs.Invariant(CgroupFs.GroupWeight(Environment.ProcessorCount).V2Weight));
        }
        var cgroup = new V2Cgroup(rel, dir);
        try
        {
            // parentEnabled is what the leaf's cgroup.controllers now shows.
            var has = parentEnabled ?? [];
            if (has.Contains("memory"))
            {
                if (limits.MemoryBytes is { } mem)
                {
                    CgroupFs.Write(Path.Combine(dir, "memory.max"), CgroupFs.Invariant(mem));
                    // Otherwise the instance can push anonymous memory to swap and exceed its limit.
                    WriteIfPresent(Path.Combine(dir, "memory.swap.max"), "0");
                }
                else if (existed)
                {
                    CgroupFs.Write(Path.Combine(dir, "memory.max"), "max");
                    WriteIfPresent(Path.Combine(dir, "memory.swap.max"), "max");
                }
                // An OOM kills the whole instance rather than leaving it half-alive.
                WriteIfPresent(Path.Combine(dir, "memory.oom.group"), "1");
            }
            if (has.Contains("cpu") && (limits.Cpus is not null || existed))
            {
                var quota = limits.Cpus is { } c ? CgroupFs.Invariant(CgroupFs.CpuQuotaUs(c)) : "max";
                CgroupFs.Write(Path.Combine(dir, "cpu.max"), $"{quota} {CgroupFs.Invariant(CgroupFs.CpuPeriodUs)}");
            }
            if (has.Contains("pids") && (limits.Pids is not null || existed))
            {
                CgroupFs.Write(Path.Combine(dir, "pids.max"), limits.Pids is { } p ? CgroupFs.Invariant(p) : "max");
            }
            if (limits.CpuSet is { } cpus)
            {
                CgroupFs.Write(Path.Combine(dir, "cpuset.cpus"), cpus);
            }
            else if (existed && File.Exists(Path.Combine(dir, "cpuset.cpus")))
            {
                // Empty: every CPU of the parent again (unpinned).
                CgroupFs.Write(Path.Combine(dir, "cpuset.cpus"), "");
            }
        }
        catch
        {
            if (created)
            {
                cgroup.Remove();
            }
            throw;
        }
        return cgroup;
    }

    /// <summary>
    /// Enables the used controllers in <paramref name="dir"/>'s cgroup.subtree_control: only those it offers
    /// (its cgroup.controllers) and not already enabled. Returns what is enabled afterwards, which is what its
    /// children offer. <paramref name="offeredByParent"/> stands in for cgroup.controllers where that file is
    /// absent (a fake tree; the kernel derives it from the parent's subtree_control the same way).
    /// </summary>
    private static HashSet<string> EnableControllers(string dir, HashSet<string>? offeredByParent, IReadOnlyList<string> wanted)
    {
        var offered = ReadControllers(Path.Combine(dir, "cgroup.controllers")) ?? offeredByParent ?? [];
        var subtree = Path.Combine(dir, "cgroup.subtree_control");
        var enabled = ReadControllers(subtree) ?? [];
        var missing = wanted.Where(c => offered.Contains(c) && !enabled.Contains(c)).ToList();
        if (missing.Count > 0)
        {
            CgroupFs.Write(subtree, string.Join(' ', missing.Select(c => "+" + c)));
            enabled.UnionWith(missing);
        }
        return enabled;
    }

    private static HashSet<string>? ReadControllers(string file) =>
        CgroupFs.TryRead(file) is { } text ? new HashSet<string>(text.Split(' ', '\n', StringSplitOptions.RemoveEmptyEntries), StringComparer.Ordinal) : null;

    private static void WriteIfPresent(string file, string value)
    {
        if (File.Exists(file))
        {
            CgroupFs.Write(file, value);
        }
    }

    private void Require(HashSet<string> rootControllers, string controller, bool needed)
    {
        if (needed && !rootControllers.Contains(controller))
        {
            throw new LightNfvException(ErrorKind.Unavailable,
                $"a {controller} limit was requested but the cgroup v2 root {_root} does not offer the {controller} controller (cgroup.controllers): it is bound to a v1 hierarchy or disabled on the kernel command line");
        }
    }

    public ICgroup? Open(string relativePath)
    {
        var rel = CgroupFs.NormalizeRelative(relativePath, allowEmpty: false);
        var dir = Path.Combine(_root, rel);
        return Directory.Exists(dir) ? new V2Cgroup(rel, dir) : null;
    }

    public IReadOnlyList<string> ListChildren(string relativePath)
    {
        var rel = CgroupFs.NormalizeRelative(relativePath, allowEmpty: true);
        return CgroupFs.ChildNames(CgroupFs.Combine(_root, rel)).Order(StringComparer.Ordinal).ToList();
    }

    private sealed class V2Cgroup(string rel, string dir) : CgroupDirs(rel, [dir])
    {
        private string F(string name) => Path.Combine(Dirs[0], name);

        public override CgroupStats ReadStats()
        {
            if (!Directory.Exists(Dirs[0]))
            {
                throw Gone();
            }
            // memory.stat's "file" counts tmpfs and shared memory too (private to the cgroup): only the rest is file cache.
            var current = CgroupFs.ReadNumber(F("memory.current")) ?? 0;
            var file = CgroupFs.ReadKeyed(F("memory.stat"), "file") ?? 0;
            var fileCache = Math.Min(current, file - Math.Min(file, CgroupFs.ReadKeyed(F("memory.stat"), "shmem") ?? 0));
            return new CgroupStats(
                CpuNanoseconds: (CgroupFs.ReadKeyed(F("cpu.stat"), "usage_usec") ?? 0) * 1000,
                MemoryBytes: current - fileCache,
                MemoryLimitBytes: CgroupFs.ReadLimit(F("memory.max")),
                PidsCurrent: CgroupFs.ReadNumber(F("pids.current")) ?? 0,
                PidsLimit: CgroupFs.ReadLimit(F("pids.max")),
                OomKills: CgroupFs.ReadKeyed(F("memory.events"), "oom_kill") ?? 0)
            { FileCacheBytes = fileCache };
        }

        /// <summary>cgroup.kill (Linux 5.14+) kills atomically, including processes forked mid-kill; older kernels get a SIGKILL loop.</summary>
        public override bool KillAll(TimeSpan timeout)
        {
            var killFile = F("cgroup.kill");
            var pids = Pids();
            if (pids.Count == 0)
            {
                return true;
            }
            // cgroup.kill would take this process too if it had been put in by mistake; the loop skips it.
            if (File.Exists(killFile) && !pids.Contains(Environment.ProcessId))
            {
                CgroupFs.Write(killFile, "1");
                return CgroupFs.KillLoop(Pids, timeout, signal: false);
            }
            return CgroupFs.KillLoop(Pids, timeout, signal: true);
        }
    }
}
