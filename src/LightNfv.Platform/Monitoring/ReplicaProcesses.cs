using LightNfv.Host.Cgroups;
using LightNfv.Host.Processes;

namespace LightNfv.Platform.Monitoring;

/// <summary>A process of a replica that cannot run: stopped by a signal (state T) or by a tracer (state t).</summary>
public sealed record StoppedProcess(int Pid, char State, string Command);

/// <summary>
/// What the host itself says about a replica's processes, with no traffic to the VNF: whether one of them is stopped
/// (SIGSTOP, SIGTSTP, a tracer), and whether its cgroup is frozen. A stopped process still has its TCP handshakes
/// completed by the kernel (the listen backlog), so a network probe alone takes it for alive; /proc/PID/stat does not.
/// </summary>
public static class ReplicaProcesses
{
    /// <summary>
    /// The processes among <paramref name="pids"/> in state T (stopped) or t (tracing stop). Pids that are gone or
    /// unreadable are skipped: an exit is the pidfd watcher's to report.
    /// </summary>
    public static IReadOnlyList<StoppedProcess> Stopped(IEnumerable<int> pids, string procRoot = "/proc")
    {
        var stopped = new List<StoppedProcess>();
        foreach (var pid in pids.Distinct())
        {
            if (ReadStat(pid, procRoot) is { } stat && stat.State is 'T' or 't')
            {
                stopped.Add(new StoppedProcess(pid, stat.State, stat.Command));
            }
        }
        return stopped;
    }

    /// <summary>State letter and command of /proc/PID/stat; null when the process is gone.</summary>
    public static (char State, string Command)? ReadStat(int pid, string procRoot = "/proc") =>
        ProcStat.Read(pid, procRoot) is { } s ? (s.State, s.Command) : null;

    /// <summary>State letter and command of a /proc/PID/stat line (see <see cref="ProcStat.Parse"/>).</summary>
    public static (char State, string Command)? ParseStat(string text) =>
        ProcStat.Parse(text) is { } s ? (s.State, s.Command) : null;

    /// <summary>
    /// Whether the replica's cgroup is frozen or freezing: v2 cgroup.freeze = 1, or v1 freezer.state FROZEN/FREEZING
    /// in any of its hierarchy directories. A frozen replica answers nothing, on purpose: the platform (a quarantine)
    /// or an operator froze it, so it must be neither probed nor healed. LightNFV freezes nothing yet; whatever
    /// freezes a replica later goes through its cgroup, and this is the one check the liveness loop makes.
    /// On v1 the freezer hierarchy is only consulted where the instance has a directory in it.
    /// </summary>
    public static bool IsFrozen(ICgroup cgroup) =>
        cgroup.ProcsFiles.Select(Path.GetDirectoryName).OfType<string>().Any(IsFrozenDirectory);

    /// <summary>The freeze check of one cgroup directory (v1 or v2 files, whichever it has).</summary>
    public static bool IsFrozenDirectory(string directory)
    {
        var v2 = ReadTrimmed(Path.Combine(directory, "cgroup.freeze"));
        if (v2 == "1")
        {
            return true;
        }
        var v1 = ReadTrimmed(Path.Combine(directory, "freezer.state"));
        return v1 is "FROZEN" or "FREEZING";
    }

    /// <summary>
    /// The v1 freezer directory of a cgroup (the freezer is a hierarchy of its own there, which LightNFV does not use
    /// today): found from the mount table, null when the freezer is not mounted or the cgroup has no directory in it.
    /// </summary>
    public static string? V1FreezerDirectory(string relativePath, IEnumerable<MountInfoEntry> mounts)
    {
        var root = mounts.FirstOrDefault(m => m.FsType == "cgroup" && m.Root == "/" && m.SuperOptionList.Contains("freezer"))?.MountPoint;
        if (root is null)
        {
            return null;
        }
        var dir = Path.Combine(root, relativePath.TrimStart('/'));
        return Directory.Exists(dir) ? dir : null;
    }

    private static string? ReadTrimmed(string path)
    {
        try
        {
            return File.Exists(path) ? File.ReadAllText(path).Trim() : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
