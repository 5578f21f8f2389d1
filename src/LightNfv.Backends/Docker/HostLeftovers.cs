using System.Globalization;
using LightNfv.Host.Cgroups;
using LightNfv.Host.Namespaces;
using LightNfv.Host.Processes;

namespace LightNfv.Backends.Docker;

/// <summary>
/// Finds and removes what a dockerd leaves on the host when it dies or is stopped: processes that still name its
/// roots, mounts below them, directories it made under /run. Acts only on things below paths LightNFV chose.
/// </summary>
internal static class HostLeftovers
{
    /// <summary>True when <paramref name="path"/> is <paramref name="root"/> or below it.</summary>
    public static bool IsUnder(string path, string root) =>
        path == root || path.StartsWith(root.EndsWith('/') ? root : root + "/", StringComparison.Ordinal);

    /// <summary>Live processes (not this one) with an argv word that is, or lies below, one of <paramref name="roots"/>.</summary>
    public static IReadOnlyList<(ProcessIdentity Process, string Command)> ProcessesUsing(IReadOnlyList<string> roots)
    {
        var found = new List<(ProcessIdentity, string)>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || pid == Environment.ProcessId)
            {
                continue;
            }
            string[] argv;
            try
            {
                argv = File.ReadAllText(Path.Combine(dir, "cmdline")).Split('\0', StringSplitOptions.RemoveEmptyEntries);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                continue; // gone meanwhile
            }
            // "unix:///x/docker.sock" and "--flag=/x/..." name a root too.
            if (argv.Length > 0 && argv.Any(a => roots.Any(r => IsUnder(Strip(a), r))) && ProcessIdentity.Of(pid) is { } id)
            {
                found.Add((id, string.Join(' ', argv)));
            }
        }
        return found;

        static string Strip(string arg)
        {
            var a = arg.StartsWith("unix://", StringComparison.Ordinal) ? arg["unix://".Length..] : arg;
            var eq = a.IndexOf('=');
            return a.StartsWith('-') && eq > 0 ? a[(eq + 1)..] : a;
        }
    }

    /// <summary>SIGKILLs the processes and waits for them; reaps those that are our children (we started dockerd, or adopted them as subreaper).</summary>
    public static void Kill(IEnumerable<ProcessIdentity> processes)
    {
        var list = processes.ToList();
        foreach (var p in list)
        {
            ProcessSignals.Send(p, 9);
        }
        foreach (var p in list)
        {
            ProcessSignals.WaitForExit(p, TimeSpan.FromSeconds(5));
            ChildReaper.Reap(p, TimeSpan.FromMilliseconds(100));
        }
    }

    /// <summary>Mount points at or below any of <paramref name="roots"/>, deepest first.</summary>
    public static IReadOnlyList<string> MountsUnder(IReadOnlyList<string> roots) =>
        MountInfo.Read()
            .Select(m => m.MountPoint)
            .Where(m => roots.Any(r => IsUnder(m, r)))
            .Distinct()
            .OrderByDescending(m => m.Count(c => c == '/'))
            .ThenByDescending(m => m.Length)
            .ToList();

    /// <summary>Detaches every mount below the roots (overlay layers, the data root's own bind mount, pinned namespaces); returns how many.</summary>
    public static int Unmount(IReadOnlyList<string> roots)
    {
        var n = 0;
        // A mount stacked on another needs a second pass.
        for (var pass = 0; pass < 3; pass++)
        {
            var mounts = MountsUnder(roots);
            if (mounts.Count == 0)
            {
                break;
            }
            foreach (var m in mounts)
            {
                if (Mounts.Detach(m))
                {
                    n++;
                }
            }
        }
        return n;
    }

    /// <summary>Removes a directory tree that holds only empty directories (no file, socket or mount); false if anything is in it.</summary>
    public static bool RemoveIfEmptyTree(string directory)
    {
        if (!Directory.Exists(directory))
        {
            return false;
        }
        if (Directory.EnumerateFileSystemEntries(directory, "*", SearchOption.AllDirectories).Any(e => !Directory.Exists(e)))
        {
            return false;
        }
        try
        {
            Directory.Delete(directory, recursive: true);
            return true;
        }
        catch (IOException)
        {
            return false; // filled meanwhile: in use
        }
    }

    /// <summary>The parent pid of a process (field 4 of /proc/PID/stat), or 0.</summary>
    public static int ParentOf(int pid)
    {
        try
        {
            var text = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
            var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
            return int.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out var ppid) ? ppid : 0;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or IndexOutOfRangeException or ArgumentOutOfRangeException)
        {
            return 0;
        }
    }

    /// <summary>
    /// The cgroup a process is in, relative to the hierarchy roots: the memory hierarchy's on cgroup v1, the unified one on v2.
    /// </summary>
    public static string? CgroupOf(int pid, bool v1)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/cgroup"))
            {
                var parts = line.Split(':', 3);
                if (parts.Length == 3 && (v1 ? parts[1].Split(',').Contains("memory") : parts[0] == "0"))
                {
                    return parts[2].Trim('/');
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
        return null;
    }
}
