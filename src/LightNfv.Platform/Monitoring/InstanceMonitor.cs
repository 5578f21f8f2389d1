using System.Collections.Concurrent;
using LightNfv.Core.Backends;
using LightNfv.Core.Instances;
using LightNfv.Host.Logs;
using LightNfv.Platform.Lifecycle;
using LightNfv.Platform.Store;
using Microsoft.Extensions.Logging;

namespace LightNfv.Platform.Monitoring;

/// <summary>One sample of an instance, with rates computed against the previous sample.</summary>
/// <param name="CpuPercent">CPU use in percent of the instance's vCPUs.</param>
/// <param name="MemoryPercent">Memory use in percent of its limit (0 when unlimited).</param>
/// <param name="PacketRate">Packets per second received plus sent.</param>
public sealed record MetricSample(DateTimeOffset At, InstanceStats Stats, double CpuPercent, double MemoryPercent, double PacketRate);

/// <summary>
/// Samples every running instance's counters (backend Stats: cgroup CPU and memory, lab-side veth counters) on an
/// interval and keeps a short history per instance, for /metrics, `lightnfv top` and the auto-scaler.
/// </summary>
public sealed partial class InstanceMonitor(InstanceService instances, TimeProvider time, ILogger<InstanceMonitor> logger)
{
    private readonly ConcurrentDictionary<string, History> _history = new();
    private readonly ConcurrentDictionary<string, LogReader> _logs = new();

    public int HistoryLength { get; init; } = 60;

    /// <summary>Raised after each sampling round (the auto-scaler evaluates its policies then).</summary>
    public event Action? Sampled;

    private sealed class History(int capacity)
    {
        private readonly Queue<MetricSample> _samples = new();

        public MetricSample? Latest { get; private set; }

        public void Add(MetricSample s)
        {
            lock (_samples)
            {
                _samples.Enqueue(s);
                while (_samples.Count > capacity)
                {
                    _samples.Dequeue();
                }
                Latest = s;
            }
        }

        public MetricSample[] All()
        {
            lock (_samples)
            {
                return [.. _samples];
            }
        }
    }

    /// <summary>Adds a sample as if sampled (tests drive the auto-scaler with it).</summary>
    internal void Record(string instanceId, MetricSample sample) => _history.GetOrAdd(instanceId, _ => new History(HistoryLength)).Add(sample);

    public MetricSample? Latest(string instanceId) => _history.TryGetValue(instanceId, out var h) ? h.Latest : null;

    public IReadOnlyList<MetricSample> HistoryOf(string instanceId) => _history.TryGetValue(instanceId, out var h) ? h.All() : [];

    public async Task RunAsync(TimeSpan interval, CancellationToken ct)
    {
        using var timer = new PeriodicTimer(interval, time);
        try
        {
            do
            {
                SampleOnce();
            }
            while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    /// <summary>Takes one sample of every running instance; forgets instances that are gone.</summary>
    public void SampleOnce()
    {
        var records = instances.Store.List();
        var live = new HashSet<string>();
        foreach (var r in records.Where(r => r.State == InstanceState.Running))
        {
            live.Add(r.Id);
            try
            {
                // Logs no tender times (VM and unikernel consoles, containers) get their lines' times here, each sample.
                _logs.GetOrAdd(r.Id, id => new LogReader(instances.LogPathOf(id))).StampNew();
                if (instances.Stats(r) is not { } stats)
                {
                    continue;
                }
                var history = _history.GetOrAdd(r.Id, _ => new History(HistoryLength));
                history.Add(Derive(history.Latest, stats, time.GetUtcNow(), VcpusOf(r)));
            }
            catch (Exception e)
            {
                LogSampleFailed(logger, r.Id, e.Message);
            }
        }
        foreach (var id in _history.Keys.Where(k => !live.Contains(k)).ToList())
        {
            _history.TryRemove(id, out _);
        }
        foreach (var id in _logs.Keys.Where(k => !live.Contains(k)).ToList())
        {
            _logs.TryRemove(id, out _);
        }
        Sampled?.Invoke();
    }

    /// <summary>Rates from two samples: CPU ns over wall time (per vCPU), packets over wall time.</summary>
    public static MetricSample Derive(MetricSample? previous, InstanceStats stats, DateTimeOffset at, int vcpus)
    {
        double cpu = 0, rate = 0;
        if (previous is not null)
        {
            var seconds = (at - previous.At).TotalSeconds;
            if (seconds > 0)
            {
                var cpuNs = stats.CpuNanoseconds >= previous.Stats.CpuNanoseconds ? stats.CpuNanoseconds - previous.Stats.CpuNanoseconds : 0;
                cpu = cpuNs / (seconds * 1e9) * 100 / Math.Max(1, vcpus);
                var packets = stats.RxPackets + stats.TxPackets;
                var before = previous.Stats.RxPackets + previous.Stats.TxPackets;
                rate = packets >= before ? (packets - before) / seconds : 0;
            }
        }
        var mem = stats.MemoryLimitBytes is { } limit and > 0 ? stats.MemoryBytes * 100.0 / limit : 0;
        return new MetricSample(at, stats, cpu, mem, rate);
    }

    private static readonly ConcurrentDictionary<string, int> s_vcpus = new();

    private static int VcpusOf(InstanceRecord r) => s_vcpus.GetOrAdd(r.Descriptor, d =>
    {
        try
        {
            return Core.Descriptors.DescriptorParser.Parse(d).Spec.Resources.Vcpus;
        }
        catch (Core.Errors.LightNfvException)
        {
            return 1;
        }
    });

    [LoggerMessage(Level = LogLevel.Debug, Message = "stats of instance {Id} failed: {Reason}")]
    private static partial void LogSampleFailed(ILogger logger, string id, string reason);
}
