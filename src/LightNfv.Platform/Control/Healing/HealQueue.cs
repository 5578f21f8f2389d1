using System.Collections.Concurrent;

namespace LightNfv.Platform.Control.Healing;

/// <summary>A heal to do: which replica, why, whether it is forced (a probe's or an operator's verdict), and its operation.</summary>
/// <param name="Forced">False for a report that the replica's process ended: a replica found running again is left alone.</param>
/// <param name="Requested">An operator asked for it: the replica is healed, not failed, so no instance.failed alert.</param>
public sealed record HealRequest(string InstanceId, string Reason, bool Forced, string? OperationId, bool Requested = false);

/// <summary>
/// Heals waiting for the next reconcile pass. Anything may add one (an exit watch, a probe, the API, adoption); only
/// the pass takes them, under the reconciler's lock. Each addition asks for a pass.
/// </summary>
public sealed class HealQueue(Action kick)
{
    private readonly ConcurrentQueue<HealRequest> _queue = new();

    public void Enqueue(HealRequest request)
    {
        _queue.Enqueue(request);
        kick();
    }

    /// <summary>Takes every waiting heal (those added meanwhile wait for the next pass).</summary>
    public List<HealRequest> TakeAll()
    {
        var taken = new List<HealRequest>();
        while (_queue.TryDequeue(out var h))
        {
            taken.Add(h);
        }
        return taken;
    }

    /// <summary>Puts back heals that must wait (cooldown), without asking for a pass: the loop's interval comes back to them.</summary>
    public void Defer(IEnumerable<HealRequest> requests)
    {
        foreach (var h in requests)
        {
            _queue.Enqueue(h);
        }
    }

    /// <summary>Whether a heal recorded as <paramref name="operationId"/> still waits.</summary>
    public bool HasOperation(string operationId) => _queue.Any(h => h.OperationId == operationId);

    public int Count => _queue.Count;
}
