using System.Runtime.CompilerServices;
using System.Text.Json;
using LightNfv.Core.Descriptors;
using LightNfv.Core.Instances;
using LightNfv.Host.Logs;
using LightNfv.Platform.Monitoring;
using LightNfv.Platform.Store;
using LightNfv.Server.Api;

namespace LightNfv.Cli.Commands;

/// <summary>
/// What an instance command asks of the platform: the daemon's API when its socket answers (<see cref="DaemonPlatform"/>),
/// this process otherwise (<see cref="EmbeddedPlatform"/>). Both answer with the API's JSON shapes (the DTOs of
/// Server.Api, serialized with the API's options), so a command prints the same either way.
/// </summary>
public abstract partial class PlatformEndpoint
{
    /// <summary>Create and start a standalone instance; an <see cref="InstanceDto"/>.</summary>
    public abstract Task<JsonElement> RunAsync(VnfDescriptor descriptor, string yaml, CancellationToken ct);

    /// <summary>Every instance, read from the host where it is the caller's to watch, then the orphans; <see cref="InstanceDto"/>s and <see cref="OrphanDto"/>s.</summary>
    public abstract Task<JsonElement> ListAsync(CancellationToken ct);

    public abstract Task<JsonElement> InspectAsync(string reference, CancellationToken ct);

    /// <summary>The log lines the query asks for, each ending with a newline; with follow, until the instance stops.</summary>
    public abstract IAsyncEnumerable<string> LogsAsync(string reference, LogQuery query, CancellationToken ct);

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
}

/// <summary>The platform in this process (no daemon answers): <see cref="PlatformContext"/>'s services.</summary>
public sealed partial class EmbeddedPlatform(PlatformContext ctx) : PlatformEndpoint
{
    /// <summary>The platform this process opened (for the reads in PlatformEndpoint.Resources.cs).</summary>
    internal PlatformContext Context => ctx;

    public override Task<JsonElement> RunAsync(VnfDescriptor descriptor, string yaml, CancellationToken ct) => Json.Async(async () =>
    {
        var record = await ctx.Instances.RunAsync(descriptor, ct).ConfigureAwait(false);
        ctx.Instances.RefillAfterRun(descriptor.Spec.Technology, ct);
        return InstanceDto.Of(record);
    });

    public override Task<JsonElement> ListAsync(CancellationToken ct) =>
        Json.Done(ctx.Instances.List(_ => true).Select(v => (object)InstanceDto.Of(v)).Concat(ctx.Instances.Orphans().Select(OrphanDto.Of)).ToList());

    public override Task<JsonElement> InspectAsync(string reference, CancellationToken ct) => Json.Done(InstanceDetailDto.Of(ctx.Instances.Inspect(reference)));

    public override async IAsyncEnumerable<string> LogsAsync(string reference, LogQuery query, [EnumeratorCancellation] CancellationToken ct)
    {
        await foreach (var line in ctx.Instances.ReadLogAsync(reference, query, ct).ConfigureAwait(false))
        {
            yield return line.Format(query.Timestamps) + "\n";
        }
    }

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
public sealed partial class DaemonPlatform(DaemonClient daemon) : PlatformEndpoint
{
    internal DaemonClient Client => daemon;

    private static string Instance(string reference) => $"api/v1/instances/{Uri.EscapeDataString(reference)}";

    public override Task<JsonElement> RunAsync(VnfDescriptor descriptor, string yaml, CancellationToken ct) =>
        daemon.SendAsync(HttpMethod.Post, "api/v1/instances", yaml: yaml, ct: ct);

    public override Task<JsonElement> ListAsync(CancellationToken ct) => daemon.SendAsync(HttpMethod.Get, "api/v1/instances?observe=true", ct: ct);

    public override Task<JsonElement> InspectAsync(string reference, CancellationToken ct) => daemon.SendAsync(HttpMethod.Get, Instance(reference), ct: ct);

    public override async IAsyncEnumerable<string> LogsAsync(string reference, LogQuery query, [EnumeratorCancellation] CancellationToken ct)
    {
        var args = new List<string>();
        if (query.Follow)
        {
            args.Add("follow=true");
        }
        if (query.Since is { } since)
        {
            // Resolved to a time here, so "10m" means ten minutes before the command, whoever reads the log.
            args.Add("since=" + Uri.EscapeDataString(since.UtcDateTime.ToString("O", System.Globalization.CultureInfo.InvariantCulture)));
        }
        if (query.Timestamps)
        {
            args.Add("timestamps=true");
        }
        if (query.Tail is { } n)
        {
            args.Add("tail=" + n.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        var path = Instance(reference) + "/logs" + (args.Count > 0 ? "?" + string.Join('&', args) : "");
        await foreach (var line in daemon.StreamLinesAsync(path, ct).ConfigureAwait(false))
        {
            yield return line + "\n";
        }
    }

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
