using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using LightNfv.Backends;
using LightNfv.Core.Descriptors;
using LightNfv.Host.Cgroups;
using LightNfv.Host.Probes;
using LightNfv.Platform.Lifecycle;
using LightNfv.Platform.Store;

namespace LightNfv.Bench.Experiments;

/// <summary>What a noisy neighbour does, one at a time beside the victim.</summary>
public enum AggressorKind
{
    CpuBurn,
    MemoryHog,
    ForkBomb,
    PacketFlood,
}

public static class AggressorKinds
{
    public static readonly IReadOnlyList<AggressorKind> All = [AggressorKind.CpuBurn, AggressorKind.MemoryHog, AggressorKind.ForkBomb, AggressorKind.PacketFlood];

    public static string ToName(this AggressorKind kind) => kind switch
    {
        AggressorKind.CpuBurn => "cpu-burn",
        AggressorKind.MemoryHog => "memory-hog",
        AggressorKind.ForkBomb => "fork-bomb",
        _ => "packet-flood",
    };

    public static bool TryParse(string name, out AggressorKind kind)
    {
        foreach (var k in All)
        {
            if (k.ToName() == name)
            {
                kind = k;
                return true;
            }
        }
        kind = default;
        return false;
    }
}

public sealed record NoisyOptions
{
    public required IReadOnlyList<Technology> Technologies { get; init; }
    public IReadOnlyList<AggressorKind> Aggressors { get; init; } = AggressorKinds.All;

    /// <summary>Unpinned, pinned (victim and aggressor on different CPUs), or both, in this order.</summary>
    public IReadOnlyList<bool> Pinning { get; init; } = [false, true];

    /// <summary>Seconds of iperf3 per measurement.</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(3);

    public int PingCount { get; init; } = 500;

    /// <summary>
    /// Pairs per aggressor: the victim measured with the aggressor frozen, then running, this many times; the row's
    /// percentage is the median of the pairs' ratios. 0 compares with the bracketing alone rows only.
    /// </summary>
    public int Pairs { get; init; } = 4;

    /// <summary>How long an aggressor runs before the victim is measured (the hog reaches its limit, the bomb pids.max).</summary>
    public TimeSpan RampUp { get; init; } = TimeSpan.FromMilliseconds(700);

    public TimeSpan Settle { get; init; } = TimeSpan.FromMilliseconds(250);
    public TimeSpan ReadyTimeout { get; init; } = TimeSpan.FromSeconds(30);
}

/// <summary>The victim's figures in one phase: throughput lab to VNF, then RTT samples.</summary>
public sealed record VictimSample(double Gbps, double RttMedianMs, double RttP99Ms, int RttSamples)
{
    /// <summary>CPUs the victim's and the lab's load generator's cgroups used over the throughput test (alone rows).</summary>
    public double? CpusUsed { get; init; }

    /// <summary>One RTT flood's figures, before the throughput that goes with them.</summary>
    public readonly record struct Rtt(double MedianMs, double P99Ms, int Samples)
    {
        public VictimSample With(double gbps) => new(gbps, MedianMs, P99Ms, Samples);
    }
}

/// <summary>What the aggressor's cgroup and state said when it was removed.</summary>
public sealed record AggressorOutcome(string Technology, string State, ulong OomKills, ulong PidsMaxHits, ulong PidsCurrent, ulong? PidsLimit, ulong? MemoryLimitBytes)
{
    /// <summary>
    /// Whether the aggressor stopped at its declared limit: the hog was OOM-killed at its memory limit, the bomb ran into
    /// pids.max and never held more than it; the others have no limit to hit (null).
    /// </summary>
    public bool? StoppedAtLimit(AggressorKind kind) => kind switch
    {
        AggressorKind.MemoryHog => OomKills > 0,
        AggressorKind.ForkBomb => PidsMaxHits > 0 && (PidsLimit is null || PidsCurrent <= PidsLimit),
        _ => null,
    };
}

