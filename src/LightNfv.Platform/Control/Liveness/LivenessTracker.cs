using System.Collections.Concurrent;
using System.Globalization;
using LightNfv.Core.Descriptors;

namespace LightNfv.Platform.Control.Liveness;

/// <summary>
/// When each replica's liveness probe is due and how many of them failed in a row. A replica seen for the first time
/// (or again after a heal) is first probed one interval later, so a fresh process has time to listen. After
/// failureThreshold failures in a row the replica is to be healed, and is not probed again before one interval plus
/// the heal cooldown. So a VNF that stops answering is found within interval x failureThreshold plus one probe timeout
/// (its next probe comes at most one interval after it stopped), and healed after that within the restart.
/// At most one probe per replica is in flight: a slow probe (up to its timeout) never piles up.
/// </summary>
public sealed class LivenessTracker(TimeProvider time)
{
    private sealed class State
    {
        public int Failures;
        public DateTimeOffset Next;
        public bool InFlight;
        public string? LastFailure;
    }

    private readonly ConcurrentDictionary<string, State> _states = new(StringComparer.Ordinal);

    /// <summary>True when a probe of <paramref name="id"/> is due now; it is then in flight until <see cref="Complete"/>.</summary>
    public bool TryBegin(string id, HealthSpec health)
    {
        var now = time.GetUtcNow();
        var s = _states.GetOrAdd(id, _ => new State { Next = now + health.Interval });
        lock (s)
        {
            if (s.InFlight || now < s.Next)
            {
                return false;
            }
            s.InFlight = true;
            s.Next = now + health.Interval;
            return true;
        }
    }

    /// <summary>
    /// Records a probe's outcome: <paramref name="failure"/> null when it passed. Returns the heal reason when this
    /// failure reaches the threshold (the count then starts over), else null.
    /// </summary>
    public string? Complete(string id, HealthSpec health, string? failure)
    {
        if (!_states.TryGetValue(id, out var s))
        {
            return null; // forgotten meanwhile (removed or healed): the outcome is about a process that is gone
        }
        lock (s)
        {
            s.InFlight = false;
            if (failure is null)
            {
                s.Failures = 0;
                s.LastFailure = null;
                return null;
            }
            s.LastFailure = failure;
            if (++s.Failures < health.FailureThreshold)
            {
                return null;
            }
            s.Failures = 0;
            s.Next = time.GetUtcNow() + health.Interval + health.Cooldown;
            return string.Create(CultureInfo.InvariantCulture,
                $"liveness probe {health.ProbeName} failed {health.FailureThreshold} time(s) in a row: {failure}");
        }
    }

    /// <summary>
    /// A replica held on purpose (its cgroup is frozen): the probe does not count against it, and its failures start
    /// over, so thawing it never heals it for what happened while it was frozen.
    /// </summary>
    public void Held(string id)
    {
        if (_states.TryGetValue(id, out var s))
        {
            lock (s)
            {
                s.InFlight = false;
                s.Failures = 0;
                s.LastFailure = null;
            }
        }
    }

    /// <summary>Failures in a row so far (for tests and status).</summary>
    public int FailuresOf(string id) => _states.TryGetValue(id, out var s) ? s.Failures : 0;

    /// <summary>True while the replica's last probe failed (it may not have reached the threshold yet).</summary>
    public bool IsFailing(string id) => _states.TryGetValue(id, out var s) && s.LastFailure is not null;

    /// <summary>Forgets a replica (removed, or healed: the next probe waits an interval again).</summary>
    public void Forget(string id) => _states.TryRemove(id, out _);

    /// <summary>Forgets replicas that are no longer probed.</summary>
    public void Retain(IReadOnlySet<string> ids)
    {
        foreach (var id in _states.Keys.Where(k => !ids.Contains(k)).ToList())
        {
            _states.TryRemove(id, out _);
        }
    }
}
