using LightNfv.Platform.Control;
using LightNfv.Platform.Lifecycle;

namespace LightNfv.Server.Api;

/// <summary>
/// POST /api/v1/instances/{id}/quarantine and .../release: each parses into one call of the <see cref="Reconciler"/>,
/// which holds a VNF's replica out of healing and gives its VNF a replacement (a standalone instance is frozen alone).
/// Any instance of the caller's tenant, replica or standalone: a suspect replica must not wait for a VNF operation.
/// </summary>
public static class InstanceQuarantineApi
{
    public static void Map(RouteGroupBuilder instances)
    {
        instances.MapPost("/{id}/quarantine", async (string id, InstanceService service, Reconciler reconciler, CancellationToken ct) =>
            QuarantineDto.Of(await reconciler.QuarantineAsync(service.Resolve(id), ct).ConfigureAwait(false)))
            .WithSummary("Quarantine a running instance: its port cut from its segment and its workload frozen (cgroup freezer, docker pause, QMP stop), " +
                "memory kept; a VNF's replica stops counting as serving and gets a replacement");

        instances.MapPost("/{id}/release", async (string id, InstanceService service, Reconciler reconciler, CancellationToken ct) =>
            InstanceDto.Of(await reconciler.ReleaseAsync(service.Resolve(id), ct).ConfigureAwait(false)))
            .WithSummary("End a quarantine: thaw the workload and rejoin its port; a VNF then trims its newest surplus replica");
    }
}

/// <summary>
/// A quarantine's answer: the instance, how it was frozen, the port cut (null when it has none), the time from the call
/// to frozen and cut, and the call's steps in milliseconds.
/// </summary>
public sealed record QuarantineDto(InstanceDto Instance, string Freeze, string? Port, double Milliseconds, QuarantineStepsDto Steps)
{
    public static QuarantineDto Of(QuarantineOutcome o) =>
        new(InstanceDto.Of(o.Record), o.Freeze, o.Port, Ms(o.Elapsed), new QuarantineStepsDto(Ms(o.Steps.LockWait), Ms(o.Steps.Cut), Ms(o.Steps.Freeze),
            Ms(o.Steps.Store), Ms(o.Steps.Audit), Ms(o.Steps.ServiceLeave)));

    private static double Ms(TimeSpan t) => Math.Round(t.TotalMilliseconds, 3);
}

/// <summary>Where a quarantine call's time went, in milliseconds (see <see cref="QuarantineSteps"/>).</summary>
public sealed record QuarantineStepsDto(double LockWait, double Cut, double Freeze, double Store, double Audit, double ServiceLeave);
