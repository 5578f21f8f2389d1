using LightNfv.Core.Descriptors;
using LightNfv.Platform.Control.Liveness;
using Microsoft.Extensions.Time.Testing;

namespace LightNfv.Platform.Tests.Control.Liveness;

/// <summary>The liveness schedule on a virtual clock: first probe after one interval, threshold, reset, hold, one probe in flight.</summary>
public sealed class LivenessTrackerTests
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-12-04T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
    private static readonly HealthSpec Health = HealthSpec.Default with
    {
        TcpPort = 5201,
        Interval = TimeSpan.FromMilliseconds(500),
        FailureThreshold = 3,
        Cooldown = TimeSpan.FromSeconds(2),
    };

    [Fact]
    public void A_new_replica_is_first_probed_one_interval_later()
    {
        var t = new LivenessTracker(_time);
        t.TryBegin("a", Health).ShouldBeFalse();
        _time.Advance(TimeSpan.FromMilliseconds(499));
        t.TryBegin("a", Health).ShouldBeFalse();
        _time.Advance(TimeSpan.FromMilliseconds(1));
        t.TryBegin("a", Health).ShouldBeTrue();
    }

    [Fact]
    public void Only_one_probe_per_replica_is_in_flight()
    {
        var t = new LivenessTracker(_time);
        t.TryBegin("a", Health);
        _time.Advance(Health.Interval);
        t.TryBegin("a", Health).ShouldBeTrue();
        _time.Advance(Health.Interval * 5);
        t.TryBegin("a", Health).ShouldBeFalse("the first probe has not completed");
        t.Complete("a", Health, null);
        t.TryBegin("a", Health).ShouldBeTrue();
    }

    [Fact]
    public void The_threshold_th_failure_in_a_row_asks_for_a_heal_with_the_last_reason()
    {
        var t = new LivenessTracker(_time);
        t.TryBegin("a", Health);
        string? heal = null;
        for (var i = 1; i <= Health.FailureThreshold; i++)
        {
            _time.Advance(Health.Interval);
            t.TryBegin("a", Health).ShouldBeTrue();
            heal = t.Complete("a", Health, $"failure {i}");
            if (i < Health.FailureThreshold)
            {
                heal.ShouldBeNull();
                t.FailuresOf("a").ShouldBe(i);
            }
        }
        heal.ShouldNotBeNull().ShouldContain("tcp:5201");
        heal.ShouldContain($"{Health.FailureThreshold} time(s) in a row: failure {Health.FailureThreshold}");
        t.FailuresOf("a").ShouldBe(0, "the count starts over after a heal request");
    }

    [Fact]
    public void A_pass_resets_the_count()
    {
        var t = new LivenessTracker(_time);
        t.TryBegin("a", Health);
        foreach (var failure in new[] { "x", "x", null, "x", "x" })
        {
            _time.Advance(Health.Interval);
            t.TryBegin("a", Health).ShouldBeTrue();
            t.Complete("a", Health, failure).ShouldBeNull();
        }
        t.FailuresOf("a").ShouldBe(2);
    }

    [Fact]
    public void After_a_heal_request_the_next_probe_waits_the_interval_and_the_cooldown()
    {
        var t = new LivenessTracker(_time);
        var single = Health with { FailureThreshold = 1 };
        t.TryBegin("a", single);
        _time.Advance(single.Interval);
        t.TryBegin("a", single).ShouldBeTrue();
        t.Complete("a", single, "down").ShouldNotBeNull();
        _time.Advance(single.Interval + single.Cooldown - TimeSpan.FromMilliseconds(1));
        t.TryBegin("a", single).ShouldBeFalse();
        _time.Advance(TimeSpan.FromMilliseconds(1));
        t.TryBegin("a", single).ShouldBeTrue();
    }

    [Fact]
    public void A_held_replica_is_not_counted_against()
    {
        var t = new LivenessTracker(_time);
        t.TryBegin("a", Health);
        _time.Advance(Health.Interval);
        t.TryBegin("a", Health);
        t.Complete("a", Health, "x");
        _time.Advance(Health.Interval);
        t.TryBegin("a", Health).ShouldBeTrue();
        t.Held("a");
        t.FailuresOf("a").ShouldBe(0);
        _time.Advance(Health.Interval);
        t.TryBegin("a", Health).ShouldBeTrue("a hold ends the probe in flight");
    }

    [Fact]
    public void An_outcome_for_a_forgotten_replica_is_ignored()
    {
        var t = new LivenessTracker(_time);
        var single = Health with { FailureThreshold = 1 };
        t.TryBegin("a", single);
        _time.Advance(single.Interval);
        t.TryBegin("a", single).ShouldBeTrue();
        t.Forget("a"); // healed or removed while the probe ran
        t.Complete("a", single, "down").ShouldBeNull();
    }
}
