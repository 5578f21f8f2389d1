using System.Collections.Concurrent;
using LightNfv.Core.Descriptors;

namespace LightNfv.Platform.Control.Healing;

/// <summary>
/// At most <see cref="HealthSpec.Budget"/> heals of one replica per budget window, and none sooner than
/// <see cref="HealthSpec.Cooldown"/> after the last one: a VNF that crashes at once on every start is left failed
/// (and alerted) instead of restarted in a loop, and a flapping one is restarted at a bounded rate. Time comes from the
/// injected <see cref="TimeProvider"/>, so tests step a virtual clock through the window.
/// </summary>
public sealed class BudgetHealPolicy(TimeProvider time, HealPolicyOptions? options = null) : IHealPolicy
{
    private sealed class History
    {
        public readonly List<DateTimeOffset> Heals = [];
        public DateTimeOffset NotBefore;
    }

    private readonly ConcurrentDictionary<string, History> _histories = new(StringComparer.Ordinal);
    private readonly HealPolicyOptions _options = options ?? new HealPolicyOptions();

    public TimeSpan BudgetWindow => _options.BudgetWindow;

    public HealVerdict Admit(string instanceId, HealthSpec health)
    {
        var history = _histories.GetOrAdd(instanceId, _ => new History());
        var now = time.GetUtcNow();
        lock (history)
        {
            if (now < history.NotBefore)
            {
                return HealVerdict.Wait;
            }
            history.Heals.RemoveAll(t => now - t > _options.BudgetWindow);
            if (history.Heals.Count >= health.Budget)
            {
                return HealVerdict.BudgetUsedUp;
            }
            history.Heals.Add(now);
            history.NotBefore = now + health.Cooldown;
            return HealVerdict.Heal;
        }
    }

    public void Reset(string instanceId)
    {
        if (_histories.TryGetValue(instanceId, out var h))
        {
            lock (h)
            {
                h.Heals.Clear();
                h.NotBefore = default;
            }
        }
    }

    public void Forget(string instanceId) => _histories.TryRemove(instanceId, out _);
}
