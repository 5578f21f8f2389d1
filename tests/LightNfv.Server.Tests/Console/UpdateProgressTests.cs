using LightNfv.Core.Backends;
using LightNfv.Core.Descriptors;
using LightNfv.Core.Instances;
using LightNfv.Platform.Control;
using LightNfv.Platform.Store;
using LightNfv.Server.Console;

namespace LightNfv.Server.Tests.Console;

/// <summary>The VNF page's rolling-update line: the newest update of that VNF, replicas running at its version, its end.</summary>
public sealed class UpdateProgressTests
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.Parse("2026-12-06T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture);
    private static readonly Deployment Web = new("a", "web", 2, 3, T0, T0);

    private static OperationRecord Op(string id, string kind, OperationState state, int minutes, string? error = null, string tenant = "a", string vnf = "web") =>
        new(id, kind, tenant, vnf, state, new Dictionary<string, string> { ["version"] = "3", ["previousVersion"] = "2" }, error, T0.AddMinutes(minutes), T0.AddMinutes(minutes));

    private static InstanceRecord Replica(string id, int version, InstanceState state = InstanceState.Running) =>
        new(id, id, "a", Technology.Process, state, "10.0.0.2", "", InstanceFacts.None, null, T0, T0, null) { Deployment = "web", Version = version };

    [Fact]
    public void A_running_update_counts_the_running_replicas_at_its_version()
    {
        var replicas = new[] { Replica("r1", 3), Replica("r2", 3, InstanceState.Creating), Replica("r3", 2), Replica("r4", 2) };
        var ops = new[] { Op("old", OperationKinds.Update, OperationState.Completed, 1), Op("now", OperationKinds.Update, OperationState.Processing, 5),
            Op("scale", OperationKinds.Scale, OperationState.Processing, 6), Op("other", OperationKinds.Update, OperationState.Processing, 7, vnf: "db") };

        var u = UpdateProgress.Of(Web, replicas, ops).ShouldNotBeNull();

        (u.OperationId, u.Version, u.From, u.Updated, u.Total, u.Running).ShouldBe(("now", 3, 2, 1, 3, true));
        u.Describe().ShouldBe("Rolling update to version 3 (from 2): 1 of 3 replicas updated");
    }

    [Fact]
    public void An_ended_update_says_how_and_why_and_a_vnf_never_updated_shows_nothing()
    {
        var rolledBack = UpdateProgress.Of(Web, [Replica("r1", 2)], [Op("u", OperationKinds.Update, OperationState.RolledBack, 1, "replica v3 never answered its probe")]);
        rolledBack!.Describe().ShouldBe("Update to version 3 rolled back: replica v3 never answered its probe");
        rolledBack.Running.ShouldBeFalse();

        UpdateProgress.Of(Web, [Replica("r1", 2)], [Op("s", OperationKinds.Scale, OperationState.Completed, 1)]).ShouldBeNull();
        UpdateProgress.Of(Web, [Replica("r1", 2)], [Op("u", OperationKinds.Update, OperationState.Processing, 1, tenant: "b")]).ShouldBeNull("another tenant's VNF of the same name");
    }
}
