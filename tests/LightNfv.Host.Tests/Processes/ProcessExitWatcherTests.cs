using System.Diagnostics;
using LightNfv.Host.Processes;

namespace LightNfv.Host.Tests.Processes;

/// <summary>The pidfd watcher reports an exit (also of a SIGKILLed process), and not after unwatching.</summary>
public sealed class ProcessExitWatcherTests
{
    private static Process Sleep() => Process.Start(new ProcessStartInfo("sleep", "30") { UseShellExecute = false })!;

    [Fact]
    public async Task Reports_the_exit_of_a_killed_process()
    {
        using var watcher = new ProcessExitWatcher();
        using var p = Sleep();
        var identity = ProcessIdentity.Of(p.Id).ShouldNotBeNull();
        var exited = new TaskCompletionSource<ProcessIdentity>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var watch = watcher.Watch(identity, e => exited.TrySetResult(e));
        watcher.Count.ShouldBe(1);
        exited.Task.IsCompleted.ShouldBeFalse();
        p.Kill();
        (await exited.Task.WaitAsync(TimeSpan.FromSeconds(10))).ShouldBe(identity);
        watcher.Count.ShouldBe(0);
    }

    [Fact]
    public async Task A_process_already_gone_is_reported_at_once()
    {
        using var watcher = new ProcessExitWatcher();
        var exited = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var watch = watcher.Watch(new ProcessIdentity(int.MaxValue - 1, 1), _ => exited.TrySetResult());
        await exited.Task.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Unwatched_process_is_not_reported()
    {
        using var watcher = new ProcessExitWatcher();
        using var a = Sleep();
        using var b = Sleep();
        var reports = new List<int>();
        var bExited = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var watchA = watcher.Watch(ProcessIdentity.Of(a.Id)!.Value, e => { lock (reports) { reports.Add(e.Pid); } });
        using var watchB = watcher.Watch(ProcessIdentity.Of(b.Id)!.Value, e => { lock (reports) { reports.Add(e.Pid); } bExited.TrySetResult(); });
        watchA.Dispose();
        a.Kill();
        a.WaitForExit();
        b.Kill();
        await bExited.Task.WaitAsync(TimeSpan.FromSeconds(10));
        lock (reports)
        {
            reports.ShouldBe([b.Id]);
        }
    }
}
