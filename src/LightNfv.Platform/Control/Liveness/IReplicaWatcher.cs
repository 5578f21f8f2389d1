using LightNfv.Platform.Store;

namespace LightNfv.Platform.Control.Liveness;

/// <summary>
/// Reports the end of a replica's main process as it happens (not at the next probe). The daemon's watcher uses
/// pidfds (<see cref="PidfdReplicaWatcher"/>); tests end fake replicas by hand.
/// </summary>
public interface IReplicaWatcher : IDisposable
{
    /// <summary>Processes watched right now.</summary>
    int Count { get; }

    /// <summary>
    /// Watches the replica's main process (replacing any earlier watch of it); <paramref name="exited"/> is called
    /// once, with its pid, when it ends. False when the record names no process that runs.
    /// </summary>
    bool Watch(InstanceRecord replica, Action<int> exited);

    void Unwatch(string instanceId);
}
