using LightNfv.Core.Backends;
using LightNfv.Core.Descriptors;
using LightNfv.Core.Errors;
using LightNfv.Core.Identity;
using LightNfv.Core.Instances;
using LightNfv.Platform.Control;
using LightNfv.Platform.Lifecycle;
using LightNfv.Platform.Monitoring;
using LightNfv.Platform.Store;
using LightNfv.Server.Api.Concurrency;
using LightNfv.Server.Api.Query;
using LightNfv.Server.Auth;

namespace LightNfv.Server.Api;

/// <summary>
/// /api/v1/instances: every instance (replicas of VNFs and standalone ones made by `lightnfv run`), its logs and
/// counters, and the lifecycle of standalone instances (create, stop, start, remove): what the CLI calls when a daemon
/// runs. Each handler parses into one call of <see cref="InstanceService"/>.
/// </summary>
public static class InstancesApi
{
    public static void Map(RouteGroupBuilder api)
    {
        var g = api.MapGroup("/instances").WithTags("instances").AddEndpointFilter(ScopeById);
        // `lightnfv top`: the latest sample of every running instance, one request.
        api.MapGet("/top", (PlatformStore store, InstanceMonitor monitor) => Scope.Filter(store.List(), r => r.Tenant)
            .Where(r => r.State == InstanceState.Running)
            .Select(r => Top(r, monitor.Latest(r.Id)))).WithListQuery<TopRow>().WithTags("instances");

        // Results.Ok: the items are InstanceDto, or OrphanDto with observe=true, so the declared schema is InstanceDto's.
        g.MapGet("/", (bool? observe, InstanceService instances) => Results.Ok(observe == true
            ? Scope.Filter(instances.List(r => r.Deployment is null), v => v.Record.Tenant).Select(v => (object)InstanceDto.Of(v))
                // Orphans belong to no tenant: the host's administrator's to see.
                .Concat(Caller.Current.Tenant is null ? instances.Orphans().Select(OrphanDto.Of) : []).ToList()
            : Scope.Filter(instances.Store.List(), r => r.Tenant).Select(r => (object)InstanceDto.Of(r)).ToList()))
            .Produces<IReadOnlyList<InstanceDto>>().WithListQuery<InstanceDto>()
            .WithSummary("List instances: from the store (no host calls); with observe=true standalone instances are read from the host too and orphans are listed (`lightnfv ps`)");

        g.MapPost("/", async (HttpRequest request, InstanceService instances) =>
        {
            var descriptor = DescriptorParser.Parse(await DescriptorsApi.ReadDescriptorAsync(request).ConfigureAwait(false));
            // Running in another tenant answers as that tenant's absence does (the access matrix found this route open).
            _ = DescriptorsApi.DescriptorTenant(descriptor.Metadata.Tenant);
            var ct = request.HttpContext.RequestAborted;
            var record = await instances.RunAsync(descriptor, ct).ConfigureAwait(false);
            instances.RefillAfterRun(descriptor.Spec.Technology, ct);
            return Results.Created($"/api/v1/instances/{record.Id}", InstanceDto.Of(record));
        }).Accepts<string>("application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml", "text/plain", "application/json").Produces<InstanceDto>(StatusCodes.Status201Created)
          .WithMetadata(new BodySizeLimit(DescriptorsApi.MaxBodyBytes))
          .WithSummary("Create and start a standalone instance from a descriptor (`lightnfv run`): the daemon knows it and never reconciles it");

        g.MapDelete("/", async (InstanceService instances, CancellationToken ct) =>
        {
            var kept = instances.Store.List().Where(r => r.Deployment is not null).Select(r => r.Deployment!).Distinct().Order().ToList();
            var n = await instances.RemoveAllAsync(r => r.Deployment is null, ct).ConfigureAwait(false);
            return new RemovedAllDto(n, kept);
        }).WithSummary("Remove every standalone instance and every orphan (`lightnfv rm --all`); replicas stay with their VNFs");

        g.MapGet("/{id}", (string id, InstanceService instances) => InstanceDetailDto.Of(instances.Inspect(id))).WithETag(Version, "instance")
            .WithSummary("An instance: record, host state, counters");

        g.MapDelete("/{id}", async (string id, bool? detach, InstanceService instances, Reconciler reconciler, CancellationToken ct) =>
        {
            InstanceRecord record;
            try
            {
                record = instances.Resolve(id);
            }
            catch (LightNfvException e) when (e.Kind == ErrorKind.NotFound && instances.RemoveOrphan(id) is { } orphan)
            {
                return new RemovedDto(orphan.Id, true, orphan.Objects);
            }
            if (detach == true)
            {
                record = await reconciler.DetachAsync(record, ct).ConfigureAwait(false);
            }
            await instances.RemoveAsync(Standalone(record, "removed"), ct).ConfigureAwait(false);
            return new RemovedDto(record.Id, false, null);
        }).WithETag(Version, "instance").WithSummary("Remove a standalone instance (stopped first if running) or an orphan, and everything it owns on the host; `detach=true` takes a VNF's replica out of it first (the VNF gets a replacement)");

        g.MapPost("/{id}/stop", async (string id, double? time, bool? detach, InstanceService instances, Reconciler reconciler, CancellationToken ct) =>
        {
            var grace = InstanceService.StopGrace(time);
            var record = instances.Resolve(id);
            if (detach == true)
            {
                record = await reconciler.DetachAsync(record, ct).ConfigureAwait(false);
            }
            Standalone(record, "stopped");
            var r = await instances.StopAsync(id, grace, ct).ConfigureAwait(false);
            return InstanceDto.Of(r);
        }).WithETag(Version, "instance").WithSummary("Stop a standalone instance: SIGTERM, then SIGKILL after `time` seconds (default 5); its namespace, cgroup and address are kept; `detach=true` takes a VNF's replica out of it first (the VNF gets a replacement)");

        g.MapPost("/{id}/start", async (string id, InstanceService instances, CancellationToken ct) =>
        {
            Standalone(instances.Resolve(id), "started");
            return InstanceDto.Of(await instances.StartAsync(id, ct).ConfigureAwait(false));
        }).WithETag(Version, "instance").WithSummary("Start a stopped or exited standalone instance again");

        InstanceLogsApi.Map(g);
        InstanceQuarantineApi.Map(g);
        InstanceResizeApi.Map(g);

        g.MapGet("/{id}/stats", (string id, InstanceService instances, InstanceMonitor monitor) =>
        {
            var r = instances.Resolve(id);
            var history = monitor.HistoryOf(r.Id);
            var latest = history.Count > 0 ? history[^1] : null;
            var now = latest?.Stats ?? instances.Stats(r);
            return new InstanceStatsDto(r.Id, r.Name, now, latest?.CpuPercent, latest?.MemoryPercent, latest?.PacketRate,
                history.Select(s => new StatsSampleDto(s.At, s.CpuPercent, s.MemoryPercent, s.PacketRate, s.Stats.MemoryBytes)).ToList());
        }).WithSummary("CPU, memory and network counters, with the recent history");
    }