/// <summary>
/// One measurement of the victim: alone (Aggressor and Tenant null) or beside one aggressor of the same or the other
/// tenant. Percentages and changes are against the alone row of the same technology and pinning.
/// </summary>
public sealed record NoisyRow(string Technology, bool Pinned, string? Aggressor, string? Tenant, VictimSample? Victim, AggressorOutcome? Outcome)
{
    /// <summary>The victim beside the same aggressor frozen (medians over the pairs); null when not paired.</summary>
    public VictimSample? Alone { get; init; }

    /// <summary>Pairs measured (frozen, then running) for this row.</summary>
    public int Pairs { get; init; }

    public double? ThroughputPercent { get; init; }
    public double? RttP99ChangeMs { get; init; }
    public bool? StoppedAtLimit { get; init; }
    public string? Error { get; init; }
}

/// <summary>
/// The noisy-neighbour benchmark (issue 17 item 4): a victim iperf3 VNF of tenant noisy-a measured from the lab side
/// alone, then beside one aggressor at a time, of its own tenant and of noisy-b (its own segment). Every instance goes
/// through the platform's InstanceService, so the limits are the real ones; every aggressor declares what a tenant
/// would (1 vCPU, 64 MiB, 64 pids) and is removed right after its measurement.
/// </summary>
public sealed class NoisyExperiment(InstanceService service, NoisyOptions options)
{
    public const string VictimTenant = "noisy-a";
    public const string OtherTenant = "noisy-b";
    public const int AggressorMemoryMiB = 64;
    public const int AggressorPids = 64;
    /// <summary>The vCPUs the victim and every aggressor declare.</summary>
    public const int DeclaredCpus = 1;

    /// <summary>
    /// The pinned layout: the victim and the lab side's iperf3 client on CPU 0, every aggressor on CPU 1. The client is
    /// pinned too: left free, the scheduler puts it beside the aggressor and the victim waits on its own load generator.
    /// </summary>
    public const string VictimCpu = "0", AggressorCpu = "1";

    /// <summary>Upper bounds of the load loops, besides their removal after the measurement.</summary>
    public const int MaxSeconds = 120, MaxPackets = 20_000_000;

    /// <summary>The report's line on what the instances declared.</summary>
    public const string Declared =
        "Victim: iperf3 server, tenant noisy-a, 1 vCPU, the technology's bench memory, 64 pids. Aggressors declare what a tenant would: 1 vCPU, 64 MiB, 64 pids " +
        "(busybox sh loops; the flood a python3 UDP loop in a process VNF, unprivileged, towards the victim's address); each removed right after its measurement. " +
        "The lab's iperf3 client runs in the lab's own cgroup beside the instances (one default CPU weight).";

    public event Action<string>? Progress;

    public IReadOnlyList<NoisyRow> Run(CancellationToken cancellationToken = default)
    {
        var rows = new List<NoisyRow>();
        var host = service.Backends.Host;
        _loadGenerator = host.Cgroups.Create(host.LabCgroupPath, new CgroupLimits(null, null, null));
        try
        {
            foreach (var technology in options.Technologies)
            {
                foreach (var pinned in options.Pinning)
                {
                    rows.AddRange(RunOne(technology, pinned, cancellationToken));
                }
            }
        }
        finally
        {
            _loadGenerator.KillAll(TimeSpan.FromSeconds(2));
            _loadGenerator.Remove();
        }
        return rows;
    }

    /// <summary>
    /// The lab's iperf3 client runs in a cgroup of its own beside the instances, so that on the victim's CPU it weighs
    /// the same whatever runs elsewhere. From the host's root group (and its session's autogroup) it got 27 % of CPU 0
    /// beside the victim while an aggressor burned CPU 1 and 37 % while it was frozen: the row measured the load
    /// generator, not the victim.
    /// </summary>
    private ICgroup? _loadGenerator;

