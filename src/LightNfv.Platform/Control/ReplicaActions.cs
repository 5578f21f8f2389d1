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
/// history, its liveness schedule. Callers hold the reconciler's mutation lock.
/// </summary>
public sealed partial class ReplicaActions(InstanceService instances, IReplicaWatcher watcher, HealQueue heals, IHealPolicy healPolicy,
    LivenessTracker liveness, RolloutOptions options, ILogger logger)
{
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

    public async Task RemoveAsync(InstanceRecord r, CancellationToken ct)
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
