using LightNfv.Core.Descriptors;

namespace LightNfv.Platform.Control.Healing;

/// <summary>What a heal policy says of one heal that is due.</summary>
public enum HealVerdict
{
    /// <summary>Heal now (the heal is counted).</summary>
    Heal,

    /// <summary>Not yet: the replica's cooldown since its last heal has not passed. Ask again on a later pass.</summary>
    Wait,

    /// <summary>Never within the budget window: leave the replica failed until an operator asks for a heal.</summary>
    BudgetUsedUp,
}

/// <summary>
/// Decides whether a replica may be healed now. The descriptor's health section sets the numbers
/// (<see cref="HealthSpec.Budget"/>, <see cref="HealthSpec.Cooldown"/>); the policy keeps each replica's history.
/// </summary>
public interface IHealPolicy
{
    /// <summary>The verdict for healing <paramref name="instanceId"/> now; a <see cref="HealVerdict.Heal"/> is recorded.</summary>
    HealVerdict Admit(string instanceId, HealthSpec health);

    /// <summary>An operator asked for the heal: the replica's budget and cooldown start over.</summary>
    void Reset(string instanceId);

    /// <summary>The replica is gone: forget its history.</summary>
    void Forget(string instanceId);

    /// <summary>The window a budget counts heals in (for messages).</summary>
    TimeSpan BudgetWindow { get; }
}
