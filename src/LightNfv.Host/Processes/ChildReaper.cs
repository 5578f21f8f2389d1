using LightNfv.Host.Native;

namespace LightNfv.Host.Processes;

/// <summary>
/// Reaps the spawn helpers' supervisors. They outlive the invocation that started them and are re-parented to the
/// nearest child subreaper, else to init. Not every init reaps orphans (this sandbox's does not), so long-lived
/// LightNFV processes (the benchmark, the daemon, the tests) become subreapers and reap their supervisors by pid;
/// only pids we name are waited for, never another component's children.
/// </summary>
public static unsafe class ChildReaper
{
    private const int WNOHANG = 1;

    private static int s_enabled;

    public static bool IsSubreaper => Volatile.Read(ref s_enabled) == 1;

    public static void EnableSubreaper()
    {
        if (Interlocked.Exchange(ref s_enabled, 1) == 0)
        {
            Errno.Check(Libc.prctl(Libc.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), "prctl(PR_SET_CHILD_SUBREAPER)");
        }
    }

    /// <summary>
    /// Reaps zombie children named <paramref name="comm"/>: helper processes another program forked and left to us as
    /// their subreaper (crun's intermediate processes after `run --detach`). Only zombies are waited for, so nothing
    /// that runs, and nothing another component waits on by pid (it would not be named so), is touched.
    /// Returns how many were reaped.
    /// </summary>
    public static int ReapZombieChildren(string comm)
    {
        var reaped = 0;
        foreach (var task in Directory.EnumerateDirectories("/proc/self/task"))
        {
            string children;
            try
            {
                children = File.ReadAllText(Path.Combine(task, "children"));
            }
            catch (IOException)
            {
                continue; // the thread ended meanwhile
            }
            foreach (var token in children.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                if (int.TryParse(token, out var pid) && IsZombieNamed(pid, comm))
                {
                    var status = 0;
                    if (Libc.waitpid(pid, &status, WNOHANG) == pid)
                    {
                        reaped++;
                    }
                }
            }
        }
        return reaped;
    }

    private static bool IsZombieNamed(int pid, string comm)
    {
        try
        {
            // /proc/PID/stat: "pid (comm) S ..."; comm may hold spaces or parentheses, so split at the last ')'.
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var open = stat.IndexOf('(');
            var close = stat.LastIndexOf(')');
            return open > 0 && close > open && close + 2 < stat.Length && stat[close + 2] == 'Z'
                && string.Equals(stat[(open + 1)..close], comm, StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>
    /// Waits for a child of ours to exit and returns its exit code (128 + signal if killed). After
    /// <paramref name="timeout"/> the child is killed and an error names it.
    /// </summary>
    public static int WaitForExitCode(int pid, TimeSpan timeout)
    {
        // A pidfd turns readable the moment the child exits: no polling interval added to a 20-40 ms runtime call.
        var fd = Libc.syscall(Libc.SYS_pidfd_open, pid, 0, 0, 0);
        using var pidfd = fd >= 0 ? new FileDescriptor((int)fd) : null;
        var deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        while (true)
        {
            int status;
            var r = Libc.waitpid(pid, &status, WNOHANG);
            if (r == pid)
            {
                var signal = status & 0x7f;
                return signal == 0 ? (status >> 8) & 0xff : 128 + signal;
            }
            if (r < 0 && Errno.Last != Libc.EINTR)
            {
                throw Errno.Error($"waitpid {pid}", Errno.Last);
            }
            var left = deadline - Environment.TickCount64;
            if (left <= 0)
            {
                Libc.kill(pid, Libc.SIGKILL);
                Libc.waitpid(pid, &status, 0);
                throw new Core.Errors.LightNfvException(Core.Errors.ErrorKind.Host, $"pid {pid} did not finish within {timeout.TotalSeconds:0} s and was killed");
            }
            if (pidfd is null)
            {
                Thread.Sleep(1);
                continue;
            }
            var pfd = new Libc.PollFd { Fd = pidfd.Value, Events = Libc.POLLIN };
            var ts = new Libc.TimeSpec { Seconds = left / 1000, Nanoseconds = left % 1000 * 1_000_000 };
            Libc.ppoll(&pfd, 1, &ts, null);
        }
    }

    /// <summary>SIGKILLs a child of ours by pid (one not reaped yet, so the pid is still it) and reaps it.</summary>
    public static void Kill(int pid)
    {
        if (pid > 0 && Libc.kill(pid, Libc.SIGKILL) == 0)
        {
            int status;
            while (Libc.waitpid(pid, &status, 0) < 0 && Errno.Last == Libc.EINTR)
            {
            }
        }
    }

    /// <summary>Waits up to <paramref name="timeout"/> for a supervisor to end and reaps it if it is our child (we started it, or adopted it as subreaper). No-op otherwise.</summary>
    public static void Reap(ProcessIdentity supervisor, TimeSpan timeout)
    {
        if (supervisor.Pid <= 0)
        {
            return;
        }
        var deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        while (true)
        {
            int status;
            var r = Libc.waitpid(supervisor.Pid, &status, WNOHANG);
            if (r == supervisor.Pid || (r < 0 && Errno.Last != Libc.EINTR))
            {
                return; // reaped, or not our child (ECHILD)
            }
            if (Environment.TickCount64 > deadline)
            {
                return;
            }
            Thread.Sleep(1);
        }
    }
}
