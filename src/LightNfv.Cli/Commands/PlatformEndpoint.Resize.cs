using System.Text.Json;
using LightNfv.Platform.Lifecycle;
using LightNfv.Server.Api;

namespace LightNfv.Cli.Commands;

// `lightnfv resize`: through the daemon one POST /instances/{id}/resize; embedded, InstanceService's own resize.

public abstract partial class PlatformEndpoint
{
    /// <summary>A live resize; the resized <see cref="InstanceDto"/>.</summary>
    public abstract Task<JsonElement> ResizeAsync(string reference, ResourceChange change, CancellationToken ct);
}

public sealed partial class EmbeddedPlatform
{
    public override Task<JsonElement> ResizeAsync(string reference, ResourceChange change, CancellationToken ct) => Json.Async(async () =>
        InstanceDto.Of(await Context.Instances.ResizeAsync(reference, change, ct).ConfigureAwait(false)));
}

public sealed partial class DaemonPlatform
{
    public override Task<JsonElement> ResizeAsync(string reference, ResourceChange change, CancellationToken ct) =>
        Client.SendAsync(HttpMethod.Post, $"api/v1/instances/{Uri.EscapeDataString(reference)}/resize",
            new { vcpus = change.Vcpus, memoryMiB = change.MemoryMiB, pids = change.Pids, bandwidthMbps = change.BandwidthMbps, cpuset = change.CpuSet }, ct: ct);
}
