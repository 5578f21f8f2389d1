using System.Collections.Concurrent;
using LightNfv.Core.Descriptors;
using LightNfv.Core.Instances;
using LightNfv.Platform.Control.Healing;
using LightNfv.Platform.Store;
using Microsoft.Extensions.Logging;

namespace LightNfv.Platform.Control.Liveness;

/// <summary>
/// Liveness of every running replica under the daemon, each on its own schedule (<see cref="LivenessTracker"/>): the
/// check (<see cref="ILivenessCheck"/>) for every replica, and a heal request when one fails its threshold. Probes run
/// concurrently, at most one per replica, so one slow replica does not delay the others' verdicts.
/// </summary>
public sealed partial class LivenessProber(PlatformStore store, ILivenessCheck check, LivenessTracker tracker, HealQueue heals,
    DescriptorCache descriptors, LivenessOptions options, TimeProvider time, ILogger logger)
{
    private readonly ConcurrentDictionary<Task, byte> _inFlight = new();
    private readonly ConcurrentDictionary<string, byte> _frozen = new(StringComparer.Ordinal);

    /// <summary>Steps until cancelled; <paramref name="housekeeping"/> runs every <see cref="LivenessOptions.HousekeepingEvery"/> steps.</summary>
    public async Task RunAsync(Action housekeeping, CancellationToken ct)
    {
        using var timer = new PeriodicTimer(options.Step, time);
        var ticks = 0L;
        try
        {
            while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false))
            {
                Step(ct);
                if (++ticks % options.HousekeepingEvery == 0)
                {
                    housekeeping();
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    /// <summary>Starts the probes that are due now (without waiting for them); forgets replicas no longer probed.</summary>
    public void Step(CancellationToken ct)
    {
        var probed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var r in store.List().Where(r => r.Deployment is not null && r.State == InstanceState.Running))
        {
            probed.Add(r.Id);
            var health = descriptors.Parsed(r.Descriptor)?.Spec.Health ?? HealthSpec.Default;
            if (!tracker.TryBegin(r.Id, health))
            {
                continue;
            }
            var task = Task.Run(() => ProbeOneAsync(r, health, ct), CancellationToken.None);
            _inFlight[task] = 0;
            _ = task.ContinueWith(t => _inFlight.TryRemove(t, out _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
        tracker.Retain(probed);
        foreach (var id in _frozen.Keys.Where(k => !probed.Contains(k)).ToList())
        {
            _frozen.TryRemove(id, out _);
        }
    }

    /// <summary>Waits for the probes in flight (at shutdown; tests, after a <see cref="Step"/>).</summary>
    public Task DrainAsync() => Task.WhenAll(_inFlight.Keys);

    private async Task ProbeOneAsync(InstanceRecord r, HealthSpec health, CancellationToken ct)
    {
        string? failure;
        try
        {
            var result = await check.CheckAsync(r, health, ct).ConfigureAwait(false);
            if (result.Frozen)
            {
                if (_frozen.TryAdd(r.Id, 0))
                {
                    LogFrozen(logger, r.Id);
                }
                tracker.Held(r.Id);
                return;
            }
            _frozen.TryRemove(r.Id, out _);
            failure = result.Failure;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return;
        }
        catch (Exception e)
        {
            // The probe itself broke (the lab went away, a host error): not the VNF's fault, and not a pass either.
            LogPassFailed(logger, $"liveness probe of {r.Id}: {e.Message}");
            tracker.Held(r.Id);
            return;
        }
        if (failure is not null)
        {
            LogProbeFailed(logger, r.Id, failure);
        }
        if (tracker.Complete(r.Id, health, failure) is { } reason)
        {
            heals.Enqueue(new HealRequest(r.Id, reason, true, null));
        }
    }
}
