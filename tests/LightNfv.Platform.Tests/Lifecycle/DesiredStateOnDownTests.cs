using LightNfv.Platform.Control;
using LightNfv.Platform.Lifecycle;
using LightNfv.Platform.Store;

namespace LightNfv.Platform.Tests.Lifecycle;

/// <summary>
/// `down` keeps the VNFs' desired state and names it (so an operator knows the next `serve` brings them back), and
/// with --purge removes it, recording one terminate operation per VNF.
/// </summary>
public sealed class DesiredStateOnDownTests
{
    private static PlatformStore StoreWithTwoVnfs()
    {
        var store = new PlatformStore(":memory:");
        var now = DateTimeOffset.UtcNow;
        foreach (var (tenant, name) in new[] { ("default", "echo"), ("acme", "fw") })
        {
            var op = store.BeginOperation(OperationKinds.Instantiate, tenant, name, new Deployment(tenant, name, 1, 2, now, now), new Dictionary<string, string>());
            store.FinishOperation(op.Id, OperationState.Completed);
        }
        return store;
    }

    [Fact]
    public void Without_purge_the_desired_state_stays_and_is_named()
    {
        using var store = StoreWithTwoVnfs();
        var kept = DesiredStateOnDown.Apply(store, purge: false);
        kept.ShouldBe(["acme/fw", "default/echo"], ignoreOrder: true);
        store.Deployments().Count.ShouldBe(2);
        DesiredStateOnDown.Describe(kept, purged: false, "--purge").ShouldNotBeNull()
            .ShouldContain("kept the desired state of 2 VNF(s)");
    }

    [Fact]
    public void With_purge_the_desired_state_is_removed_by_a_terminate_operation_each()
    {
        using var store = StoreWithTwoVnfs();
        var removed = DesiredStateOnDown.Apply(store, purge: true);
        removed.Count.ShouldBe(2);
        store.Deployments().ShouldBeEmpty();
        DesiredStateOnDown.Describe(removed, purged: true, "--purge").ShouldNotBeNull().ShouldContain("removed the desired state of 2 VNF(s)");
        DesiredStateOnDown.Describe([], purged: false, "--purge").ShouldBeNull();
    }
}
