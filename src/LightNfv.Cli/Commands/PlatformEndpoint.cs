using System.Text.Json;
using LightNfv.Core.Descriptors;
using LightNfv.Core.Instances;
using LightNfv.Platform.Monitoring;
using LightNfv.Platform.Store;
using LightNfv.Server.Api;

namespace LightNfv.Cli.Commands;

/// <summary>
/// What an instance command asks of the platform: the daemon's API when its socket answers (<see cref="DaemonPlatform"/>),
/// this process otherwise (<see cref="EmbeddedPlatform"/>). Both answer with the API's JSON shapes (the DTOs of
/// Server.Api, serialized with the API's options), so a command prints the same either way.
/// </summary>
public abstract class PlatformEndpoint
{
    /// <summary>Create and start a standalone instance; an <see cref="InstanceDto"/>.</summary>
    public abstract Task<JsonElement> RunAsync(VnfDescriptor descriptor, string yaml, CancellationToken ct);

    /// <summary>Every instance, read from the host where it is the caller's to watch, then the orphans; <see cref="InstanceDto"/>s and <see cref="OrphanDto"/>s.</summary>
    public abstract Task<JsonElement> ListAsync(CancellationToken ct);

    public abstract Task<JsonElement> InspectAsync(string reference, CancellationToken ct);

    public abstract Task<string> LogsAsync(string reference, int? tail, CancellationToken ct);

    /// <param name="detach">A VNF's replica is taken out of its VNF first (the VNF gets a replacement), instead of refused.</param>
    public abstract Task<JsonElement> StopAsync(string reference, double? graceSeconds, bool detach, CancellationToken ct);

    public abstract Task<JsonElement> StartAsync(string reference, CancellationToken ct);

    /// <summary>An instance, or the host objects of an orphan; a <see cref="RemovedDto"/>.</summary>
    /// <param name="detach">As for <see cref="StopAsync"/>.</param>
    public abstract Task<JsonElement> RemoveAsync(string reference, bool detach, CancellationToken ct);

    /// <summary>A <see cref="RemovedAllDto"/>.</summary>
    public abstract Task<JsonElement> RemoveAllAsync(CancellationToken ct);

    /// <summary><see cref="TopRow"/>s of the running instances.</summary>
    public abstract Task<JsonElement> TopAsync(CancellationToken ct);

    /// <summary>Log lines as the API sends them: each ends with a newline.</summary>
    public static string LogText(IReadOnlyList<string> lines) => lines.Count == 0 ? "" : string.Join('\n', lines) + "\n";
}

/// <summary>The platform in this process (no daemon answers): <see cref="PlatformContext"/>'s services.</summary>
public sealed class EmbeddedPlatform(PlatformContext ctx) : PlatformEndpoint
{
    public override Task<JsonElement> RunAsync(VnfDescriptor descriptor, string yaml, CancellationToken ct) => Json.Async(async () =>
    {
        var record = await ctx.Instances.RunAsync(descriptor, ct).ConfigureAwait(false);
        ctx.Instances.RefillAfterRun(descriptor.Spec.Technology, ct);
        return InstanceDto.Of(record);
    });

    public override Task<JsonElement> ListAsync(CancellationToken ct) =>
        Json.Done(ctx.Instances.List(_ => true).Select(v => (object)InstanceDto.Of(v)).Concat(ctx.Instances.Orphans().Select(OrphanDto.Of)).ToList());

    public override Task<JsonElement> InspectAsync(string reference, CancellationToken ct) => Json.Done(InstanceDetailDto.Of(ctx.Instances.Inspect(reference)));

    public override Task<string> LogsAsync(string reference, int? tail, CancellationToken ct) => Task.FromResult(LogText(ctx.Instances.ReadLog(reference, tail)));

    public override Task<JsonElement> StopAsync(string reference, double? graceSeconds, bool detach, CancellationToken ct) => Json.Async(async () =>
        InstanceDto.Of(await ctx.Instances.StopAsync(Standalone(reference, "stopped", detach), Platform.Lifecycle.InstanceService.StopGrace(graceSeconds), ct).ConfigureAwait(false)));

    public override Task<JsonElement> StartAsync(string reference, CancellationToken ct) => Json.Async(async () =>
        InstanceDto.Of(await ctx.Instances.StartAsync(Standalone(reference, "started", detach: false), ct).ConfigureAwait(false)));

