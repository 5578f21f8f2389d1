using System.Diagnostics;
using System.Globalization;
using System.Text;
using LightNfv.Host.Processes;

namespace LightNfv.IntegrationTests.Infrastructure;

/// <summary>One line of /proc/PID/stat, the fields the tests look at.</summary>
public sealed record ProcStat(int Pid, string Comm, char State, int ParentPid, ulong StartTicks);

/// <summary>Reads the host's kernel objects directly (procfs, cgroupfs, iproute2), independently of the product's code.</summary>
public static class HostState
{
    public const string CgroupRoot = "/sys/fs/cgroup";

    public static bool IsRoot => LightNfv.Host.Processes.Privileges.IsRoot;

    // ---- processes ----

    public static ProcStat? Stat(int pid)
    {
        string text;
        try
        {
            text = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        var open = text.IndexOf('(');
        var close = text.LastIndexOf(')');
        if (open < 0 || close < 0)
        {
            return null;
        }
        var f = text[(close + 2)..].Split(' ');
        return new ProcStat(pid, text[(open + 1)..close], f[0][0],
            int.Parse(f[1], CultureInfo.InvariantCulture), ulong.Parse(f[19], CultureInfo.InvariantCulture));
    }

    /// <summary>True when the process named by <paramref name="id"/> no longer exists at all: not running, not a zombie, pid not reused by it.</summary>
    public static bool IsGone(ProcessIdentity id) => Stat(id.Pid) is not { } s || (id.StartTicks != 0 && s.StartTicks != id.StartTicks);

    public static bool IsGone(int pid) => Stat(pid) is null;

    public static IEnumerable<int> AllPids() =>
        Directory.EnumerateDirectories("/proc")
            .Select(Path.GetFileName)
            .Where(n => n is not null && n.All(char.IsAsciiDigit))
            .Select(n => int.Parse(n!, CultureInfo.InvariantCulture));

    public static string? Cmdline(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/cmdline").Replace('\0', ' ').Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Live processes (other than this one) whose command line contains <paramref name="needle"/>.</summary>
    public static IReadOnlyList<(int Pid, string Cmdline)> ProcessesMentioning(string needle) =>
        AllPids()
            .Where(p => p != Environment.ProcessId)
            .Select(p => (Pid: p, Cmdline: Cmdline(p)))
            .Where(x => x.Cmdline is not null && x.Cmdline.Contains(needle, StringComparison.Ordinal))
            .Select(x => (x.Pid, x.Cmdline!))
            .ToList();

    /// <summary>Zombie children of this test process with the given command name.</summary>
    public static IReadOnlyList<ProcStat> ZombieChildren(string comm) =>
        AllPids()
            .Select(Stat)
            .Where(s => s is not null && s.ParentPid == Environment.ProcessId && s.State == 'Z' && s.Comm == comm)
            .Select(s => s!)
            .ToList();

    /// <summary>The "NSpid:" line of /proc/PID/status: the pid in each pid namespace, outermost first.</summary>
    public static IReadOnlyList<int> NsPids(int pid) =>
        File.ReadLines($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/status")
            .First(l => l.StartsWith("NSpid:", StringComparison.Ordinal))["NSpid:".Length..]
            .Split(['\t', ' '], StringSplitOptions.RemoveEmptyEntries)
            .Select(s => int.Parse(s, CultureInfo.InvariantCulture))
            .ToList();

    public static string NamespaceOf(int pid, string kind) => new FileInfo($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/ns/{kind}").LinkTarget!;

    // ---- cgroups ----

    public static bool IsCgroupV1 => Directory.Exists(Path.Combine(CgroupRoot, "memory")) && !File.Exists(Path.Combine(CgroupRoot, "cgroup.controllers"));

    /// <summary>Every directory named <paramref name="relative"/> in any cgroup hierarchy (/sys/fs/cgroup/*/rel, and /sys/fs/cgroup/rel on v2).</summary>
    public static IReadOnlyList<string> CgroupDirectories(string relative)
    {
        var roots = Directory.EnumerateDirectories(CgroupRoot).ToList();
        if (File.Exists(Path.Combine(CgroupRoot, "cgroup.controllers")))
        {
            roots.Add(CgroupRoot);
        }
        return roots.Select(r => Path.Combine(r, relative)).Where(Directory.Exists).ToList();
    }

    /// <summary>A control file of a cgroup: /sys/fs/cgroup/&lt;controller&gt;/rel/file on v1, /sys/fs/cgroup/rel/file on v2.</summary>
    public static string CgroupFile(string controller, string relative, string file) =>
        IsCgroupV1 ? Path.Combine(CgroupRoot, controller, relative, file) : Path.Combine(CgroupRoot, relative, file);

    public static ulong? ReadNumber(string path) =>
        File.Exists(path) && ulong.TryParse(File.ReadAllText(path).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : null;

    /// <summary>"key value" lines (memory.oom_control, memory.events, pids.events).</summary>
    public static ulong? ReadKeyed(string path, string key)
    {
        if (!File.Exists(path))
        {
            return null;
        }
        foreach (var line in File.ReadLines(path))
        {
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length == 2 && parts[0] == key && ulong.TryParse(parts[1], CultureInfo.InvariantCulture, out var v))
            {
                return v;
            }
        }
        return null;
    }

    /// <summary>OOM kills counted for a cgroup (v1 memory.oom_control, v2 memory.events).</summary>
    public static ulong? OomKills(string relative) => IsCgroupV1
        ? ReadKeyed(CgroupFile("memory", relative, "memory.oom_control"), "oom_kill")
        : ReadKeyed(CgroupFile("memory", relative, "memory.events"), "oom_kill");

    public static IReadOnlyList<int> CgroupPids(string relative) =>
        CgroupDirectories(relative)
            .Select(d => Path.Combine(d, "cgroup.procs"))
            .Where(File.Exists)
            .SelectMany(f => File.ReadAllLines(f))
            .Where(l => l.Length > 0)
            .Select(l => int.Parse(l, CultureInfo.InvariantCulture))
            .Distinct()
            .ToList();

    // ---- commands ----

    public sealed record CommandResult(int ExitCode, string Stdout, string Stderr)
    {
        public override string ToString() => $"exit {ExitCode}\nstdout:\n{Stdout}\nstderr:\n{Stderr}";
    }

    /// <summary>Runs a program to completion, capturing its output; kills it if it outlives <paramref name="timeout"/>.</summary>
    public static CommandResult Run(string file, IEnumerable<string> args, IReadOnlyDictionary<string, string>? env = null, TimeSpan? timeout = null)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }
        foreach (var (k, v) in env ?? new Dictionary<string, string>())
        {
            psi.Environment[k] = v;
        }
        using var p = Process.Start(psi)!;
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout ?? TimeSpan.FromSeconds(60)))
        {
            p.Kill(entireProcessTree: true);
            p.WaitForExit();
            throw new TimeoutException($"{file} {string.Join(' ', psi.ArgumentList)} did not finish within {(timeout ?? TimeSpan.FromSeconds(60)).TotalSeconds} s");
        }
        p.WaitForExit();
        return new CommandResult(p.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>The lab's links as `ip -n &lt;lab&gt; -o link` lists them.</summary>
    public static string LabLinks(string lab)
    {
        var r = Run("ip", ["-n", lab, "-o", "link", "show"], timeout: TimeSpan.FromSeconds(10));
        r.ExitCode.ShouldBe(0, r.ToString());
        return r.Stdout;
    }
}
