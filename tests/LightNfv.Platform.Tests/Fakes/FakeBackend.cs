using System.Collections.Concurrent;
using System.Globalization;
using LightNfv.Core.Backends;
using LightNfv.Core.Descriptors;
using LightNfv.Core.Errors;

namespace LightNfv.Platform.Tests.Fakes;

/// <summary>
/// A backend in memory: create, start, stop, destroy and inspect act on a table, nothing touches the host. It can be
/// told to fail creates, and to end an instance's workload ("exit"), which it reports to its watcher.
/// </summary>
public sealed class FakeBackend : IBackend
{
    public sealed record Instance(string Id, ObservedState State, int Pid, string? Memory);

    private readonly ConcurrentDictionary<string, Instance> _instances = new(StringComparer.Ordinal);
    private int _nextPid = 1000;

    public Technology Technology => Technology.Process;

    /// <summary>When set, every create fails with this message (before anything is made, as the contract asks).</summary>
    public string? FailCreates { get; set; }

    /// <summary>Raised by <see cref="Exit"/>: instance id and pid.</summary>
    public event Action<string, int>? Exited;

    /// <summary>Raised when an instance is about to be stopped or destroyed: its id (what a test checks happens after).</summary>
    public event Action<string>? Stopping;

    public IReadOnlyDictionary<string, Instance> Instances => _instances;

    public int Destroyed { get; private set; }

    public BackendProbe Probe() => BackendProbe.Ok();

    public Task<BackendInstance> CreateAsync(InstanceSpec spec, CancellationToken cancellationToken)
    {
        if (FailCreates is { } why)
        {
            throw new LightNfvException(ErrorKind.Host, why);
        }
        _instances[spec.Id] = new Instance(spec.Id, ObservedState.Stopped, 0, spec.Resources.MemoryMiB.ToString(CultureInfo.InvariantCulture));
        return Task.FromResult(new BackendInstance(spec.Id, Technology));
    }

    public Task<BackendInstance> StartAsync(InstanceSpec spec, BackendInstance instance, CancellationToken cancellationToken)
    {
        var pid = Interlocked.Increment(ref _nextPid);
        _instances.AddOrUpdate(instance.Id, id => new Instance(id, ObservedState.Running, pid, null), (_, i) => i with { State = ObservedState.Running, Pid = pid });
        return Task.FromResult(instance with { Facts = instance.Facts with { Process = new ProcessRef(pid, 1) } });
    }

    public Task<BackendInstance> StopAsync(BackendInstance instance, TimeSpan grace, CancellationToken cancellationToken)
    {
        Stopping?.Invoke(instance.Id);
        if (_instances.TryGetValue(instance.Id, out var i))
        {
            _instances[instance.Id] = i with { State = ObservedState.Stopped };
        }
        return Task.FromResult(instance);
    }

    public Task DestroyAsync(BackendInstance instance, CancellationToken cancellationToken)
    {
        Stopping?.Invoke(instance.Id);
        if (_instances.TryRemove(instance.Id, out _))
        {
            Destroyed++;
        }
        return Task.CompletedTask;
    }

    public InstanceObservation Inspect(BackendInstance instance) => _instances.TryGetValue(instance.Id, out var i)
        ? new InstanceObservation(i.State, i.State == ObservedState.Running ? i.Pid : null, null, [], null)
        : new InstanceObservation(ObservedState.Missing, null, null, [], "no such instance");

    /// <summary>What is frozen now (a quarantine's freeze).</summary>
    public ConcurrentDictionary<string, byte> Frozen { get; } = new(StringComparer.Ordinal);

    public Task<string> FreezeAsync(BackendInstance instance, CancellationToken cancellationToken)
    {
        Frozen[instance.Id] = 0;
        return Task.FromResult("fake freezer");
    }

    public Task ThawAsync(BackendInstance instance, CancellationToken cancellationToken)
    {
        Frozen.TryRemove(instance.Id, out _);
        return Task.CompletedTask;
    }

    /// <summary>Spoofed frames its "port" dropped, per instance (absent: zero).</summary>
    public ConcurrentDictionary<string, ulong> SpoofedDropped { get; } = new(StringComparer.Ordinal);

    public InstanceStats Stats(BackendInstance instance) =>
        new(DateTimeOffset.UnixEpoch, 0, 0, null, 1, 0, 0, 0, 0) { SpoofedFramesDropped = SpoofedDropped.GetValueOrDefault(instance.Id) };

    /// <summary>An instance left on the "host" without a record (a crash between making and recording it).</summary>
    public void Leave(string id, ObservedState state = ObservedState.Running) =>
        _instances[id] = new Instance(id, state, Interlocked.Increment(ref _nextPid), null);

    /// <summary>The workload of <paramref name="id"/> ends by itself; unseen (no exit event) when <paramref name="notify"/> is false.</summary>
    public void Exit(string id, bool notify = true)
    {
        var i = _instances[id];
        _instances[id] = i with { State = ObservedState.Exited };
        if (notify)
        {
            Exited?.Invoke(id, i.Pid);
        }
    }
}
