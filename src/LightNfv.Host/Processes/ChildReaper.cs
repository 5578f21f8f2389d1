using System.Runtime.InteropServices;
using LightNfv.Host.Native;

namespace LightNfv.Host.Processes;

/// <summary>
/// Reaps the spawn helpers' supervisors. They outlive the invocation that started them and are re-parented to the
/// nearest child subreaper, else to init. Not every init reaps orphans (this sandbox's does not), so long-lived
/// LightNFV processes (the benchmark, the daemon, the tests) become subreapers and reap their supervisors by pid;
/// only pids we name are waited for, never another component's children.
/// </summary>
public static unsafe partial class ChildReaper
{
    private const int PR_SET_CHILD_SUBREAPER = 36, WNOHANG = 1;

    [LibraryImport("libc", SetLastError = true)]
    private static partial int prctl(int option, nuint arg2, nuint arg3, nuint arg4, nuint arg5);

    private static int s_enabled;

    public static bool IsSubreaper => Volatile.Read(ref s_enabled) == 1;

    public static void EnableSubreaper()
    {
        if (Interlocked.Exchange(ref s_enabled, 1) == 0)
        {
            Errno.Check(prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), "prctl(PR_SET_CHILD_SUBREAPER)");
        }
    }

    /// <summary>
    /// Waits for a child of ours to exit and returns its exit code (128 + signal if killed). After
    /// <paramref name="timeout"/> the child is killed and an error names it.
    /// </summary>
    public static int WaitForExitCode(int pid, TimeSpan timeout)
    {
        var deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        var sleepMs = 0;
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
            if (Environment.TickCount64 > deadline)
            {
                Libc.kill(pid, Libc.SIGKILL);
                Libc.waitpid(pid, &status, 0);
                throw new Core.Errors.LightNfvException(Core.Errors.ErrorKind.Host, $"pid {pid} did not finish within {timeout.TotalSeconds:0} s and was killed");
            }
            // Short commands end in a millisecond or two: poll tightly first, then back off.
            if (sleepMs == 0)
            {
                Thread.Yield();
            }
            else
            {
                Thread.Sleep(sleepMs);
            }
            sleepMs = Math.Min(sleepMs + 1, 10);
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
