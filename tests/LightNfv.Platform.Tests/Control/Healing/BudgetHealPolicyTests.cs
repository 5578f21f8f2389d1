using LightNfv.Core.Descriptors;
using LightNfv.Platform.Control.Healing;
using Microsoft.Extensions.Time.Testing;

namespace LightNfv.Platform.Tests.Control.Healing;

/// <summary>The heal policy alone on a virtual clock: cooldown, budget per window, the window sliding, reset.</summary>
public sealed class BudgetHealPolicyTests
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-12-04T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
    private static readonly HealthSpec Health = HealthSpec.Default with { Budget = 2, Cooldown = TimeSpan.FromSeconds(30) };

    [Fact]
    public void Cooldown_then_budget_then_the_window_slides()
    {
        var p = new BudgetHealPolicy(_time);
        p.Admit("a", Health).ShouldBe(HealVerdict.Heal);
        p.Admit("a", Health).ShouldBe(HealVerdict.Wait);
        _time.Advance(TimeSpan.FromSeconds(30));
        p.Admit("a", Health).ShouldBe(HealVerdict.Heal);
        _time.Advance(TimeSpan.FromSeconds(30));
        p.Admit("a", Health).ShouldBe(HealVerdict.BudgetUsedUp);
        p.Admit("b", Health).ShouldBe(HealVerdict.Heal, "each replica has its own budget");
        _time.Advance(HealthSpec.BudgetWindow);
        p.Admit("a", Health).ShouldBe(HealVerdict.Heal, "heals older than the window no longer count");
    }

    [Fact]
    public void Reset_clears_cooldown_and_budget_and_a_custom_window_applies()
    {
        var p = new BudgetHealPolicy(_time, new HealPolicyOptions { BudgetWindow = TimeSpan.FromMinutes(1) });
        p.Admit("a", Health).ShouldBe(HealVerdict.Heal);
        p.Reset("a");
        p.Admit("a", Health).ShouldBe(HealVerdict.Heal, "the reset cleared the cooldown");
        _time.Advance(TimeSpan.FromSeconds(30));
        p.Admit("a", Health).ShouldBe(HealVerdict.Heal);
        _time.Advance(TimeSpan.FromSeconds(30));
        p.Admit("a", Health).ShouldBe(HealVerdict.BudgetUsedUp);
        _time.Advance(TimeSpan.FromSeconds(1));
        p.Admit("a", Health).ShouldBe(HealVerdict.Heal, "the first heal left the one-minute window");
        p.BudgetWindow.ShouldBe(TimeSpan.FromMinutes(1));
    }
}