    /// <summary>The reference itself, once it is known not to be a replica of a VNF the next `serve` restores.</summary>
    private string Standalone(string reference, string action, bool detach)
    {
        Platform.Lifecycle.ManagedReplicaGuard.Standalone(ctx.Store, ctx.Instances.Resolve(reference), action, detach);
        return reference;
    }

    public override Task<JsonElement> RemoveAsync(string reference, bool detach, CancellationToken ct) => Json.Async(async () =>
    {
        InstanceRecord record;
        try
        {
            record = ctx.Instances.Resolve(reference);
        }
        catch (Core.Errors.LightNfvException e) when (e.Kind == Core.Errors.ErrorKind.NotFound && ctx.Instances.RemoveOrphan(reference) is { } orphan)
        {
            return new RemovedDto(orphan.Id, true, orphan.Objects);
        }
        record = Platform.Lifecycle.ManagedReplicaGuard.Standalone(ctx.Store, record, "removed", detach);
        await ctx.Instances.RemoveAsync(record, ct).ConfigureAwait(false);
        return new RemovedDto(record.Id, false, null);
    });

    public override Task<JsonElement> RemoveAllAsync(CancellationToken ct) => Json.Async(async () =>
        new RemovedAllDto(await ctx.Instances.RemoveAllAsync(ct).ConfigureAwait(false), []));

    /// <summary>Two samples half a second apart (no daemon keeps a history to read).</summary>
    public override async Task<JsonElement> TopAsync(CancellationToken ct)
    {
        var running = ctx.Store.List().Where(r => r.State == InstanceState.Running).ToList();
        MetricSample? Sample(InstanceRecord r, MetricSample? previous) =>
            ctx.Instances.Stats(r) is { } stats ? InstanceMonitor.Derive(previous, stats, DateTimeOffset.UtcNow, 1) : null;
        var first = running.ToDictionary(r => r.Id, r => Sample(r, null));
        await Task.Delay(500, ct).ConfigureAwait(false);
        return Json.Element(running.Select(r => (r, s: Sample(r, first[r.Id]))).Where(x => x.s is not null).Select(x => InstancesApi.Top(x.r, x.s)).ToList());
    }
}

/// <summary>The platform behind a running daemon: one API call per command.</summary>
public sealed class DaemonPlatform(DaemonClient daemon) : PlatformEndpoint
{
    private static string Instance(string reference) => $"api/v1/instances/{Uri.EscapeDataString(reference)}";

    public override Task<JsonElement> RunAsync(VnfDescriptor descriptor, string yaml, CancellationToken ct) =>
        daemon.SendAsync(HttpMethod.Post, "api/v1/instances", yaml: yaml, ct: ct);

    public override Task<JsonElement> ListAsync(CancellationToken ct) => daemon.SendAsync(HttpMethod.Get, "api/v1/instances?observe=true", ct: ct);

    public override Task<JsonElement> InspectAsync(string reference, CancellationToken ct) => daemon.SendAsync(HttpMethod.Get, Instance(reference), ct: ct);

    public override async Task<string> LogsAsync(string reference, int? tail, CancellationToken ct) =>
        (await daemon.SendAsync(HttpMethod.Get, Instance(reference) + "/logs" + (tail is { } n ? $"?tail={n}" : ""), ct: ct).ConfigureAwait(false)).GetString() ?? "";

    public override Task<JsonElement> StopAsync(string reference, double? graceSeconds, bool detach, CancellationToken ct) =>
        daemon.SendAsync(HttpMethod.Post, Instance(reference) + "/stop"
            + (graceSeconds is { } s ? "?time=" + s.ToString("R", System.Globalization.CultureInfo.InvariantCulture) : "")
            + (detach ? (graceSeconds is null ? "?" : "&") + "detach=true" : ""), ct: ct);

    public override Task<JsonElement> StartAsync(string reference, CancellationToken ct) => daemon.SendAsync(HttpMethod.Post, Instance(reference) + "/start", ct: ct);

    public override Task<JsonElement> RemoveAsync(string reference, bool detach, CancellationToken ct) =>
        daemon.SendAsync(HttpMethod.Delete, Instance(reference) + (detach ? "?detach=true" : ""), ct: ct);

    public override Task<JsonElement> RemoveAllAsync(CancellationToken ct) => daemon.SendAsync(HttpMethod.Delete, "api/v1/instances", ct: ct);

    public override Task<JsonElement> TopAsync(CancellationToken ct) => daemon.SendAsync(HttpMethod.Get, "api/v1/top", ct: ct);
}
