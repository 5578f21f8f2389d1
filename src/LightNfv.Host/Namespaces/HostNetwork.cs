using LightNfv.Core.Errors;
using LightNfv.Host.Native;

namespace LightNfv.Host.Namespaces;

/// <summary>
/// This process's own network namespace (the host's, for the CLI and the daemon), where every child starts unless it
/// was explicitly asked to start in another. Namespace membership is per thread, and a child started by fork, vfork or
/// posix_spawn inherits the starting thread's: a host tool started from a thread that entered the lab (debootstrap,
/// make, QEMU) would find itself in the lab, with no route to the host's network (issue 12: debootstrap could not reach
/// the Debian mirror). Captured before any thread leaves it: every entry point of <see cref="NetNamespace"/> captures first.
/// </summary>
public static class HostNetwork
{
    private const string ThreadNamespace = "/proc/thread-self/ns/net";
    private static readonly object s_gate = new();
    private static FileDescriptor? s_home;
    private static string? s_homeId;

    /// <summary>The kernel's name of the calling thread's network namespace ("net:[4026531840]").</summary>
    public static string CurrentId() => new FileInfo(ThreadNamespace).LinkTarget ?? "net:[unknown]";

    /// <summary>The kernel's name of this process's own network namespace.</summary>
    public static string HomeId
    {
        get
        {
            Capture();
            return s_homeId!;
        }
    }

    /// <summary>Remembers the calling thread's namespace as home, once; called before any thread changes its namespace.</summary>
    internal static void Capture()
    {
        if (Volatile.Read(ref s_homeId) is not null)
        {
            return;
        }
        lock (s_gate)
        {
            if (s_homeId is null)
            {
                s_home = FileDescriptor.Open(ThreadNamespace);
                Volatile.Write(ref s_homeId, CurrentId());
            }
        }
    }

    /// <summary>Whether the calling thread is in this process's own network namespace.</summary>
    public static bool IsCurrentThreadHome => string.Equals(CurrentId(), HomeId, StringComparison.Ordinal);

    /// <summary>
    /// Refuses to go on when the calling thread is in another network namespace: what it would start would inherit it.
    /// </summary>
    /// <param name="what">What was about to be started, for the message.</param>
    public static void EnsureCurrentThreadHome(string what)
    {
        var current = CurrentId();
        if (!string.Equals(current, HomeId, StringComparison.Ordinal))
        {
            throw new LightNfvException(ErrorKind.Host,
                $"refusing to start {what} from a thread inside network namespace {current} (this process's own is {HomeId}): " +
                "the child would inherit it and, in the lab, have no route to the host's network. Start host tools from the " +
                "host namespace (HostNetwork.Run) or name the namespace explicitly (NamespacedSpawner's netNamespace argument)");
        }
    }

    /// <summary>
    /// Runs <paramref name="work"/> in this process's own network namespace: on the calling thread when it is there, else
    /// on a fresh thread that enters it (a thread made by one in the lab starts in the lab too) and ends afterwards.
    /// </summary>
    public static T Run<T>(Func<T> work)
    {
        if (IsCurrentThreadHome)
        {
            return work();
        }
        return OsThread.Run(() =>
        {
            Errno.Check(Libc.setns(s_home!, Libc.CLONE_NEWNET), "setns(CLONE_NEWNET) to this process's own network namespace");
            return work();
        });
    }

    public static void Run(Action work) => Run(() =>
    {
        work();
        return true;
    });
}