    private List<NoisyRow> RunOne(Technology technology, bool pinned, CancellationToken cancellationToken)
    {
        var tech = technology.ToName();
        var rows = new List<NoisyRow>();
        InstanceRecord victim;
        try
        {
            victim = service.RunAsync(Victim(technology, pinned), new RunOptions(UseWarmPool: false), cancellationToken).GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            rows.Add(new NoisyRow(tech, pinned, null, null, null, null) { Error = "victim did not start: " + e.Message });
            return rows;
        }
        try
        {
            var address = IPAddress.Parse(victim.Address!);
            WaitReady(address);
            Progress?.Invoke($"{tech}{(pinned ? " pinned" : "")}: victim alone");
            var victimCgroup = service.Backends.Host.Cgroups.Open(victim.Facts.Cgroup ?? service.Backends.Host.CgroupPath(victim.Id));
            rows.Add(new NoisyRow(tech, pinned, null, NoisyRatios.Before, Measure(address, pinned, victimCgroup), null));
            foreach (var kind in options.Aggressors)
            {
                foreach (var tenant in new[] { VictimTenant, OtherTenant })
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var which = tenant == VictimTenant ? "same" : "other";
                    Progress?.Invoke($"{tech}{(pinned ? " pinned" : "")}: beside {kind.ToName()} of the {which} tenant");
                    rows.Add(WithAggressor(technology, pinned, kind, tenant, which, address, cancellationToken));
                }
            }
            Progress?.Invoke($"{tech}{(pinned ? " pinned" : "")}: victim alone again");
            rows.Add(new NoisyRow(tech, pinned, null, NoisyRatios.After, Measure(address, pinned, victimCgroup), null));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            rows.Add(new NoisyRow(tech, pinned, null, null, null, null) { Error = e.Message });
        }
        finally
        {
            service.RemoveAsync(victim, CancellationToken.None).GetAwaiter().GetResult();
            Thread.Sleep(options.Settle);
        }
        return NoisyRatios.AgainstAlone(rows);
    }

    private NoisyRow WithAggressor(Technology technology, bool pinned, AggressorKind kind, string tenant, string which, IPAddress victim,
        CancellationToken cancellationToken)
    {
        var tech = technology.ToName();
        InstanceRecord? aggressor = null;
        try
        {
            var descriptor = Aggressor(technology, kind, tenant, pinned, victim);
            aggressor = service.RunAsync(descriptor, new RunOptions(UseWarmPool: false), cancellationToken).GetAwaiter().GetResult();
            Thread.Sleep(options.RampUp);
            var paired = MeasurePairs(aggressor, descriptor.Spec.Technology, victim, pinned, cancellationToken);
            var outcome = Outcome(aggressor, descriptor.Spec.Technology);
            return new NoisyRow(tech, pinned, kind.ToName(), which, paired.Beside, outcome)
            {
                StoppedAtLimit = outcome.StoppedAtLimit(kind),
                Alone = paired.Frozen,
                Pairs = paired.Pairs,
                ThroughputPercent = paired.Percent,
            };
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return new NoisyRow(tech, pinned, kind.ToName(), which, null, aggressor is null ? null : Outcome(aggressor, aggressor.Technology)) { Error = e.Message };
        }
        finally
        {
            if (aggressor is not null)
            {
                service.RemoveAsync(aggressor, CancellationToken.None).GetAwaiter().GetResult();
                Thread.Sleep(options.Settle);
            }
        }
    }

    /// <summary>The victim beside the aggressor frozen and running: the medians, the pairs used and the median of their ratios.</summary>
    private sealed record Paired(VictimSample? Frozen, VictimSample Beside, int Pairs, double? Percent);

    /// <summary>Report interval of the paired test; the first one after each switch and the last quarter second before the next are left out.</summary>
    public static readonly TimeSpan ReportInterval = TimeSpan.FromMilliseconds(500), Settle = TimeSpan.FromMilliseconds(500), Margin = TimeSpan.FromMilliseconds(250);

    /// <summary>A half of a pair lasts the measurement's seconds, at least this (two reports that count).</summary>
    public static readonly TimeSpan MinPhase = TimeSpan.FromSeconds(2);

    private TimeSpan Phase => options.Duration < MinPhase ? MinPhase : options.Duration;

    /// <summary>
    /// The victim beside the aggressor frozen (the backend's freezer: its memory and pids held, no instruction run), then
    /// running, <see cref="NoisyOptions.Pairs"/> times, <see cref="Phase"/> each, within one iperf3
    /// test: a connection's own state moves its throughput by 8-11 % from one test to the next here, and the host's
    /// speed drifts within the hour; a ratio of two phases of one connection seconds apart measures the aggressor.
    /// Then one RTT flood frozen and one running. Without a freezer for the aggressor's technology, or with no pairs
    /// asked, one measurement beside the running aggressor.
    /// </summary>
    private Paired MeasurePairs(InstanceRecord aggressor, Technology technology, IPAddress victim, bool pinned, CancellationToken cancellationToken)
    {
        var backend = service.Backends.Require(technology);
        var instance = aggressor.AsBackendInstance();
        if (options.Pairs == 0 || !Froze())
        {
            return new Paired(null, Measure(victim, pinned), 0, null);
        }
        var phases = 2 * options.Pairs;
        IReadOnlyList<Iperf3Interval> intervals;
        VictimSample.Rtt frozenRtt, runningRtt;
        try
        {
            var lab = service.Backends.Host.Lab.Namespace;
            var test = Task.Run(() => Iperf3Client.Intervals(lab, victim, 5201, Phase * phases, ReportInterval, ClientCpu(pinned), _loadGenerator),
                CancellationToken.None);
            var start = Stopwatch.GetTimestamp();
            for (var i = 1; i < phases && !test.IsCompleted; i++)
            {
                var due = Phase * i - Stopwatch.GetElapsedTime(start);
                if (due > TimeSpan.Zero)
                {
                    test.Wait(due, cancellationToken);
                }
                if (i % 2 == 1)
                {
                    backend.ThawAsync(instance, CancellationToken.None).GetAwaiter().GetResult();
                }
                else
                {
                    backend.FreezeAsync(instance, cancellationToken).GetAwaiter().GetResult();
                }
            }
            intervals = test.GetAwaiter().GetResult();
            backend.FreezeAsync(instance, cancellationToken).GetAwaiter().GetResult();
            frozenRtt = MeasureRtt(victim);
        }
        finally
        {
            backend.ThawAsync(instance, CancellationToken.None).GetAwaiter().GetResult();
        }
        Thread.Sleep(options.RampUp);
        runningRtt = MeasureRtt(victim);
        var medians = NoisyRatios.PhaseMedians(intervals, Phase, phases, Settle, Margin);
        var pairs = NoisyRatios.Pairs(medians);
        if (pairs.Count == 0)
        {
            throw new InvalidOperationException($"the paired iperf3 test reported no usable interval ({intervals.Count} intervals)");
        }
        return new Paired(
            frozenRtt.With(NoisyRatios.Median(pairs.Select(p => p.Frozen))),
            runningRtt.With(NoisyRatios.Median(pairs.Select(p => p.Running))),
            pairs.Count,
            NoisyRatios.MedianRatio(pairs));

        bool Froze()
        {
            try
            {
                backend.FreezeAsync(instance, cancellationToken).GetAwaiter().GetResult();
                return true;
            }
            catch (LightNfv.Core.Errors.LightNfvException)
            {
                return false;
            }
        }
    }

    private void WaitReady(IPAddress address)
    {
        var lab = service.Backends.Host.Lab.Namespace;
        using var sockets = new ProbeSockets(lab);
        if (!TcpReadinessProbe.Probe(address, 5201, Stopwatch.GetTimestamp(), options.ReadyTimeout, acceptRst: false, sockets: sockets).Ready)
        {
            throw new TimeoutException($"the victim {address}:5201 did not answer within {options.ReadyTimeout.TotalSeconds:0} s");
        }
    }

    private static int? ClientCpu(bool pinned) => pinned ? int.Parse(VictimCpu, CultureInfo.InvariantCulture) : null;

    /// <param name="victimCgroup">With it, the sample says how many CPUs the victim and the lab's load generator used.</param>
    private VictimSample Measure(IPAddress address, bool pinned, ICgroup? victimCgroup = null)
    {
        ulong Used() => victimCgroup is null || _loadGenerator is null ? 0 : victimCgroup.ReadStats().CpuNanoseconds + _loadGenerator.ReadStats().CpuNanoseconds;
        var (before, start) = (Used(), Stopwatch.GetTimestamp());
        var gbps = Iperf3Client.Gbps(service.Backends.Host.Lab.Namespace, address, 5201, options.Duration, vnfSends: false, ClientCpu(pinned), _loadGenerator);
        var cpus = victimCgroup is null ? (double?)null : (Used() - before) / Stopwatch.GetElapsedTime(start).TotalNanoseconds;
        return MeasureRtt(address).With(gbps) with { CpusUsed = cpus };
    }

    private VictimSample.Rtt MeasureRtt(IPAddress address)
    {
        var rtt = IcmpEcho.Flood(address, options.PingCount, TimeSpan.FromSeconds(20), netNamespace: service.Backends.Host.Lab.Namespace);
        if (rtt.Count == 0)
        {
            throw new TimeoutException($"no ICMP echo reply from the victim {address}");
        }
        var sorted = rtt.Order().ToArray();
        return new VictimSample.Rtt(Statistics.Summary.Percentile(sorted, 50), Statistics.Summary.Percentile(sorted, 99), sorted.Length);
    }

    /// <summary>The cgroup's counters (read before removal: removal deletes the cgroup) and the observed state.</summary>
    private AggressorOutcome Outcome(InstanceRecord record, Technology technology)
    {
        var host = service.Backends.Host;
        var state = service.Observe(record).ToString().ToLowerInvariant();
        var cgroup = host.Cgroups.Open(record.Facts.Cgroup ?? host.CgroupPath(record.Id));
        if (cgroup is null)
        {
            return new AggressorOutcome(technology.ToName(), state, 0, 0, 0, null, null);
        }
        var stats = cgroup.ReadStats();
        return new AggressorOutcome(technology.ToName(), state, stats.OomKills, PidsMaxHits(cgroup.ProcsFiles), stats.PidsCurrent, stats.PidsLimit, stats.MemoryLimitBytes);
    }

    /// <summary>pids.events "max": forks refused at pids.max (same file in v1's pids hierarchy and in v2).</summary>
    private static ulong PidsMaxHits(IReadOnlyList<string> procsFiles)
    {
        foreach (var procs in procsFiles)
        {
            var events = Path.Combine(Path.GetDirectoryName(procs)!, "pids.events");
            if (File.Exists(events))
            {
                return NoisyRatios.ReadMax(File.ReadAllText(events));
            }
        }
        return 0;
    }

    private static string Resources(int memoryMiB, int pids, string? cpuset) => $"""
          resources:
            vcpus: {DeclaredCpus}
            memoryMiB: {memoryMiB}
            pids: {pids}{(cpuset is null ? "" : $"\n    cpuset: \"{cpuset}\"")}
        """;

    private static VnfDescriptor Victim(Technology technology, bool pinned) => DescriptorParser.Parse($"""
        apiVersion: lightnfv/v1
        kind: Vnf
        metadata:
          name: noisy-victim
          tenant: {VictimTenant}
        spec:
          technology: {technology.ToName()}
          app:
            builtin: iperf3-server
        {Resources(BackendRegistry.ProfileOf(technology).Bench.MemoryMiB, 64, pinned ? VictimCpu : null)}
          network:
            ports: [5201]
        """);

    /// <summary>
    /// The aggressor's descriptor. The flood runs as a process VNF whatever the victim's technology: it needs a UDP
    /// sender (python3), which a container image built from one program does not hold, and busybox has none.
    /// </summary>
    public static VnfDescriptor Aggressor(Technology technology, AggressorKind kind, string tenant, bool pinned, IPAddress victim)
    {
        var (tech, argv) = kind switch
        {
            AggressorKind.PacketFlood => (Technology.Process, new[] { "python3", "-c", FloodScript(victim) }),
            _ => (technology, new[] { "busybox", "sh", "-c", Script(kind) }),
        };
        return DescriptorParser.Parse($"""
            apiVersion: lightnfv/v1
            kind: Vnf
            metadata:
              name: noisy-{kind.ToName()}
              tenant: {tenant}
            spec:
              technology: {tech.ToName()}
              app:
                command: [{string.Join(", ", argv.Select(a => JsonSerializer.Serialize(a)))}]
            {Resources(AggressorMemoryMiB, AggressorPids, pinned ? AggressorCpu : null)}
            """);
    }

    /// <summary>The busybox scripts; each loop has an iteration bound besides the removal after its measurement.</summary>
    public static string Script(AggressorKind kind) => kind switch
    {
        // A shell loop of builtins only: pure CPU, about a minute at most.
        AggressorKind.CpuBurn => "i=0; while [ $i -lt 100000000 ]; do i=$((i+1)); done",
        // tail holds the whole newline-free stream: it grows until the memory limit kills it, then the next one starts.
        AggressorKind.MemoryHog => "i=0; while [ $i -lt 200 ]; do busybox head -c 1000m /dev/zero | busybox tail; i=$((i+1)); done",
        // The classic bomb; the main shell then execs (no fork) into a bounded sleep so the instance stays up.
        AggressorKind.ForkBomb => $"f(){{ f|f& }}; f; exec busybox sleep {MaxSeconds}",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "the flood is a python3 script"),
    };

    /// <summary>UDP datagrams at the victim's address as fast as one socket sends (unprivileged: no raw socket), bounded in time and count.</summary>
    public static string FloodScript(IPAddress victim) => string.Create(CultureInfo.InvariantCulture, $"""
        import socket, time
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        d = ("{victim}", 5201)
        b = b"x" * 1200
        end = time.monotonic() + {MaxSeconds}
        n = 0
        while n < {MaxPackets} and time.monotonic() < end:
            n += 1
            try:
                s.sendto(b, d)
            except OSError:
                time.sleep(0.001)
        """);
}

