using LightNfv.Core.Descriptors;
using LightNfv.Core.Instances;
using LightNfv.Platform.Alerts;
using LightNfv.Platform.Control.Healing;
using LightNfv.Platform.Store;
using Microsoft.Extensions.Logging;

namespace LightNfv.Platform.Control.Operations;

/// <summary>
/// The bookkeeping of lifecycle operations: closes each processing operation once its VNF has converged, fails one
/// that cannot progress within its bound (<see cref="OperationBounds"/>), and rolls back the pending operation of a
/// VNF whose convergence failed (desired state returns to what it was before the operation).
/// </summary>
public sealed partial class OperationBook(PlatformStore store, AlertHub alerts, HealQueue heals, DescriptorCache descriptors, TimeProvider time,
    Action kick, ILogger logger)
{
    private readonly Lock _closing = new();

    /// <summary>How long each operation may stay processing (LIGHTNFV_OPERATION_TIMEOUT overrides the defaults).</summary>
    public OperationBounds Bounds { get; set; } = new();

    /// <summary>Marks processing operations completed once their VNF has converged, or failed when they cannot progress.</summary>
    /// <param name="failuresOnly">Only fail what cannot progress (used from outside a pass that is stuck).</param>
    public void Close(bool failuresOnly = false)
    {
        lock (_closing)
        {
            CloseLocked(failuresOnly);
        }
    }

    /// <summary>
    /// A pass can be stuck for long in a backend call (an image build, a hung runtime): the liveness loop then fails
    /// the operations that passed their bound from outside it, so the VNF's next operation is not held at 409 meanwhile.
    /// </summary>
    public void FailOverdue()
    {
        try
        {
            Close(failuresOnly: true);
        }
        catch (Exception e) when (e is Core.Errors.LightNfvException or IOException)
        {
            LogPassFailed(logger, $"closing overdue operations: {e.Message}");
        }
    }

    private void CloseLocked(bool failuresOnly)
    {
        CloseRollbacks(failuresOnly);
        foreach (var op in store.Operations(OperationState.Processing))
        {
            if (op.Kind == OperationKinds.Operate)
            {
                continue; // done and closed by the reconciler's own call (Reconciler.OperateAsync)
            }
            if (op.Kind == OperationKinds.Heal)
            {
                if (!failuresOnly && !heals.HasOperation(op.Id))
                {
                    // Only left processing by a crash in the middle of a heal: the convergence since then decided.
                    var ids = OperationParameters.Of(op) is HealParameters { InstanceIds.Count: > 0 } h ? h.InstanceIds : [];
                    var r = ids.Count > 0 ? store.Get(ids[0]) : null;
                    var back = r is null or { State: InstanceState.Running };
                    store.FinishOperation(op.Id, back ? OperationState.Completed : OperationState.Failed, back ? null : "the instance did not come back");
                }
                continue;
            }
            var d = store.Deployment(op.Tenant, op.Deployment);
            var replicas = store.List().Where(r => r.Tenant == op.Tenant && r.Deployment == op.Deployment && ReplicaActions.Counts(r)).ToList();
            var verdict = OperationBounds.Evaluate(op, d, replicas, time.GetUtcNow(), BoundOf(op, d, replicas));
            if (verdict.State == OperationState.Failed)
            {
                store.FinishOperation(op.Id, OperationState.Failed, verdict.Error);
                LogOperation(logger, op.Id, op.Kind, op.Deployment, $"failed: {verdict.Error}");
                alerts.Raise(AlertKinds.OperationFailed, op.Tenant, op.Deployment, null, $"{op.Kind} of {op.Deployment} failed: {verdict.Error}", op.Id);
                continue;
            }
            if (verdict.State != OperationState.Completed || failuresOnly)
            {
                continue;
            }
            store.FinishOperation(op.Id, OperationState.Completed);
            LogOperation(logger, op.Id, op.Kind, op.Deployment, "completed");
            if (OperationParameters.Of(op) is ScaleParameters scale)
            {
                alerts.Raise(AlertKinds.VnfScaled, op.Tenant, op.Deployment, null,
                    $"{op.Deployment} scaled from {scale.PreviousReplicas?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "?"} to {d!.Replicas} replica(s)" +
                    (scale.Policy is { } policy ? $" by policy ({policy})" : ""), op.Id, new { from = scale.PreviousReplicas, to = d.Replicas, policy = scale.Policy });
            }
            else
            {
                alerts.Raise(AlertKinds.OperationCompleted, op.Tenant, op.Deployment, null, $"{op.Kind} of {op.Deployment} completed (operation {op.Id})", op.Id);
            }
        }
    }

    /// <summary>
    /// An LCM-API rollback (SOL003 ROLLING_BACK) ends ROLLED_BACK once the VNF has converged to the state before the
    /// operation (for a rolled-back instantiate: no replica left), or FAILED_TEMP again when that takes longer than its bound.
    /// </summary>
    private void CloseRollbacks(bool failuresOnly)
    {
        foreach (var op in store.Operations(OperationState.RollingBack))
        {
            var d = store.Deployment(op.Tenant, op.Deployment);
            var replicas = store.List().Where(r => r.Tenant == op.Tenant && r.Deployment == op.Deployment && ReplicaActions.Counts(r)).ToList();
            var done = d is null ? replicas.Count == 0
                : replicas.Count == d.Replicas && replicas.All(r => r.Version == d.Version && r.State == InstanceState.Running);
            if (done && !failuresOnly)
            {
                store.TransitionOperation(op.Id, new OperationTransition([OperationState.RollingBack], OperationState.RolledBack, op.Error));
                LogOperation(logger, op.Id, op.Kind, op.Deployment, "rolled back");
                alerts.Raise(AlertKinds.OperationFailed, op.Tenant, op.Deployment, null, $"{op.Kind} of {op.Deployment} was rolled back (operation {op.Id})");
            }
            else if (!done && time.GetUtcNow() - op.UpdatedAt > BoundOf(op, d, replicas))
            {
                store.FinishOperation(op.Id, OperationState.Failed, $"rollback did not complete: {replicas.Count} replica(s) left, wanted {d?.Replicas ?? 0}");
            }
        }
    }

    /// <summary>The bound of a processing operation, from the technology and health of the VNF's descriptor.</summary>
    private TimeSpan BoundOf(OperationRecord op, Deployment? d, IReadOnlyList<InstanceRecord> replicas)
    {
        var source = d is not null ? store.Descriptor(d.Tenant, d.Name, d.Version)?.Source : replicas.FirstOrDefault()?.Descriptor;
        var descriptor = source is null ? null : descriptors.Parsed(source);
        return Bounds.For(op, descriptor?.Spec.Technology ?? Technology.Process, descriptor?.Spec.Health ?? HealthSpec.Default,
            d?.Replicas ?? 0, replicas.Count);
    }

    /// <summary>
    /// A failed convergence rolls the VNF's pending operation back: desired state returns to what it was. False when
    /// no operation was pending (the failure is alerted; the VNF keeps converging toward its desired state).
    /// </summary>
    public bool RollBack(Deployment d, string error)
    {
        var op = store.Operations(OperationState.Processing).FirstOrDefault(o => o.Tenant == d.Tenant && o.Deployment == d.Name && o.Kind != OperationKinds.Heal);
        if (op is null)
        {
            alerts.Raise(AlertKinds.OperationFailed, d.Tenant, d.Name, null, $"{d.Name} could not converge: {error}");
            return false;
        }
        if (store.LcmOperation(op.Id) is not null)
        {
            // Started through the LCM API: stop at FAILED_TEMP with desired state as it is; the caller retries, rolls back or fails it.
            store.FinishOperation(op.Id, OperationState.Failed, error);
            alerts.Raise(AlertKinds.OperationFailed, d.Tenant, d.Name, null, $"{op.Kind} of {d.Name} failed (FAILED_TEMP, operation {op.Id}): {error}");
            return false;
        }
        var previous = OperationParameters.Of(op) switch
        {
            InstantiateParameters => null,
            ScaleParameters { PreviousReplicas: { } replicas } => d with { Replicas = replicas },
            UpdateParameters { PreviousVersion: { } version } => d with { Version = version },
            _ => d,
        };
        // Records the rollback itself as desired state (a crash now still converges to the old state), then closes the op.
        store.BeginOperation(d.Tenant, d.Name, previous, new RollbackParameters(op.Id));
        foreach (var rb in store.Operations(OperationState.Processing).Where(o => o.Kind == OperationKinds.Rollback && o.Deployment == d.Name))
        {
            store.FinishOperation(rb.Id, OperationState.Completed);
        }
        store.FinishOperation(op.Id, OperationState.RolledBack, error);
        alerts.Raise(AlertKinds.OperationFailed, d.Tenant, d.Name, null, $"{op.Kind} of {d.Name} failed and was rolled back: {error}", op.Id);
        kick();
        return true;
    }
}
