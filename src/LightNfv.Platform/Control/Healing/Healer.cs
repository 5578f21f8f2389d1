using System.Diagnostics;
using System.Globalization;
using LightNfv.Core.Backends;
using LightNfv.Core.Descriptors;
using LightNfv.Core.Errors;
using LightNfv.Core.Identity;
using LightNfv.Core.Instances;
using LightNfv.Core.Tenants;
using LightNfv.Platform.Alerts;
using LightNfv.Platform.Audit;
using LightNfv.Platform.Control.Liveness;
using LightNfv.Platform.Control.Operations;
using LightNfv.Platform.Store;

namespace LightNfv.Platform.Control.Healing;

/// <summary>
/// Heals replicas whose process ended, whose probe failed, or that an operator named: restarts them in place or
/// recreates them (per descriptor), within the heal policy's budget and cooldown (<see cref="IHealPolicy"/>). Each heal
/// is an operation record (the operator's, or one of its own) and raises alerts. Runs inside a reconcile pass.
/// </summary>
public sealed class Healer(PlatformStore store, ReplicaActions replicas, HealQueue queue, IHealPolicy policy, LivenessTracker liveness, AlertHub alerts)
{
    private long _healCount;

    /// <summary>Heals done since start, for /metrics.</summary>
    public long HealCount => Interlocked.Read(ref _healCount);

    /// <summary>What the backend sees of a replica now.</summary>
    public ObservedState Observe(InstanceRecord r) => replicas.Instances.Observe(r);

    /// <summary>Heals a replica now whatever its state says (an operator's request): its budget starts over.</summary>
    public void Request(string instanceId, string reason, string? operationId)
    {
        policy.Reset(instanceId);
        queue.Enqueue(new HealRequest(instanceId, reason, true, operationId, Requested: true));
    }

    /// <summary>Does every waiting heal; those in their cooldown wait for a later pass.</summary>
    public async Task RunPendingAsync(CancellationToken ct)
    {
        // The heals are the platform's own actions (the audit trail's actor); an async method's change is undone on return.
        Caller.Current = Caller.System("heal");
        var deferred = new List<HealRequest>();
        foreach (var h in queue.TakeAll())
        {
            if (!await HealAsync(h, ct).ConfigureAwait(false))
            {
                deferred.Add(h);
            }
        }
        queue.Defer(deferred);
    }

    /// <summary>Returns false when the heal must wait (cooldown); true when done or not needed.</summary>
    private async Task<bool> HealAsync(HealRequest request, CancellationToken ct)
    {
        // Under the replica's gate: a quarantine arriving meanwhile waits for the heal, and one done before is seen here.
        using (await replicas.HoldAsync(request.InstanceId, ct).ConfigureAwait(false))
        {
            return await HealHeldAsync(request, ct).ConfigureAwait(false);
        }
    }

