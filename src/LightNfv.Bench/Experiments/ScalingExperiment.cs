using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json.Serialization;
using LightNfv.Core.Descriptors;
using LightNfv.Core.Errors;
using LightNfv.Host.Namespaces;
using LightNfv.Host.Probes;
using LightNfv.Platform.Lifecycle;
using LightNfv.Platform.Store;

namespace LightNfv.Bench.Experiments;

/// <summary>One checkpoint of a density run: after the <see cref="Count"/>-th instance started.</summary>
public sealed record ScalingPoint(
    [property: JsonPropertyName("count")] int Count,
    [property: JsonPropertyName("instantiation_ms")] double InstantiationMs,
    [property: JsonPropertyName("instantiation_ms_median_last10")] double InstantiationMsMedianLast10,
    [property: JsonPropertyName("memory_mb_per_instance")] double MemoryMbPerInstance,
    [property: JsonPropertyName("host_memory_mb_per_instance")] double HostMemoryMbPerInstance)
{
    /// <summary>The k-th instantiation over the first (LightVM's flatness: 1.0 is a flat curve); null for the first itself.</summary>
    [JsonPropertyName("instantiation_vs_first")]
    public double? InstantiationVsFirst { get; init; }
}

/// <summary>The density curve of one technology (LightVM's question: how many, and does the k-th start as fast as the first?).</summary>
public sealed record ScalingResult(
    [property: JsonPropertyName("technology")] string Technology,
    [property: JsonPropertyName("variant")] string Variant,
    [property: JsonPropertyName("points")] IReadOnlyList<ScalingPoint> Points,
    [property: JsonPropertyName("instances_started")] int InstancesStarted,
    [property: JsonPropertyName("stopped_early")] string? StoppedEarly,
    [property: JsonPropertyName("notes")] string Notes)
{
    /// <summary>Every instance's instantiation in start order (ms), so the whole curve can be read, not only the checkpoints.</summary>
    [JsonPropertyName("instantiation_ms_all")]
    public IReadOnlyList<double> InstantiationMsAll { get; init; } = [];
}

public sealed record ScalingOptions
{
    public required Technology Technology { get; init; }
    public string? Runtime { get; init; }
    public required IReadOnlyList<int> Counts { get; init; }
    /// <summary>Stop when the host's available memory falls below this fraction of its total.</summary>
    public double MinAvailableFraction { get; init; } = 0.2;
    /// <summary>Stop when one instance takes longer than this to answer.</summary>
    public TimeSpan MaxInstantiation { get; init; } = TimeSpan.FromSeconds(10);
    /// <summary>Stop when the whole run takes longer than this.</summary>
    public TimeSpan MaxDuration { get; init; } = TimeSpan.FromMinutes(10);
}

/// <summary>
/// Starts instances cumulatively (cold: everything on each create call) and records, at each requested count, the
/// count-th instance's instantiation time (the draft's definition, same probe as the main bench), the instances' own
/// memory (cgroup) per instance, and the host's drop in MemAvailable per instance (which also counts the kernel's
/// namespace, veth and cgroup structures). Stops early with the reason when memory or time bounds are reached, and
/// always removes every instance it started. Runs in the host's namespace like any `run`; only the probe's sockets are
/// made in the lab.
/// </summary>
public sealed class ScalingExperiment(InstanceService service, ScalingOptions options)
{
    public event Action<string>? Progress;

    /// <summary>Counted progress (instances started of the largest count), for a live display.</summary>
    public event Action<BenchStep>? Step;

    public ScalingResult Run(CancellationToken cancellationToken = default) => HostNetwork.Run(() => RunAtHome(cancellationToken));

