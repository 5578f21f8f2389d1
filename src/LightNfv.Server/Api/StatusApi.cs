using LightNfv.Platform.Control;
using LightNfv.Platform.Store;

namespace LightNfv.Server.Api;

/// <summary>/api/v1/status: whether the daemon is up and what it adopted at start-up (the readopt bench reads it).</summary>
public static class StatusApi
{
    private static readonly DateTimeOffset s_started = DateTimeOffset.UtcNow;

    public static void Map(RouteGroupBuilder api) =>
        api.MapGet("/status", (Reconciler reconciler, PlatformStore store) => new
        {
            Daemon = "lightnfv",
            Pid = Environment.ProcessId,
            StartedAt = s_started,
            reconciler.Adoption,
            Watched = reconciler.Watched,
            Instances = store.List().Count,
            Vnfs = store.Deployments().Count,
            Processing = store.Operations(OperationState.Processing).Count,
        }).WithTags("status");
}
