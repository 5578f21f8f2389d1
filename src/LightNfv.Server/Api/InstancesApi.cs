using LightNfv.Backends;
using LightNfv.Core.Backends;
using LightNfv.Core.Descriptors;
using LightNfv.Platform.Lifecycle;
using LightNfv.Platform.Monitoring;
using LightNfv.Platform.Store;

namespace LightNfv.Server.Api;

/// <summary>/api/v1/instances: every instance (replicas of VNFs and those made by `lightnfv run`), its logs and counters.</summary>
public static class InstancesApi
{
    public static void Map(RouteGroupBuilder api)
    {
        var g = api.MapGroup("/instances").WithTags("instances");
        // `lightnfv top`: the latest sample of every running instance, one request.
        api.MapGet("/top", (PlatformStore store, InstanceMonitor monitor) => store.List()
            .Where(r => r.State == Core.Instances.InstanceState.Running)
            .Select(r => (r, s: monitor.Latest(r.Id)))
            .Select(x => new TopRow(x.r.Id, x.r.Name, x.r.Deployment, x.r.Technology.ToName(), x.s?.CpuPercent ?? 0, x.s?.Stats.MemoryBytes ?? 0,
                x.s?.MemoryPercent ?? 0, x.s?.PacketRate ?? 0, x.s?.Stats.RxBytes ?? 0, x.s?.Stats.TxBytes ?? 0))).WithTags("instances");
        g.MapGet("/", (PlatformStore store) => store.List().Select(InstanceDto.Of)).WithSummary("List instances (from the store; no host calls)");

        g.MapGet("/{id}", (string id, InstanceService instances) =>
        {
            var v = instances.Inspect(id);
            return new
            {
                Instance = InstanceDto.Of(v.Record),
                Host = v.Observation is null ? null : new { State = v.Observation.State.ToString().ToLowerInvariant(), v.Observation.Pid, v.Observation.StartedAt, v.Observation.Detail },
                v.Stats,
                v.Record.Facts,
                Backend = v.Record.BackendStateJson(),
                v.Record.Descriptor,
            };
        }).WithSummary("An instance: record, host state, counters");

        g.MapGet("/{id}/logs", (string id, int? tail, InstanceService instances) =>
        {
            var r = instances.Resolve(id);
            var path = InstanceSpec.LogPathIn(instances.Backends.Host.RunDirectory(r.Id));
            if (!File.Exists(path))
            {
                return Results.Text("", "text/plain");
            }
            var lines = File.ReadAllLines(path);
            return Results.Text(string.Join('\n', tail is { } n ? lines.TakeLast(n) : lines) + (lines.Length > 0 ? "\n" : ""), "text/plain");
        }).WithSummary("What the instance wrote to stdout and stderr");

        g.MapGet("/{id}/stats", (string id, InstanceService instances, BackendRegistry backends, InstanceMonitor monitor) =>
        {
            var r = instances.Resolve(id);
            var history = monitor.HistoryOf(r.Id);
            var latest = history.Count > 0 ? history[^1] : null;
            var now = latest?.Stats ?? backends.Find(r.Technology)?.Stats(r.AsBackendInstance());
            return new
            {
                r.Id,
                r.Name,
                Stats = now,
                CpuPercent = latest?.CpuPercent,
                MemoryPercent = latest?.MemoryPercent,
                PacketRate = latest?.PacketRate,
                History = history.Select(s => new { s.At, s.CpuPercent, s.MemoryPercent, s.PacketRate, s.Stats.MemoryBytes }),
            };
        }).WithSummary("CPU, memory and network counters, with the recent history");
    }
}

public sealed record TopRow(string Id, string Name, string? Vnf, string Technology, double CpuPercent, ulong MemoryBytes, double MemoryPercent, double PacketRate, ulong RxBytes, ulong TxBytes);
