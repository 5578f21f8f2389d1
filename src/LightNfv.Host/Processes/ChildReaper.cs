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
