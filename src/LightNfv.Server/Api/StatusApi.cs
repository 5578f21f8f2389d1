using LightNfv.Platform.Control;
using LightNfv.Platform.Control.Adoption;
using LightNfv.Platform.Store;
using LightNfv.Server.Daemon;

namespace LightNfv.Server.Api;

/// <summary>
/// /api/v1/status: whether the daemon is up and what it adopted at start-up (the readopt bench reads it); /healthz and
/// /readyz for supervisors and load balancers, as Kubernetes components answer them.
/// </summary>
public static class StatusApi
{
    public static void Map(RouteGroupBuilder api, TimeProvider time)
    {
        // Captured when the daemon maps its routes (its start), not on the first request.
        var started = time.GetUtcNow();
        api.MapGet("/status", (Reconciler reconciler, PlatformStore store) => new StatusDto("lightnfv", Environment.ProcessId, started,
            reconciler.Adoption, reconciler.Watched, store.List().Count, store.Deployments().Count, store.Operations(OperationState.Processing).Count))
            .WithTags("status");
    }

    /// <summary>/healthz: the process serves requests. /readyz: it also reads its store and has adopted what runs.</summary>
    public static void MapProbes(WebApplication app)
    {
        app.MapGet("/healthz", () => Results.Text("ok\n")).Produces<string>(StatusCodes.Status200OK, "text/plain").WithTags("status").WithSummary("Liveness of the daemon: 200 while it serves requests");
        app.MapGet("/readyz", (Reconciler reconciler, PlatformStore store, DaemonOptions options) =>
        {
            if (options.RunLoops && reconciler.Adoption is null)
            {
                return Results.Problem(statusCode: StatusCodes.Status503ServiceUnavailable,
                    detail: "start-up adoption of running instances is not finished yet; retry in a moment");
            }
            try
            {
                _ = store.Deployments().Count;
            }
            // A closed or disposed connection (InvalidOperation, ObjectDisposed) is as unready as a damaged file.
            catch (Exception e) when (e is Core.Errors.LightNfvException or Microsoft.Data.Sqlite.SqliteException or IOException or InvalidOperationException)
            {
                return Results.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, detail: $"the store cannot be read: {e.Message}");
            }
            return Results.Text("ok\n");
        }).Produces<string>(StatusCodes.Status200OK, "text/plain").ProducesProblem(StatusCodes.Status503ServiceUnavailable)
          .WithTags("status").WithSummary("Readiness of the daemon: 200 once start-up adoption is done and the store reads; 503 with the reason otherwise");
    }
}

/// <summary>`GET /api/v1/status`: the daemon, when it started, what it adopted then, and what it holds now.</summary>
public sealed record StatusDto(string Daemon, int Pid, DateTimeOffset StartedAt, AdoptionReport? Adoption, int Watched, int Instances, int Vnfs, int Processing);
