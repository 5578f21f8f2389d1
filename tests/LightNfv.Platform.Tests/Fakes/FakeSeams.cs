using System.Collections.Concurrent;
using LightNfv.Core.Backends;
using LightNfv.Core.Descriptors;
using LightNfv.Platform.Control.Adoption;
using LightNfv.Platform.Control.Liveness;
using LightNfv.Platform.Control.Rollout;
using LightNfv.Platform.Store;

namespace LightNfv.Platform.Tests.Fakes;

/// <summary>Exit watches on the fake backend: <see cref="FakeBackend.Exit"/> reaches the replica's watch.</summary>
public sealed class FakeWatcher : IReplicaWatcher
{
    private readonly ConcurrentDictionary<string, Action<int>> _watches = new(StringComparer.Ordinal);
    private readonly FakeBackend _backend;

    public FakeWatcher(FakeBackend backend)
    {
        _backend = backend;
        backend.Exited += (id, pid) =>
        {
            if (_watches.TryRemove(id, out var exited))
            {
                exited(pid);
            }
        };
    }

    public int Count => _watches.Count;

    public bool IsWatched(string id) => _watches.ContainsKey(id);

    public bool Watch(InstanceRecord replica, Action<int> exited)
    {
        if (_backend.Inspect(replica.AsBackendInstance()).State != ObservedState.Running)
        {
            return false;
        }
        _watches[replica.Id] = exited;
        return true;
    }

    public void Unwatch(string instanceId) => _watches.TryRemove(instanceId, out _);

    public void Dispose() => _watches.Clear();
}

/// <summary>A liveness check whose verdict per replica the test sets (passes by default).</summary>
public sealed class FakeLivenessCheck : ILivenessCheck
{
    public ConcurrentDictionary<string, string> Failing { get; } = new(StringComparer.Ordinal);

    public Task<LivenessCheck> CheckAsync(InstanceRecord replica, HealthSpec health, CancellationToken cancellationToken) =>
        Task.FromResult(Failing.TryGetValue(replica.Id, out var why) ? LivenessCheck.Failed(why) : LivenessCheck.Passed);
}

/// <summary>New replicas answer unless the test says they do not; <see cref="Hold"/> keeps a probe waiting (a slow pass).</summary>
public sealed class FakeReadinessGate : IReadinessGate
{
    public bool Answers { get; set; } = true;

    /// <summary>When set, a probe signals <see cref="Entered"/> and waits until the test sets <see cref="Hold"/>'s event.</summary>
    public ManualResetEventSlim? Hold { get; set; }

    public ManualResetEventSlim Entered { get; } = new();

    public bool WaitAnswering(InstanceRecord replica, int port, TimeSpan timeout)
    {
        if (Hold is { } hold)
        {
            Entered.Set();
            hold.Wait(TimeSpan.FromMinutes(1)); // bounded: a broken test must not hang the run
        }
        return Answers;
    }
}

/// <summary>The orphan sweep of the fake "host": destroys what no record (nor shell) owns.</summary>
public sealed class FakeOrphanSweep(FakeBackend backend) : IOrphanSweep
{
    public IReadOnlySet<string>? LastRecorded { get; private set; }

    public int Sweep(IReadOnlySet<string> recorded)
    {
        LastRecorded = recorded;
        var orphans = backend.Instances.Keys.Where(id => !recorded.Contains(id)).ToList();
        foreach (var id in orphans)
        {
            backend.DestroyAsync(new BackendInstance(id, Technology.Process), CancellationToken.None).GetAwaiter().GetResult();
        }
        return orphans.Count;
    }
}
