using System.Diagnostics;
using LightNfv.Core.Backends;
using LightNfv.Core.Identity;
using LightNfv.Core.Instances;
using LightNfv.Platform.Audit;
using LightNfv.Platform.Control.Healing;
using LightNfv.Platform.Store;
using Microsoft.Extensions.Logging;

namespace LightNfv.Platform.Control.Adoption;

/// <summary>What the daemon found and did at start-up (GET /api/v1/status reports it).</summary>
public sealed record AdoptionReport(int Adopted, int Healed, int HalfDoneRemoved, int OrphansRemoved, double ElapsedMs, DateTimeOffset At);

/// <summary>
/// Takes over what runs when the daemon starts: a running replica whose process is still the recorded one (pid and
/// start time, so a recycled pid is never taken for ours) is watched again; one whose process ended, or found exited,
/// is queued for a heal; one cut short while being created or removed is removed (convergence makes a fresh one if
/// still wanted); then host resources no record owns are swept (<see cref="IOrphanSweep"/>). Instances made by
/// `lightnfv run` are the operator's and left alone. The caller holds the reconciler's mutation lock.
/// </summary>
public sealed partial class ReplicaAdoption(PlatformStore store, ReplicaActions replicas, HealQueue heals, IOrphanSweep orphans, TimeProvider time, ILogger logger)
{
    public AdoptionReport Adopt()
    {
        using var caller = Caller.Use(Caller.System("adoption"));
        var sw = Stopwatch.StartNew();
        int adopted = 0, healed = 0, halfDone = 0;
        foreach (var r in store.List())
        {
            if (r.Deployment is null)
            {
                continue; // made by `lightnfv run`: the operator's, not the reconciler's
            }
            switch (r.State)
            {
                case InstanceState.Creating or InstanceState.Destroying:
                    // Cut short by a crash: its create never finished (or its removal began).
                    replicas.RemoveQuietly(r, "half-done at start-up");
                    store.Record(AuditActions.ReplicaRemoveHalfDone, r.Tenant, $"instance/{r.Name}", new { vnf = r.Deployment, id = r.Id, state = r.State.ToString() }, null);
                    halfDone++;
                    break;
                case InstanceState.Running:
                    if (replicas.Instances.Observe(r) == ObservedState.Running && replicas.Watch(r))
                    {
                        adopted++;
                        store.Record(AuditActions.ReplicaAdopt, r.Tenant, $"instance/{r.Name}", new { vnf = r.Deployment, id = r.Id }, null);
                    }
                    else
                    {
                        heals.Enqueue(new HealRequest(r.Id, "its process ended while the daemon was down", false, null));
                        healed++;
                    }
                    break;
                case InstanceState.Exited:
                    heals.Enqueue(new HealRequest(r.Id, "found exited at start-up", false, null));
                    healed++;
                    break;
            }
        }
        var swept = orphans.Sweep(store.List().Select(r => r.Id).ToHashSet(StringComparer.Ordinal));
        var report = new AdoptionReport(adopted, healed, halfDone, swept, sw.Elapsed.TotalMilliseconds, time.GetUtcNow());
        LogAdopted(logger, adopted, healed, halfDone, swept, sw.Elapsed.TotalMilliseconds);
        return report;
    }
}