    private async Task<bool> HealHeldAsync(HealRequest request, CancellationToken ct)
    {
        var r = store.Get(request.InstanceId);
        // A quarantined replica is held frozen for inspection: never restarted or recreated (its VNF has a replacement).
        if (r?.Deployment is null || r.State is InstanceState.Stopped or InstanceState.Creating or InstanceState.Destroying or InstanceState.Quarantined ||
            store.Deployment(r.Tenant, r.Deployment) is not { } d)
        {
            Finish(request, OperationState.Completed, null);
            return true;
        }
        if (!request.Forced && r.State == InstanceState.Running && replicas.Instances.Observe(r) == ObservedState.Running)
        {
            return true; // a stale report: it runs
        }
        var health = DescriptorParser.Parse(r.Descriptor).Spec.Health ?? HealthSpec.Default;
        switch (policy.Admit(r.Id, health))
        {
            case HealVerdict.Wait:
                return false;
            case HealVerdict.BudgetUsedUp:
                var window = policy.BudgetWindow.TotalMinutes.ToString("0", CultureInfo.InvariantCulture);
                if (r.State != InstanceState.Failed)
                {
                    store.Update(r.Id, InstanceState.Failed, error: $"heal budget of {health.Budget} per {window} min used up");
                    alerts.Raise(AlertKinds.QuotaReached, r.Tenant, r.Deployment, r.Id,
                        $"{r.Name}: {request.Reason}; heal budget ({health.Budget} per {window} min) used up, left failed (run 'lightnfv vnf heal {r.Deployment}' to retry)");
                }
                Finish(request, OperationState.Failed, "heal budget used up");
                return true;
        }
        var started = Stopwatch.GetTimestamp();
        if (!request.Requested)
        {
            alerts.Raise(AlertKinds.InstanceFailed, r.Tenant, r.Deployment, r.Id, $"{r.Name}: {request.Reason}");
        }
        var opId = request.OperationId ?? store.BeginOperation(r.Tenant, r.Deployment, d, new HealParameters([r.Id], request.Reason, health.Action)).Id;
        request = request with { OperationId = opId };
        try
        {
            replicas.Unwatch(r.Id);
            liveness.Forget(r.Id);
            if (health.Action == HealAction.Restart && r.State != InstanceState.Failed)
            {
                // Stop first, also when the process is already dead: it kills stragglers in the cgroup and reaps the
                // dead VNF's supervisor (our child as subreaper), so heals leave no zombies behind.
                await replicas.Instances.StopForHealAsync(r, request.Reason, ct).ConfigureAwait(false);
                var restarted = await replicas.Instances.StartAsync(r.Id, ct).ConfigureAwait(false);
                replicas.Watch(restarted);
            }
            else
            {
                // The quota before the removal: a replacement the reservation would refuse must not cost the old replica.
                var next = DescriptorParser.Parse(store.Descriptor(d.Tenant, d.Name, d.Version)!.Source);
                store.CheckQuota(r.Tenant, TenantUsage.Of(next.Spec.Resources), $"healing '{r.Name}' by recreating it",
                    freed: TenantUsage.Of(DescriptorParser.Parse(r.Descriptor).Spec.Resources));
                await replicas.RemoveHeldAsync(r, ct).ConfigureAwait(false);
                await replicas.CreateAsync(d, next, ct).ConfigureAwait(false);
            }
            Interlocked.Increment(ref _healCount);
            var ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            store.Record(AuditActions.ReplicaHeal, r.Tenant, $"instance/{r.Name}", AuditOf(r, request, health), null);
            Finish(request, OperationState.Completed, null);
            alerts.Raise(AlertKinds.InstanceHealed, r.Tenant, r.Deployment, r.Id,
                $"{r.Name}: {(health.Action == HealAction.Restart ? "restarted" : "recreated")} in {ms.ToString("0.0", CultureInfo.InvariantCulture)} ms");
        }
        catch (Exception e) when (e is LightNfvException or IOException)
        {
            Finish(request, OperationState.Failed, e.Message);
            store.Record(AuditActions.ReplicaHeal, r.Tenant, $"instance/{r.Name}", AuditOf(r, request, health), e);
            store.Update(r.Id, InstanceState.Failed, error: $"heal failed: {e.Message}");
            alerts.Raise(e is LightNfvException { Kind: ErrorKind.Quota } ? AlertKinds.QuotaReached : AlertKinds.OperationFailed, r.Tenant, r.Deployment, r.Id,
                $"heal of {r.Name} failed: {e.Message}");
        }
        return true;
    }

    private static object AuditOf(InstanceRecord r, HealRequest request, HealthSpec health) =>
        new { vnf = r.Deployment, id = r.Id, reason = request.Reason, action = health.Action.ToString().ToLowerInvariant(), operation = request.OperationId };

    private void Finish(HealRequest request, OperationState state, string? error)
    {
        if (request.OperationId is { } id && store.Operation(id) is { State: OperationState.Processing })
        {
            store.FinishOperation(id, state, error);
        }
    }
}