    /// <summary>
    /// An instance's ETag versions its stored record (state, pid, address, times): the host's live counters that GET
    /// also shows are not part of it, so If-None-Match answers 304 while the record is unchanged.
    /// </summary>
    private static string? Version(HttpContext http) =>
        http.RequestServices.GetRequiredService<PlatformStore>().Match((string)http.Request.RouteValues["id"]!) is [var r]
            ? $"instance/{r.Id}/{r.State}/{r.Facts.Process?.Pid}/{r.Address}/{r.UpdatedAt:O}" : null;

    /// <summary>
    /// Routes naming an instance ({id}) of another tenant answer as if it were absent, with Resolve's own words, before
    /// the handler runs: one check for every instance route.
    /// </summary>
    private static async ValueTask<object?> ScopeById(EndpointFilterInvocationContext ctx, EndpointFilterDelegate next)
    {
        if (ctx.HttpContext.Request.RouteValues["id"] is string id && Caller.Current.Tenant is not null)
        {
            var matches = ctx.HttpContext.RequestServices.GetRequiredService<PlatformStore>().Match(id);
            if (matches.Count > 0 && !matches.Any(r => Caller.Current.Sees(r.Tenant)))
            {
                throw new LightNfvException(ErrorKind.NotFound, $"no instance matches '{id}'; 'lightnfv ps' lists them");
            }
        }
        return await next(ctx).ConfigureAwait(false);
    }

    public static TopRow Top(InstanceRecord r, MetricSample? s) => new(r.Id, r.Name, r.Deployment, r.Technology.ToName(), s?.CpuPercent ?? 0,
        s?.Stats.MemoryBytes ?? 0, s?.MemoryPercent ?? 0, s?.PacketRate ?? 0, s?.Stats.RxBytes ?? 0, s?.Stats.TxBytes ?? 0,
        s?.Stats.SpoofedFramesDropped ?? 0);

    /// <summary>
    /// A replica of a VNF is the reconciler's: changing it behind its back would race with healing and scaling, so the
    /// instance routes refuse, naming the VNF command that does it.
    /// </summary>
    // A quarantined replica is the exception: its VNF no longer counts it (it has a replacement), so `rm` ends it directly.
    private static InstanceRecord Standalone(InstanceRecord r, string action) => r.Deployment is { } vnf && r.State != InstanceState.Quarantined
        ? throw new LightNfvException(ErrorKind.Conflict,
            $"instance {r.Id} is a replica of VNF '{vnf}', which the daemon keeps at its desired state, so it is not {action} on its own; use 'lightnfv vnf scale|heal|terminate {vnf}', " +
            $"or --detach to take this replica out of the VNF first (the VNF gets a replacement)")
        : r;
}

/// <summary>`GET /instances/{id}/stats`: the counters now, the latest rates and the recent history.</summary>
public sealed record InstanceStatsDto(string Id, string Name, InstanceStats? Stats, double? CpuPercent, double? MemoryPercent, double? PacketRate,
    IReadOnlyList<StatsSampleDto> History);

/// <summary>One sample of an instance's history.</summary>
public sealed record StatsSampleDto(DateTimeOffset At, double CpuPercent, double MemoryPercent, double PacketRate, ulong MemoryBytes);
