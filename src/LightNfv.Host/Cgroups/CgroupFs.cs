using System.Diagnostics;
using System.Globalization;
using System.Text;
using LightNfv.Core.Errors;
using LightNfv.Host.Native;

namespace LightNfv.Host.Cgroups;

/// <summary>
/// File operations shared by the v1 and v2 drivers. Everything is a plain open/write/read, so the same code
/// runs against real cgroupfs and against a fake tree of regular files in tests.
/// </summary>
internal static class CgroupFs
{
    public const long CpuPeriodUs = 100_000;

    /// <summary>
    /// The CPU weight of the group that holds the instances (the platform's cgroup parent): one default task's weight
    /// per CPU, as Kubernetes gives kubepods. The kernel splits a group's weight over the CPUs by where its load is, so
    /// at the default weight an instance busy on one CPU halved the group's weight on another, and a tenant's VNF there
    /// lost CPU to the host's tasks (its load generator, in the noisy-neighbour bench: 11 % of its throughput).
    /// </summary>
    public static (long V1Shares, long V2Weight) GroupWeight(int cpus) => (1024L * Math.Max(1, cpus), Math.Min(10_000L, 100L * Math.Max(1, cpus)));

    /// <summary>The parent of a relative cgroup path, or null for a top-level one.</summary>
    public static string? ParentOf(string relative) => relative.LastIndexOf('/') is > 0 and var i ? relative[..i] : null;
    public const long MinCpuQuotaUs = 1_000;

    /// <summary>v1 reports "no limit" as a huge page-rounded number (9223372036854771712), never -1.</summary>
    public const ulong NoLimitThreshold = 1UL << 62;

    /// <summary>Writes a value with O_WRONLY|O_CREAT|O_TRUNC: cgroupfs ignores O_CREAT/O_TRUNC on its existing files, a fake tree gets a file.</summary>
    public static unsafe void Write(string file, string value)
    {
        var raw = Libc.open(file, Libc.O_WRONLY | Libc.O_CREAT | Libc.O_TRUNC | Libc.O_CLOEXEC, 0x1A4 /* 0644 */);
        if (raw < 0)
        {
            throw Error(file, value, Errno.Last);
        }
        using var fd = new FileDescriptor(raw);
        var bytes = Encoding.ASCII.GetBytes(value);
        var done = 0;
        fixed (byte* p = bytes)
        {
            // cgroupfs takes the value in one write; loop only for short writes on a plain file.
            while (done < bytes.Length)
            {
                var n = Libc.write(fd.Value, p + done, (nuint)(bytes.Length - done));
                if (n < 0)
                {
                    var errno = Errno.Last;
                    if (errno == Libc.EINTR)
                    {
                        continue;
                    }
                    throw Error(file, value, errno);
                }
                done += (int)n;
            }
        }
    }

    public static LightNfvException Error(string file, string value, int errno) =>
        new(ErrorKind.Host, $"cgroup {file}: {Errno.Describe(errno)}; {Hint(file, value, errno)}");

    private static string Hint(string file, string value, int errno)
    {
        var name = Path.GetFileName(file);
        return errno switch
        {
            Libc.EACCES or Libc.EPERM or Libc.EROFS =>
                "cgroupfs is writable only by root (or a delegated user): run lightnfv as root",
            Libc.EBUSY when name == "cgroup.subtree_control" =>
                "the cgroup holds processes of its own and cgroup v2 lets only leaf cgroups hold processes: move them into a child cgroup",
            Libc.EBUSY when name.StartsWith("memory.", StringComparison.Ordinal) =>
                $"current usage is above {value} bytes and could not be reclaimed: raise the memory limit",
            Libc.EINVAL when name.Contains("memsw", StringComparison.Ordinal) || name == "memory.limit_in_bytes" =>
                $"the kernel rejected '{value}' (it requires memory.memsw.limit_in_bytes >= memory.limit_in_bytes)",
            Libc.EINVAL when name.StartsWith("cpu.", StringComparison.Ordinal) =>
                $"the kernel rejected '{value}' (a child's CPU quota may not exceed its parent's)",
            Libc.EINVAL => $"the kernel rejected '{value}'",
            Libc.ENOENT when name == "cgroup.subtree_control" =>
                $"'{value}' names a controller the parent does not offer (see its cgroup.controllers)",
            Libc.ENOENT => "the cgroup or this controller file does not exist (controller not mounted or not enabled?)",
            Libc.ESRCH => "the process has already exited",
            Libc.ENOSPC => "cgroup.max.descendants or cgroup.max.depth reached, or the cpuset has no cpus/mems",
            Libc.EOPNOTSUPP => "this cgroup type does not support the operation (threaded or domain-invalid cgroup?)",
            _ => $"writing '{value}' failed",
        };
    }

    /// <summary>The trimmed file content, or null if the file (or its cgroup) does not exist.</summary>
    public static string? TryRead(string file)
    {
        try
        {
            return File.ReadAllText(file).Trim();
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new LightNfvException(ErrorKind.Host, $"cgroup {file}: {e.Message}", e);
        }
    }

