using System.Collections.Concurrent;
using LightNfv.Host.Processes;
using LightNfv.Platform.Store;

namespace LightNfv.Platform.Control.Liveness;

/// <summary>
/// Watches replicas' main processes through pidfds: the process is named by pid and start time (from the record), so
/// a recycled pid is never taken for the replica's, and an exit is seen at once.
/// </summary>
public sealed class PidfdReplicaWatcher : IReplicaWatcher
{
    private readonly ProcessExitWatcher _watcher = new();
    private readonly ConcurrentDictionary<string, IDisposable> _watches = new(StringComparer.Ordinal);

    public int Count => _watcher.Count;

    public bool Watch(InstanceRecord replica, Action<int> exited)
    {
        if (ProcessIdentity.From(replica.Facts.Process) is not { } process)
        {
            return false;
        }
        Unwatch(replica.Id);
        var id = replica.Id;
        _watches[id] = _watcher.Watch(process, ended =>
        {
            _watches.TryRemove(id, out _);
            exited(ended.Pid);
        });
        return true;
    }

    public void Unwatch(string instanceId)
    {
        if (_watches.TryRemove(instanceId, out var w))
        {
            w.Dispose();
        }
    }

    public void Dispose()
    {
        // The processes keep running (the next daemon re-adopts them); only the watches end.
        foreach (var w in _watches.Values)
        {
            w.Dispose();
        }
        _watcher.Dispose();
    }
}
