using LightNfv.Core.Descriptors;

namespace LightNfv.Platform.Control.Healing;

/// <summary>Options of <see cref="BudgetHealPolicy"/>.</summary>
public sealed class HealPolicyOptions
{
    /// <summary>How far back heals count against a replica's budget (descriptors give the budget per this window).</summary>
    public TimeSpan BudgetWindow { get; set; } = HealthSpec.BudgetWindow;
}