/// <summary>The arithmetic of the report, kept apart to be tested on its own.</summary>
public static class NoisyRatios
{
    /// <summary>The Tenant field of the victim's alone rows: measured before the first aggressor and after the last.</summary>
    public const string Before = "alone-before", After = "alone-after";

    /// <summary>
    /// Fills each aggressor row's percentage and p99 change against the mean of the alone rows of its technology and
    /// pinning: one alone figure taken minutes before some rows, on a host others load too, swings the ratios by tens
    /// of percent; bracketing the run averages that drift out.
    /// </summary>
    public static List<NoisyRow> AgainstAlone(IReadOnlyList<NoisyRow> rows) => rows.Select(r =>
    {
        if (r.Aggressor is not null && r.Victim is not null && r.Alone is { } paired)
        {
            // Paired: the percentage is already the median of the pairs' ratios.
            return r with { RttP99ChangeMs = r.Victim.RttP99Ms - paired.RttP99Ms };
        }
        var alone = rows.Where(a => a.Aggressor is null && a.Victim is not null && a.Technology == r.Technology && a.Pinned == r.Pinned)
            .Select(a => a.Victim!).ToList();
        if (r.Aggressor is null || r.Victim is null || alone.Count == 0)
        {
            return r;
        }
        return r with
        {
            ThroughputPercent = Percent(r.Victim.Gbps, alone.Average(a => a.Gbps)),
            RttP99ChangeMs = r.Victim.RttP99Ms - alone.Average(a => a.RttP99Ms),
        };
    }).ToList();

