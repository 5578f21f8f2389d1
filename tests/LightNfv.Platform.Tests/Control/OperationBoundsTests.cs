using System.Globalization;
using LightNfv.Core.Backends;
using LightNfv.Core.Descriptors;
using LightNfv.Core.Errors;
using LightNfv.Core.Instances;
using LightNfv.Platform.Control;
using LightNfv.Platform.Store;
using Microsoft.Extensions.Time.Testing;

namespace LightNfv.Platform.Tests.Control;

/// <summary>When an operation completes, fails at once, stays processing, or fails at its bound; and how the bound is set.</summary>
public sealed class OperationBoundsTests
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-12-04T00:00:00Z", CultureInfo.InvariantCulture));
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(45);

    private OperationRecord Op(string kind, int replicas = 2, int previous = 1) => new("op1", kind, "default", "web", OperationState.Processing,
        new Dictionary<string, string> { ["replicas"] = replicas.ToString(CultureInfo.InvariantCulture), ["previousReplicas"] = previous.ToString(CultureInfo.InvariantCulture) },
        null, _time.GetUtcNow(), _time.GetUtcNow());

    private static Deployment Desired(int replicas, int version = 1) => new("default", "web", version, replicas, default, default);

    private static InstanceRecord Replica(string id, InstanceState state, DateTimeOffset created, int version = 1, string? error = null) =>
        new(id, $"web-{id}", "default", Technology.Process, state, "10.0.0.2", "", InstanceFacts.None, null, created, created, error)
        {
            Deployment = "web",
            Version = version,
        };

    [Fact]
    public void Converged_scale_completes()
    {
        var op = Op(OperationKinds.Scale);
        var now = _time.GetUtcNow();
        var v = OperationBounds.Evaluate(op, Desired(2), [Replica("a", InstanceState.Running, now), Replica("b", InstanceState.Running, now)], now, Bound);
        v.State.ShouldBe(OperationState.Completed);
    }

    [Fact]
    public void A_replica_failed_before_the_scale_keeps_it_pending_until_replaced_then_the_bound_fails_it_with_the_reason()
    {
        var before = _time.GetUtcNow();
        _time.Advance(TimeSpan.FromSeconds(1));
        var op = Op(OperationKinds.Scale);
        IReadOnlyList<InstanceRecord> replicas = [Replica("a", InstanceState.Failed, before, error: "heal budget of 0 per 10 min used up"), Replica("b", InstanceState.Running, _time.GetUtcNow())];
        OperationBounds.Evaluate(op, Desired(2), replicas, _time.GetUtcNow(), Bound).State.ShouldBe(OperationState.Processing);
        _time.Advance(Bound - TimeSpan.FromMilliseconds(1));
        OperationBounds.Evaluate(op, Desired(2), replicas, _time.GetUtcNow(), Bound).State.ShouldBe(OperationState.Processing);
        _time.Advance(TimeSpan.FromMilliseconds(1));
        var v = OperationBounds.Evaluate(op, Desired(2), replicas, _time.GetUtcNow(), Bound);
        v.State.ShouldBe(OperationState.Failed);
        v.Error.ShouldNotBeNull().ShouldContain("did not complete within 45 s");
        v.Error.ShouldContain("have 1 running");
        v.Error.ShouldContain("web-a failed (heal budget of 0 per 10 min used up)");
    }

    [Fact]
    public void A_replica_made_for_the_operation_that_is_left_failed_fails_it_at_once()
    {
        var op = Op(OperationKinds.Scale);
        _time.Advance(TimeSpan.FromMilliseconds(300));
        var v = OperationBounds.Evaluate(op, Desired(2),
            [Replica("a", InstanceState.Running, op.CreatedAt.AddMinutes(-5)), Replica("b", InstanceState.Failed, _time.GetUtcNow(), error: "heal budget of 0 per 10 min used up")],
            _time.GetUtcNow(), Bound);
        v.State.ShouldBe(OperationState.Failed);
        v.Error.ShouldNotBeNull().ShouldContain("web-b (b) made for this scale is failed: heal budget");
    }

    [Fact]
    public void Terminate_completes_when_nothing_is_left_and_fails_at_its_bound_naming_what_is()
    {
        var op = Op(OperationKinds.Terminate);
        OperationBounds.Evaluate(op, null, [], _time.GetUtcNow(), Bound).State.ShouldBe(OperationState.Completed);
        IReadOnlyList<InstanceRecord> stuck = [Replica("a", InstanceState.Destroying, _time.GetUtcNow())];
        OperationBounds.Evaluate(op, null, stuck, _time.GetUtcNow(), Bound).State.ShouldBe(OperationState.Processing);
        _time.Advance(Bound);
        var v = OperationBounds.Evaluate(op, null, stuck, _time.GetUtcNow(), Bound);
        v.State.ShouldBe(OperationState.Failed);
        v.Error.ShouldNotBeNull().ShouldContain("wanted 0 replicas");
        v.Error.ShouldContain("web-a destroying");
    }

    [Fact]
    public void Default_bound_grows_with_the_replicas_to_start_and_the_technology()
    {
        var bounds = new OperationBounds();
        var health = HealthSpec.Default with { Interval = TimeSpan.FromSeconds(1), FailureThreshold = 3, Timeout = TimeSpan.FromMilliseconds(200) };
        OperationBounds.ProbeBudget(health).ShouldBe(TimeSpan.FromMilliseconds(3200));
        var one = bounds.For(Op(OperationKinds.Instantiate, replicas: 1), Technology.Process, health, 1, 0);
        one.ShouldBe(OperationBounds.Base + OperationBounds.StartTime(Technology.Process) + TimeSpan.FromMilliseconds(3200));
        bounds.For(Op(OperationKinds.Instantiate, replicas: 4), Technology.Process, health, 4, 0).ShouldBeGreaterThan(one);
        bounds.For(Op(OperationKinds.Instantiate, replicas: 1), Technology.StandardVm, health, 1, 0).ShouldBeGreaterThan(one);
        // Scale 1 -> 2 counts one more for the failed replicas it may replace.
        bounds.For(Op(OperationKinds.Scale, 2, 1), Technology.Process, health, 2, 1).ShouldBe(OperationBounds.Base + 2 * (OperationBounds.StartTime(Technology.Process) + TimeSpan.FromMilliseconds(3200)));
    }

    [Fact]
    public void The_environment_overrides_per_kind_or_for_all()
    {
        var health = HealthSpec.Default;
        var all = OperationBounds.Parse("90s");
        all.For(Op(OperationKinds.Update), Technology.Process, health, 1, 1).ShouldBe(TimeSpan.FromSeconds(90));
        var some = OperationBounds.Parse("scale=60s, update=10m");
        some.For(Op(OperationKinds.Scale), Technology.Process, health, 1, 1).ShouldBe(TimeSpan.FromSeconds(60));
        some.For(Op(OperationKinds.Update), Technology.Process, health, 1, 1).ShouldBe(TimeSpan.FromMinutes(10));
        some.For(Op(OperationKinds.Terminate), Technology.Process, health, 0, 1).ShouldBe(new OperationBounds().For(Op(OperationKinds.Terminate), Technology.Process, health, 0, 1));
        OperationBounds.Parse(null).Overrides.ShouldBeEmpty();
    }

    [Theory]
    [InlineData("fast", "is not a duration")]
    [InlineData("scale=500ms", "is not a duration")]
    [InlineData("reboot=60s", "is not an operation kind")]
    [InlineData("scale=48h", "is not a duration")]
    public void A_bad_environment_value_is_refused_naming_the_variable(string text, string message)
    {
        var e = Should.Throw<LightNfvException>(() => OperationBounds.Parse(text));
        e.Message.ShouldContain("LIGHTNFV_OPERATION_TIMEOUT");
        e.Message.ShouldContain(message);
    }
}
