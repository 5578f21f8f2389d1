using System.Net.Sockets;
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
                StartRuntimeThreadsHere();
                Volatile.Write(ref s_homeId, CurrentId());
            }
        }
    }

    /// <summary>
    /// Threads of this process that live in another network namespace, except the dedicated ones of
    /// <see cref="OsThread"/> (named "lightnfv-ns", ended after their work). Anything else there is a leak: a thread made
    /// by one in the lab starts in the lab, so async work (a ConnectAsync, a timer) queued from inside
    /// <see cref="NetNamespace.RunIn{T}"/> can grow the thread pool with workers that stay there for good.
    /// </summary>
    public static IReadOnlyList<string> ThreadsAway()
    {
        var home = HomeId;
        var away = new List<string>();
        foreach (var task in Directory.EnumerateDirectories("/proc/self/task"))
        {
            try
            {
                var ns = new FileInfo(Path.Combine(task, "ns/net")).LinkTarget;
                var name = File.ReadAllText(Path.Combine(task, "comm")).TrimEnd('\n');
                if (ns is not null && ns != home && name != OsThread.ThreadName)
                {
                    away.Add($"thread {Path.GetFileName(task)} ({name}) in {ns}");
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The thread ended while we looked.
            }
        }
        return away;
    }

    /// <summary>
    /// The runtime makes some threads lazily, from whichever thread first needs them, and a thread starts in its maker's
    /// namespace: the socket engine's epoll thread (made by the first managed Socket's constructor) and the timer thread.
    /// Made here, at home, before any thread leaves, so a socket opened in the lab cannot put them there for good.
    /// </summary>
    private static void StartRuntimeThreadsHere()
    {
        new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp).Dispose();
        using var fired = new ManualResetEventSlim();
        using (new Timer(_ => fired.Set(), null, 0, Timeout.Infinite))
        {
            fired.Wait(TimeSpan.FromSeconds(5));
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