    /// <summary>A single-number file; "max" and unparsable content read as null.</summary>
    public static ulong? ReadNumber(string file) => ParseNumber(TryRead(file));

    public static ulong? ParseNumber(string? text) =>
        ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : null;

    /// <summary>A limit file: "max" (v2) or a value at or above 2^62 (v1's "unlimited") reads as null.</summary>
    public static ulong? ReadLimit(string file)
    {
        var v = ReadNumber(file);
        return v is >= NoLimitThreshold ? null : v;
    }

    /// <summary>A "key value" line from a flat-keyed file such as cpu.stat, memory.events or memory.oom_control.</summary>
    public static ulong? ReadKeyed(string file, string key)
    {
        var text = TryRead(file);
        if (text is null)
        {
            return null;
        }
        foreach (var line in text.Split('\n'))
        {
            var sp = line.IndexOf(' ');
            if (sp > 0 && line.AsSpan(0, sp).SequenceEqual(key))
            {
                return ParseNumber(line[(sp + 1)..].Trim());
            }
        }
        return null;
    }

    public static IEnumerable<int> ReadPids(string procsFile)
    {
        var text = TryRead(procsFile);
        if (string.IsNullOrEmpty(text))
        {
            yield break;
        }
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (int.TryParse(line, NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                yield return pid;
            }
        }
    }

    /// <summary>"a/b/c" with slashes trimmed; rejects "..", "." and empty segments so a path cannot leave the hierarchy.</summary>
    public static string NormalizeRelative(string relativePath, bool allowEmpty)
    {
        ArgumentNullException.ThrowIfNull(relativePath);
        var trimmed = relativePath.Trim('/');
        if (trimmed.Length == 0)
        {
            if (allowEmpty)
            {
                return "";
            }
            throw new LightNfvException(ErrorKind.Invalid, "cgroup path is empty: name a cgroup below the hierarchy root, e.g. lightnfv/<id>");
        }
        foreach (var seg in trimmed.Split('/'))
        {
            if (seg.Length == 0 || seg == "." || seg == ".." || seg.Contains('\0'))
            {
                throw new LightNfvException(ErrorKind.Invalid, $"cgroup path '{relativePath}': segments must be plain names (no '..', '.' or '//')");
            }
        }
        return trimmed;
    }

    public static string Combine(string root, string relative) => relative.Length == 0 ? root : Path.Combine(root, relative);

    /// <summary>mkdir -p of <paramref name="relative"/> under <paramref name="root"/>. Returns true if the leaf was created now.</summary>
    public static bool MakeDirs(string root, string relative)
    {
        var dir = root;
        var created = false;
        foreach (var seg in relative.Split('/'))
        {
            dir = Path.Combine(dir, seg);
            created = MakeDir(dir);
        }
        return created;
    }

    /// <summary>mkdir of one level; false if it already existed.</summary>
    public static bool MakeDir(string dir)
    {
        if (Libc.mkdir(dir, 0x1ED /* 0755 */) == 0)
        {
            return true;
        }
        var errno = Errno.Last;
        if (errno == Libc.EEXIST)
        {
            return false;
        }
        throw new LightNfvException(ErrorKind.Host,
            $"cgroup mkdir {dir}: {Errno.Describe(errno)}; {MkdirHint(errno)}");
    }

    private static string MkdirHint(int errno) => errno switch
    {
        Libc.EACCES or Libc.EPERM or Libc.EROFS => "creating cgroups needs root (or a delegated subtree): run lightnfv as root",
        Libc.ENOENT => "the hierarchy root is gone: is the cgroup filesystem still mounted?",
        Libc.ENOSPC or Libc.EAGAIN => "cgroup.max.descendants or cgroup.max.depth reached",
        _ => "check that the cgroup hierarchy is mounted read-write",
    };

    /// <summary>
    /// rmdir that tolerates a cgroup that is still draining: a just-killed process can keep it busy for a few
    /// milliseconds. True if the directory is gone (or never existed).
    /// </summary>
    public static bool RemoveDir(string dir)
    {
        int[] delaysMs = [0, 5, 10, 20, 40, 60, 80];
        foreach (var delay in delaysMs)
        {
            if (delay > 0)
            {
                Thread.Sleep(delay);
            }
            if (Libc.rmdir(dir) == 0)
            {
                return true;
            }
            var errno = Errno.Last;
            switch (errno)
            {
                case Libc.ENOENT:
                    return true;
                case Libc.EBUSY:
                    continue;
                case Libc.ENOTEMPTY when ClearPlainFiles(dir):
                    continue;
                case Libc.ENOTEMPTY:
                    return false;
                default:
                    throw new LightNfvException(ErrorKind.Host,
                        $"cgroup rmdir {dir}: {Errno.Describe(errno)}; remove it by hand once its processes have exited");
            }
        }
        return false;
    }