    /// <summary>Phases 0, 2, 4... frozen and 1, 3, 5... running, paired in order; a pair without both figures or with no frozen throughput is left out.</summary>
    public static List<(double Frozen, double Running)> Pairs(IReadOnlyList<double?> phaseMedians) =>
        Enumerable.Range(0, phaseMedians.Count / 2)
            .Where(i => phaseMedians[2 * i] is > 0 && phaseMedians[2 * i + 1] is not null)
            .Select(i => (phaseMedians[2 * i]!.Value, phaseMedians[2 * i + 1]!.Value))
            .ToList();

    /// <summary>The median over pairs of running over frozen throughput, in percent; null without a pair.</summary>
    public static double? MedianRatio(IReadOnlyList<(double Frozen, double Running)> pairs) =>
        pairs.Count == 0 ? null : Median(pairs.Select(p => p.Running / p.Frozen * 100));

    /// <summary>
    /// The median throughput of each phase of a test whose phases last <paramref name="phase"/> each, from the test's
    /// start: only intervals wholly inside a phase, starting at least <paramref name="settle"/> after its switch (an
    /// aggressor thawed takes a moment to load its CPU again) and ending at least <paramref name="margin"/> before the
    /// next (the test starts a little after the first phase); null for a phase without one.
    /// </summary>
    public static double?[] PhaseMedians(IReadOnlyList<Iperf3Interval> intervals, TimeSpan phase, int phases, TimeSpan settle, TimeSpan margin)
    {
        var length = phase.TotalSeconds;
        var inPhase = new List<double>[phases];
        foreach (var i in intervals)
        {
            var k = (int)Math.Floor(i.Start / length);
            if (k >= 0 && k < phases && i.Start - k * length >= settle.TotalSeconds - 1e-6 && i.End <= (k + 1) * length - margin.TotalSeconds + 1e-6)
            {
                (inPhase[k] ??= []).Add(i.Gbps);
            }
        }
        return inPhase.Select(g => g is null ? (double?)null : Median(g)).ToArray();
    }