    private ScalingResult RunAtHome(CancellationToken cancellationToken)
    {
        var lab = service.Backends.Host.Lab.Namespace;
        var target = options.Counts.Max();
        var started = new List<InstanceRecord>();
        var times = new List<double>();
        var points = new List<ScalingPoint>();
        string? stopped = null;
        // Unrecorded warm-up, as in the main bench: JIT and first-use caches would otherwise make instance 1 look slow.
        for (var w = 0; w < 2; w++)
        {
            var warm = service.RunAsync(BenchDescriptors.Iperf3(options.Technology, $"scale-warmup-{w}", options.Runtime), new RunOptions(UseWarmPool: false), cancellationToken).GetAwaiter().GetResult();
            using (var sockets = new ProbeSockets(lab))
            {
                TcpReadinessProbe.Probe(IPAddress.Parse(warm.Address!), 5201, Stopwatch.GetTimestamp(), options.MaxInstantiation, acceptRst: false, sockets: sockets);
            }
            service.RemoveAsync(warm, CancellationToken.None).GetAwaiter().GetResult();
        }
        Thread.Sleep(250);
        var (total, availableBefore) = MemInfo();
        var clock = Stopwatch.StartNew();
        try
        {
            for (var k = 1; k <= target; k++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var (_, available) = MemInfo();
                if (available < total * options.MinAvailableFraction)
                {
                    stopped = $"stopped at {k - 1} instances: host memory available fell to {available / 1024 / 1024} MiB (bound: {options.MinAvailableFraction:P0} of {total / 1024 / 1024} MiB)";
                    break;
                }
                if (clock.Elapsed > options.MaxDuration)
                {
                    stopped = $"stopped at {k - 1} instances: the run exceeded {options.MaxDuration.TotalMinutes:0} minutes";
                    break;
                }
                var descriptor = BenchDescriptors.Iperf3(options.Technology, $"scale-{k.ToString(CultureInfo.InvariantCulture)}", options.Runtime);
                using var sockets = new ProbeSockets(lab); // made before the create call, so untimed
                var start = Stopwatch.GetTimestamp();
                InstanceRecord record;
                try
                {
                    record = service.RunAsync(descriptor, new RunOptions(UseWarmPool: false), cancellationToken).GetAwaiter().GetResult();
                }
                catch (LightNfvException e) when (e.Kind is ErrorKind.Exhausted or ErrorKind.Host or ErrorKind.Quota)
                {
                    // A host limit (a full bridge, pids, memory): the curve so far is the result, and the limit is its reason.
                    stopped = $"stopped at {k - 1} instances: instance {k} could not be created: {e.Message}";
                    break;
                }
                started.Add(record);
                var probe = TcpReadinessProbe.Probe(IPAddress.Parse(record.Address!), 5201, start, options.MaxInstantiation, acceptRst: false, sockets: sockets);
                if (!probe.Ready)
                {
                    stopped = $"stopped at {k} instances: instance {k} did not answer within {options.MaxInstantiation.TotalSeconds:0} s";
                    break;
                }
                times.Add(probe.FirstAnswerMs);
                Step?.Invoke(new BenchStep("scale", k, target, $"instance {k}: {probe.FirstAnswerMs:0.00} ms"));
                if (options.Counts.Contains(k))
                {
                    // Let the newest instances settle before reading memory, as the main bench does.
                    Thread.Sleep(150);
                    var cgroupBytes = started.Sum(r => (double)(service.Inspect(r.Id).Stats?.MemoryBytes ?? 0));
                    var (_, availableNow) = MemInfo();
                    var last = times.TakeLast(10).ToArray();
                    var point = new ScalingPoint(k, Math.Round(probe.FirstAnswerMs, 4), Math.Round(Statistics.Summary.Of(last).Median, 4),
                        Math.Round(cgroupBytes / k / 1024 / 1024, 4), Math.Round((availableBefore - availableNow) / (double)k / 1024 / 1024, 4))
                    {
                        InstantiationVsFirst = k == 1 ? null : Math.Round(probe.FirstAnswerMs / times[0], 3),
                    };
                    points.Add(point);
                    Progress?.Invoke($"{options.Technology.ToName()} x{k}: instance {k} answered in {point.InstantiationMs:0.00} ms (median of the last 10: {point.InstantiationMsMedianLast10:0.00}), {point.MemoryMbPerInstance:0.000} MB/instance in cgroups, {point.HostMemoryMbPerInstance:0.000} MB/instance of host memory");
                }
            }
        }
        finally
        {
            Progress?.Invoke($"removing {started.Count} instances");
            foreach (var r in started)
            {
                service.RemoveAsync(r, CancellationToken.None).GetAwaiter().GetResult();
            }
        }
        if (stopped is not null)
        {
            Progress?.Invoke(stopped);
        }
        return new ScalingResult(options.Technology.ToName(), options.Runtime is null ? "cold" : options.Runtime + "-cold", points, started.Count, stopped,
            "instances started one after another and kept running; instantiation as in the main bench (create call to first answered SYN); memory per instance as the backend's stats report it (cgroup usage; private resident memory for VMMs and the unikernel process tender), and from the host's MemAvailable drop (which includes the kernel's namespace, veth, tap and cgroup structures)")
        {
            InstantiationMsAll = times.Select(t => Math.Round(t, 4)).ToArray(),
        };
    }

    private static (long Total, long Available) MemInfo()
    {
        long total = 0, available = 0;
        foreach (var line in File.ReadLines("/proc/meminfo"))
        {
            if (line.StartsWith("MemTotal:", StringComparison.Ordinal))
            {
                total = Kb(line) * 1024;
            }
            else if (line.StartsWith("MemAvailable:", StringComparison.Ordinal))
            {
                available = Kb(line) * 1024;
            }
        }
        return (total, available);
    }

    private static long Kb(string line) => long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
}
