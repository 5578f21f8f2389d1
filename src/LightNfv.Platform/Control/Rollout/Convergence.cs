using System.Collections.Concurrent;
using LightNfv.Core.Descriptors;
using LightNfv.Core.Errors;
using LightNfv.Core.Instances;
using LightNfv.Platform.Control.Operations;
using LightNfv.Platform.Store;
using Microsoft.Extensions.Logging;

namespace LightNfv.Platform.Control.Rollout;

/// <summary>
/// Drives each VNF's replicas toward its desired state: as many as desired, of the desired descriptor version. A version
/// change rolls: one new replica up and answering (<see cref="IReadinessGate"/>) before one old one goes, one per pass.
/// Too many: old versions go first, then the newest. A failure rolls the pending operation back
/// (<see cref="OperationBook.RollBack"/>) and leaves the VNF alone for <see cref="RolloutOptions.FailureBackoff"/>.
/// Replicas of terminated VNFs are removed. Runs inside a reconcile pass.
/// </summary>
public sealed partial class Convergence(PlatformStore store, ReplicaActions replicas, OperationBook operations, IReadinessGate readiness,
    RolloutOptions options, TimeProvider time, Action kick, ILogger logger)
{
    private readonly ConcurrentDictionary<string, DateTimeOffset> _backoff = new(StringComparer.Ordinal);

    /// <summary>Converges every deployment, then removes the replicas of VNFs that were terminated.</summary>
    public async Task ConvergeAllAsync(CancellationToken ct)
    {
        var deployments = store.Deployments();
        foreach (var d in deployments)
        {
            await ConvergeAsync(d, ct).ConfigureAwait(false);
        }
        var names = deployments.Select(d => (d.Tenant, d.Name)).ToHashSet();
        foreach (var r in store.List().Where(r => r.Deployment is not null && !names.Contains((r.Tenant, r.Deployment))))
        {
            await replicas.RemoveAsync(r, ct).ConfigureAwait(false);
        }
    }

    private async Task ConvergeAsync(Deployment d, CancellationToken ct)
    {
        var key = $"{d.Tenant}/{d.Name}";
        if (_backoff.TryGetValue(key, out var until) && time.GetUtcNow() < until)
        {
            return;
        }
        var source = store.Descriptor(d.Tenant, d.Name, d.Version);
        if (source is null)
        {
            return;
        }
        var descriptor = DescriptorParser.Parse(source.Source);
        await ReplaceFailedAsync(d, ct).ConfigureAwait(false);
        var all = replicas.Of(d);
        var current = all.Where(r => r.Version == d.Version).ToList();
        var old = all.Where(r => r.Version != d.Version).OrderBy(r => r.CreatedAt).ToList();
        try
        {
            if (current.Count < d.Replicas)
            {
                if (old.Count == 0)
                {
                    for (var i = current.Count; i < d.Replicas; i++)
                    {
                        await replicas.CreateAsync(d, descriptor, ct).ConfigureAwait(false);
                    }
                }
                else
                {
                    // Rolling update: one new replica up and answering, then one old replica goes; next pass repeats.
                    var fresh = await replicas.CreateAsync(d, descriptor, ct).ConfigureAwait(false);
                    if (!WaitAnswering(fresh, descriptor))
                    {
                        throw new LightNfvException(ErrorKind.Host, $"new replica {fresh.Id} (version {d.Version}) did not answer on its port; the old ones keep serving");
                    }
                    // The new replica takes connections before the old one stops taking them (RemoveAsync withdraws it first).
                    replicas.Services?.MarkReady(fresh.Id);
                    replicas.Services?.Sync();
                    await replicas.RemoveAsync(old[0], ct).ConfigureAwait(false);
                    old.RemoveAt(0);
                    if (old.Count > 0 || current.Count + 1 < d.Replicas)
                    {
                        kick();
                    }
                    return;
                }
            }
            // Too many: old versions first, then the newest of the current ones.
            var victims = old.Concat(current.OrderByDescending(r => r.CreatedAt)).Take(Math.Max(0, replicas.Of(d).Count - d.Replicas)).ToList();
            foreach (var v in victims)
            {
                await replicas.RemoveAsync(v, ct).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is LightNfvException or IOException)
        {
            _backoff[key] = time.GetUtcNow() + options.FailureBackoff;
            LogConvergeFailed(logger, key, e.Message);
            if (operations.RollBack(d, e.Message))
            {
                _backoff.TryRemove(key, out _); // desired state changed back: converge to it at once
            }
        }
    }

    private bool WaitAnswering(InstanceRecord r, VnfDescriptor descriptor)
    {
        var port = descriptor.Spec.Health?.TcpPort ?? descriptor.Spec.Network.ReadinessPort;
        return port is null || r.Address is null || readiness.WaitAnswering(r, port.Value, options.ReadinessTimeout);
    }

    /// <summary>
    /// The processing scale or update of a VNF replaces the replicas it found failed (left so by their heal budget or
    /// a failed heal) instead of counting them: the operator asked for that many serving replicas, and a failed one
    /// serves nothing, so counting it would end the operation short of what was asked, or never end it. Only
    /// replicas failed before the operation began are replaced, once per operation (a retried instantiate's clock restarts,
    /// so it replaces what its first attempt left failed); one that fails again fails the
    /// operation with its reason (see <see cref="OperationBounds.Evaluate"/>), so a crash-looping VNF does not loop.
    /// </summary>
    private async Task ReplaceFailedAsync(Deployment d, CancellationToken ct)
    {
        var op = store.Operations(OperationState.Processing)
            .FirstOrDefault(o => o.Tenant == d.Tenant && o.Deployment == d.Name && o.Kind is OperationKinds.Scale or OperationKinds.Update or OperationKinds.Instantiate);
        if (op is null)
        {
            return;
        }
        foreach (var r in replicas.Of(d).Where(r => r.State == InstanceState.Failed && r.CreatedAt < op.CreatedAt))
        {
            LogReplacing(logger, r.Id, r.Name, op.Kind, r.Error ?? "");
            try
            {
                await replicas.RemoveAsync(r, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is LightNfvException or IOException)
            {
                // Left in place: the operation then fails within its bound, naming the replica.
                LogConvergeFailed(logger, $"{d.Tenant}/{d.Name}", $"could not remove failed replica {r.Id}: {e.Message}");
            }
        }
    }
}
