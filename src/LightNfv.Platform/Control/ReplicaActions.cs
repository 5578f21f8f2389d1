using System.Collections.Concurrent;
using LightNfv.Core.Descriptors;
using LightNfv.Core.Instances;
using LightNfv.Platform.Control.Healing;
using LightNfv.Platform.Control.Liveness;
using LightNfv.Platform.Control.Rollout;
using LightNfv.Platform.Control.Service;
using LightNfv.Platform.Lifecycle;
using LightNfv.Platform.Store;
using Microsoft.Extensions.Logging;

namespace LightNfv.Platform.Control;

/// <summary>
/// Makes and removes a VNF's replicas for every part of the control plane (convergence, healing, adoption), through
/// <see cref="InstanceService"/>, and keeps what the parts track of a replica in step: its exit watch, its heal
/// history, its liveness schedule. Callers hold the reconciler's mutation lock, and each act on an existing replica
/// also holds that replica's gate (<see cref="HoldAsync"/>), which a quarantine takes instead of the pass lock.
/// </summary>
public sealed partial class ReplicaActions(InstanceService instances, IReplicaWatcher watcher, HealQueue heals, IHealPolicy healPolicy,
    LivenessTracker liveness, RolloutOptions options, ILogger logger)
{
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _gates = new(StringComparer.Ordinal);

    /// <summary>
    /// Holds one replica's gate until disposed: a quarantine of it and a pass's act on it (heal, removal, operate) never
    /// interleave, while the quarantine of one replica need not wait for a pass busy elsewhere (probing, creating).
    /// </summary>
    public async Task<IDisposable> HoldAsync(string id, CancellationToken ct)
    {
        var gate = _gates.GetOrAdd(id, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(ct).ConfigureAwait(false);
        return new Held(gate);
    }

    /// <summary>Whether the replica was quarantined since the caller read <paramref name="seen"/>: the caller's act is stale.</summary>
    public bool QuarantinedSince(InstanceRecord seen) =>
        seen.State != InstanceState.Quarantined && instances.Store.Get(seen.Id)?.State == InstanceState.Quarantined;

    private sealed class Held(SemaphoreSlim gate) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                gate.Release();
            }
        }
    }

    public InstanceService Instances => instances;

    /// <summary>The service addresses: a replica leaves its VNF's set before it is removed.</summary>
    public ServiceSync? Services { get; set; }

    /// <summary>
    /// The VNF's replicas that count toward its desired number: a quarantined one serves nothing and is neither scaled
    /// nor replaced by a rollout, so convergence makes a replacement for it (it goes with its VNF, or by `rm`).
    /// </summary>
    public List<InstanceRecord> Of(Deployment d) =>
        instances.Store.List().Where(r => r.Tenant == d.Tenant && r.Deployment == d.Name && Counts(r)).ToList();

    /// <summary>Whether a replica counts toward its VNF's desired number (every state but quarantined).</summary>
    public static bool Counts(InstanceRecord r) => r.State != InstanceState.Quarantined;

    public async Task<InstanceRecord> CreateAsync(Deployment d, VnfDescriptor descriptor, CancellationToken ct)
    {
        // Replica names are the VNF's name plus a short suffix, unique per tenant like Kubernetes pod names.
        var replica = descriptor with { Metadata = descriptor.Metadata with { Name = $"{d.Name}-{InstanceId.New()[..5]}" } };
        var record = await instances.RunAsync(replica, new RunOptions { ReplicaOf = new ReplicaOf(d.Name, d.Version) }, ct).ConfigureAwait(false);
        Watch(record);
        LogCreated(logger, record.Id, record.Name, d.Version);
        if (options.WarmPool > 0)
        {
            // Off the create path: the next scale-out claims a ready shell.
            var target = options.WarmPool;
            _ = Task.Run(() =>
            {
                try
                {
                    instances.RefillWarmPools(target);
                }
                catch (Exception e)
                {
                    LogPassFailed(logger, $"warm pool refill: {e.Message}");
                }
            });
        }
        return record;
    }

    /// <summary>
    /// Removes a replica under its gate; one quarantined since the caller looked is left alone (held for inspection; its
    /// VNF no longer counts it, so the next pass sees its count without it).
    /// </summary>
    public async Task RemoveAsync(InstanceRecord r, CancellationToken ct)
    {
        using (await HoldAsync(r.Id, ct).ConfigureAwait(false))
        {
            if (QuarantinedSince(r))
            {
                return;
            }
            await RemoveHeldAsync(r, ct).ConfigureAwait(false);
        }
    }

    /// <summary>Removes a replica whose gate the caller holds.</summary>
    public async Task RemoveHeldAsync(InstanceRecord r, CancellationToken ct)
    {
        if (Services is { } services)
        {
            await services.WithdrawAsync(r, ct).ConfigureAwait(false);
        }
        watcher.Unwatch(r.Id);
        await instances.RemoveAsync(r, ct).ConfigureAwait(false);
        healPolicy.Forget(r.Id);
        liveness.Forget(r.Id);
        Services?.Forget(r.Id);
        _gates.TryRemove(r.Id, out _);
        LogRemoved(logger, r.Id, r.Name);
    }

    /// <summary>
    /// Takes a replica out of its VNF (`--detach`): out of its service set first (drained), no longer watched, probed or
    /// healed, then standalone in the store. The VNF still wants as many replicas, so the next pass makes a replacement.
    /// </summary>
    public async Task<InstanceRecord> DetachAsync(InstanceRecord r, CancellationToken ct)
    {
        if (Services is { } services)
        {
            await services.WithdrawAsync(r, ct).ConfigureAwait(false);
        }
        watcher.Unwatch(r.Id);
        healPolicy.Forget(r.Id);
        liveness.Forget(r.Id);
        Services?.Forget(r.Id);
        return instances.Store.Detach(r.Id);
    }

    /// <summary>
    /// Sets a replica aside for a quarantine: no longer watched, probed or healed (a frozen replica answers nothing, on
    /// purpose). It stays in the store as its VNF's, quarantined; <see cref="Watch"/> takes it back at release.
    /// </summary>
    public void SetAside(string id)
    {
        watcher.Unwatch(id);
        healPolicy.Forget(id);
        liveness.Forget(id);
    }

    /// <summary>Removes a replica, logging instead of throwing (start-up must go on).</summary>
    public void RemoveQuietly(InstanceRecord r, string why)
    {
        try
        {
            RemoveAsync(r, CancellationToken.None).GetAwaiter().GetResult();
        }
        catch (Exception e)
        {
            LogRemoveFailed(logger, r.Id, $"{why}: {e.Message}");
        }
    }

    /// <summary>Watches the replica's process: its end asks for a heal. False when the record names no process.</summary>
    public bool Watch(InstanceRecord r)
    {
        var id = r.Id;
        return watcher.Watch(r, pid =>
        {
            LogExited(logger, id, pid);
            heals.Enqueue(new HealRequest(id, $"process {pid} exited", false, null));
        });
    }

    public void Unwatch(string id)
    {
        watcher.Unwatch(id);
        Services?.Forget(id); // a heal restarts it: it answers again before it rejoins its service
    }
}