    public static double Median(IEnumerable<double> values) => Statistics.Summary.Percentile(values.Order().ToArray(), 50);

    /// <summary>The victim's throughput beside an aggressor as a percentage of its alone figure; null without one.</summary>
    public static double? Percent(double with, double alone) => alone > 0 && double.IsFinite(with) ? with / alone * 100 : null;

    /// <summary>The "max" count of a pids.events file (forks refused at pids.max).</summary>
    public static ulong ReadMax(string events)
    {
        foreach (var line in events.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length == 2 && parts[0] == "max" && ulong.TryParse(parts[1], CultureInfo.InvariantCulture, out var n))
            {
                return n;
            }
        }
        return 0;
    }

    /// <summary>
    /// The most of its alone throughput a victim can keep unpinned beside an aggressor that uses the CPUs it is entitled
    /// to, in percent: alone, the victim and its load generator used some CPUs (their rows' CpusUsed) of the host's
    /// <paramref name="hostCpus"/>; beside the aggressor, <paramref name="hostCpus"/> less its share are left. Null
    /// when nothing was measured.
    /// </summary>
    public static double? UnpinnedBound(IEnumerable<NoisyRow> rows, string technology, int hostCpus, int aggressorCpus = NoisyExperiment.DeclaredCpus)
    {
        var used = rows.Where(r => r.Technology == technology && !r.Pinned && r.Aggressor is null && r.Victim?.CpusUsed is > 0)
            .Select(r => r.Victim!.CpusUsed!.Value).ToList();
        return used.Count == 0 ? null : Math.Min(100, Math.Max(0, hostCpus - aggressorCpus) / used.Average() * 100);
    }

    /// <summary>Whether the victim kept at least <paramref name="floorPercent"/> of its alone throughput beside every aggressor of the other tenant.</summary>
    public static bool OtherTenantKeeps(IEnumerable<NoisyRow> rows, string technology, bool pinned, double floorPercent = 90) =>
        rows.Where(r => r.Technology == technology && r.Pinned == pinned && r.Tenant == "other")
            .All(r => r.ThroughputPercent is { } p && p >= floorPercent);
}
