using System.Runtime.ExceptionServices;

namespace LightNfv.Host.Namespaces;

/// <summary>
/// Runs work on a fresh OS thread. Namespace membership (setns/unshare) is per thread, so work that changes
/// it must never run on a pool thread that others reuse; a dedicated thread that ends afterwards cannot leak it.
/// </summary>
public static class OsThread
{
    /// <summary>The name (and /proc comm) of every thread made here.</summary>
    public const string ThreadName = "lightnfv-ns";

    public static T Run<T>(Func<T> work)
    {
        T result = default!;
        ExceptionDispatchInfo? error = null;
        var thread = new Thread(() =>
        {
            try
            {
                result = work();
            }
            catch (Exception e)
            {
                error = ExceptionDispatchInfo.Capture(e);
            }
        }, maxStackSize: 256 * 1024)
        {
            IsBackground = true,
            Name = ThreadName,
        };
        thread.Start();
        thread.Join();
        error?.Throw();
        return result;
    }

    /// <summary>Starts work on a fresh OS thread and returns at once; the task completes when the thread is done.</summary>
    public static Task<T> Start<T>(Func<T> work)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                done.SetResult(work());
            }
            catch (Exception e)
            {
                done.SetException(e);
            }
        }, maxStackSize: 256 * 1024)
        {
            IsBackground = true,
            Name = ThreadName,
        };
        thread.Start();
        return done.Task;
    }

    public static void Run(Action work) => Run(() =>
    {
        work();
        return true;
    });
}