    /// <summary>
    /// cgroupfs answers a populated rmdir with EBUSY, never ENOTEMPTY, so ENOTEMPTY means a plain directory tree
    /// (a test fixture) whose interface files are ordinary files: unlink those and retry. Child directories are
    /// left alone, so a cgroup with children still fails to go.
    /// </summary>
    private static bool ClearPlainFiles(string dir)
    {
        try
        {
            if (Directory.EnumerateDirectories(dir).Any())
            {
                return false;
            }
            foreach (var f in Directory.EnumerateFiles(dir))
            {
                Libc.unlink(f);
            }
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>Names of the subdirectories of <paramref name="dir"/>; empty if it does not exist.</summary>
    public static IEnumerable<string> ChildNames(string dir)
    {
        try
        {
            return Directory.EnumerateDirectories(dir).Select(Path.GetFileName).OfType<string>().ToList();
        }
        catch (Exception e) when (e is DirectoryNotFoundException or FileNotFoundException)
        {
            return [];
        }
    }

    public static void ValidateLimits(CgroupLimits limits)
    {
        if (limits.MemoryBytes is <= 0)
        {
            throw new LightNfvException(ErrorKind.Invalid, $"memory limit {limits.MemoryBytes} bytes: must be positive (or unset for no limit)");
        }
        if (limits.Cpus is { } c && (!double.IsFinite(c) || c <= 0))
        {
            throw new LightNfvException(ErrorKind.Invalid, $"cpu limit {c}: must be a positive number of CPUs (or unset for no limit)");
        }
        if (limits.Pids is <= 0)
        {
            throw new LightNfvException(ErrorKind.Invalid, $"pids limit {limits.Pids}: must be at least 1 (or unset for no limit)");
        }
    }

    /// <summary>CFS quota for <paramref name="cpus"/> CPUs over a 100 ms period; the kernel refuses quotas under 1 ms.</summary>
    public static long CpuQuotaUs(double cpus) => Math.Max(MinCpuQuotaUs, (long)Math.Round(cpus * CpuPeriodUs, MidpointRounding.AwayFromZero));

    public static string Invariant(long value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// SIGKILLs whatever <paramref name="pids"/> reports until it reports nothing or the timeout passes.
    /// Re-killing each round catches children forked between the read and the signal. Never signals this process.
    /// </summary>
    public static bool KillLoop(Func<IReadOnlyList<int>> pids, TimeSpan timeout, bool signal)
    {
        var self = Environment.ProcessId;
        var sw = Stopwatch.StartNew();
        var delay = TimeSpan.FromMilliseconds(1);
        while (true)
        {
            var current = pids();
            if (current.Count == 0 || current.All(p => p == self))
            {
                return current.Count == 0;
            }
            if (signal)
            {
                foreach (var pid in current)
                {
                    if (pid > 0 && pid != self)
                    {
                        // ESRCH just means it already died.
                        Libc.kill(pid, Libc.SIGKILL);
                    }
                }
            }
            var left = timeout - sw.Elapsed;
            if (left <= TimeSpan.Zero)
            {
                return pids().Count == 0;
            }
            Thread.Sleep(delay < left ? delay : left);
            delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 20));
        }
    }
}

/// <summary>What both drivers' cgroups share: one directory per hierarchy, joined via cgroup.procs.</summary>
internal abstract class CgroupDirs(string relativePath, IReadOnlyList<string> dirs) : ICgroup
{
    public string RelativePath { get; } = relativePath;

    /// <summary>The cgroup's directory in each hierarchy (one for v2).</summary>
    public IReadOnlyList<string> Dirs { get; } = dirs;

    public IReadOnlyList<string> ProcsFiles => Dirs.Select(d => Path.Combine(d, "cgroup.procs")).ToList();

    public IReadOnlyList<int> Pids()
    {
        var set = new SortedSet<int>();
        foreach (var f in ProcsFiles)
        {
            set.UnionWith(CgroupFs.ReadPids(f));
        }
        return set.ToList();
    }

    public abstract CgroupStats ReadStats();

    /// <summary>
    /// A v1 frozen task takes no signal until thawed: a frozen cgroup is sent SIGKILL first and thawed then, so its
    /// tasks die without running a single instruction of their own.
    /// </summary>
    public virtual bool KillAll(TimeSpan timeout)
    {
        if (IsFrozen)
        {
            CgroupFs.KillLoop(Pids, TimeSpan.Zero, signal: true);
            Thaw();
        }
        return CgroupFs.KillLoop(Pids, timeout, signal: true);
    }

    public string Freeze() => CgroupFreezer.Freeze(RelativePath, Dirs);

    public void Thaw() => CgroupFreezer.Thaw(Dirs.Where(Directory.Exists).ToList());

    public bool IsFrozen => CgroupFreezer.IsFrozen(Dirs);

    public bool Remove()
    {
        var ok = true;
        foreach (var d in Dirs)
        {
            ok &= CgroupFs.RemoveDir(d);
        }
        return ok;
    }

    protected LightNfvException Gone() =>
        new(ErrorKind.NotFound, $"cgroup {RelativePath}: it no longer exists in any hierarchy (removed, or the instance was cleaned up)");

    public override string ToString() => RelativePath;
}
