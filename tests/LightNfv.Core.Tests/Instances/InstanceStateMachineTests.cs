using LightNfv.Core.Errors;
using LightNfv.Core.Instances;

namespace LightNfv.Core.Tests.Instances;

public class InstanceStateMachineTests
{
    // The whole table: state -> (start, stop, restart, destroy, quarantine, release).
    private static readonly Dictionary<InstanceState, (bool Start, bool Stop, bool Restart, bool Destroy, bool Quarantine, bool Release)> s_table = new()
    {
        [InstanceState.Creating] = (false, false, false, true, false, false),
        [InstanceState.Created] = (true, false, false, true, false, false),
        [InstanceState.Running] = (false, true, true, true, true, false),
        [InstanceState.Stopping] = (false, false, false, true, false, false),
        [InstanceState.Stopped] = (true, false, true, true, false, false),
        [InstanceState.Exited] = (true, false, true, true, false, false),
        [InstanceState.Failed] = (false, false, true, true, false, false),
        [InstanceState.Destroying] = (false, false, false, true, false, false),
        [InstanceState.Quarantined] = (false, false, false, true, false, true),
    };

    public static TheoryData<InstanceState, LifecycleAction, bool> Table()
    {
        var data = new TheoryData<InstanceState, LifecycleAction, bool>();
        foreach (var (state, row) in s_table)
        {
            data.Add(state, LifecycleAction.Start, row.Start);
            data.Add(state, LifecycleAction.Stop, row.Stop);
            data.Add(state, LifecycleAction.Restart, row.Restart);
            data.Add(state, LifecycleAction.Destroy, row.Destroy);
            data.Add(state, LifecycleAction.Quarantine, row.Quarantine);
            data.Add(state, LifecycleAction.Release, row.Release);
        }
        return data;
    }

    [Fact]
    public void Table_covers_every_state()
    {
        s_table.Keys.Order().ShouldBe(Enum.GetValues<InstanceState>().Order());
        Enum.GetValues<LifecycleAction>().Length.ShouldBe(6);
    }

    [Theory]
    [MemberData(nameof(Table))]
    public void IsAllowed_follows_the_table(InstanceState state, LifecycleAction action, bool allowed)
    {
        InstanceStateMachine.IsAllowed(state, action).ShouldBe(allowed);
    }

    [Theory]
    [MemberData(nameof(Table))]
    public void EnsureAllowed_throws_exactly_when_forbidden(InstanceState state, LifecycleAction action, bool allowed)
    {
        if (allowed)
        {
            Should.NotThrow(() => InstanceStateMachine.EnsureAllowed("vnf-1", state, action));
            return;
        }
        var e = Should.Throw<LightNfvException>(() => InstanceStateMachine.EnsureAllowed("vnf-1", state, action));
        e.Kind.ShouldBe(ErrorKind.State);
        e.Message.ShouldContain("'vnf-1'");
        e.Message.ShouldContain($"state {state.ToString().ToLowerInvariant()}");
        e.Message.ShouldContain($"cannot {action.ToString().ToLowerInvariant()}");
        // After the colon comes the hint: why, and what to do.
        e.Message[(e.Message.LastIndexOf(':') + 1)..].Trim().ShouldNotBeEmpty();
    }

    [Theory]
    [InlineData(InstanceState.Running, LifecycleAction.Start, "already running")]
    [InlineData(InstanceState.Stopped, LifecycleAction.Stop, "not running")]
    [InlineData(InstanceState.Exited, LifecycleAction.Stop, "not running")]
    [InlineData(InstanceState.Created, LifecycleAction.Stop, "not running")]
    [InlineData(InstanceState.Creating, LifecycleAction.Start, "another operation is in progress")]
    [InlineData(InstanceState.Stopping, LifecycleAction.Restart, "another operation is in progress")]
    [InlineData(InstanceState.Destroying, LifecycleAction.Stop, "another operation is in progress")]
    [InlineData(InstanceState.Failed, LifecycleAction.Start, "lightnfv rm")]
    [InlineData(InstanceState.Failed, LifecycleAction.Stop, "restart it")]
    [InlineData(InstanceState.Created, LifecycleAction.Restart, "does not apply")]
    [InlineData(InstanceState.Quarantined, LifecycleAction.Start, "lightnfv release")]
    [InlineData(InstanceState.Quarantined, LifecycleAction.Quarantine, "already quarantined")]
    [InlineData(InstanceState.Running, LifecycleAction.Release, "not quarantined")]
    [InlineData(InstanceState.Stopped, LifecycleAction.Quarantine, "only a running instance")]
    public void Forbidden_actions_carry_a_hint(InstanceState state, LifecycleAction action, string hint)
    {
        var e = Should.Throw<LightNfvException>(() => InstanceStateMachine.EnsureAllowed("fw", state, action));
        e.Message.ShouldContain(hint);
    }

    [Fact]
    public void Message_reads_naturally()
    {
        var e = Should.Throw<LightNfvException>(() =>
            InstanceStateMachine.EnsureAllowed("iperf3", InstanceState.Running, LifecycleAction.Start));
        e.Message.ShouldBe("cannot start instance 'iperf3' in state running: it is already running");
    }

    [Fact]
    public void Destroy_is_always_allowed()
    {
        foreach (var state in Enum.GetValues<InstanceState>())
        {
            InstanceStateMachine.IsAllowed(state, LifecycleAction.Destroy).ShouldBeTrue($"destroy from {state}");
        }
    }

    [Fact]
    public void Only_running_expects_a_running_workload()
    {
        foreach (var state in Enum.GetValues<InstanceState>())
        {
            InstanceStateMachine.ExpectsRunning(state).ShouldBe(state == InstanceState.Running, state.ToString());
        }
    }
}
