using LightNfv.Bench.Environment;
using LightNfv.Bench.Experiments;
using LightNfv.Bench.Reports;
using LightNfv.Bench.Statistics;
using LightNfv.Core.Descriptors;
using LightNfv.Host.Namespaces;
using LightNfv.Platform.Lifecycle;

namespace LightNfv.Bench;

/// <summary>
/// Runs the experiments for every requested technology in alternation (run i of A, run i of B, ...), so drift of a
/// shared, noisy machine hits all of them alike; technologies whose probe fails are reported with the reason.
/// </summary>
public sealed class BenchRunner(InstanceService service, BenchOptions options, TimeProvider? time = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    /// <summary>Progress lines ("process run 3/50: 2.9 ms").</summary>
    public event Action<string>? Progress;

    public BenchReport Run(CancellationToken cancellationToken = default)
    {
        // Hundreds of instances come and go: reap their supervisors here rather than leave zombies to init.
        Host.Processes.ChildReaper.EnableSubreaper();
        var available = new List<Technology>();
        var unavailable = new List<Unavailable>();
        foreach (var t in options.Technologies)
        {
            var probe = service.Backends.Probe(t);
            if (probe.Available)
            {
                available.Add(t);
            }
            else
            {
                unavailable.Add(new Unavailable(t.ToName(), probe.Reason));
                Progress?.Invoke($"{t.ToName()}: skipped, {probe.Reason}");
            }
        }

        var instantiation = available.ToDictionary(t => t, _ => new List<double>());
        var ready = available.ToDictionary(t => t, _ => new List<double>());
        var memory = available.ToDictionary(t => t, _ => new List<double>());
        if (available.Count > 0)
        {
            // The lab is one-time setup, not part of any instance's instantiation: make it before timing.
            var lab = service.Backends.Host.Lab;
            NetNamespace.RunIn(lab.Namespace, () =>
            {
                var experiment = new InstantiationExperiment(service, options);
                for (var run = -options.WarmupRuns; run < options.Runs; run++)
                {
                    foreach (var tech in available)
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                        var name = $"bench-{tech.ToName()}-{(run < 0 ? "w" + (-run) : run.ToString(System.Globalization.CultureInfo.InvariantCulture))}";
                        var sample = experiment.Run(tech, name, measureMemory: run >= 0);
                        if (run < 0)
                        {
                            continue;
                        }
                        instantiation[tech].Add(sample.InstantiationMs);
                        ready[tech].Add(sample.ReadyMs);
                        if (sample.MemoryMb is { } mb)
                        {
                            memory[tech].Add(mb);
                        }
                        Progress?.Invoke($"{tech.ToName()} run {run + 1}/{options.Runs}: {sample.InstantiationMs:0.00} ms to answer, {sample.ReadyMs:0.00} ms to accept, {sample.MemoryMb:0.00} MB");
                    }
                }
                return true;
            });
        }

        var results = new List<MetricResult>();
        foreach (var tech in available)
        {
            var variant = VariantOf(tech);
            results.Add(Result(tech, variant, Metrics.InstantiationMs, "ms", instantiation[tech],
                "the draft's definition: create call (store, cgroup, namespaces, veth, spawn) to the first SYN answered (RST or SYN-ACK), probed from the lab namespace by a non-blocking connect loop, 50 µs step"));
            results.Add(Result(tech, variant, Metrics.ReadyMs, "ms", ready[tech],
                "create call to the first SYN-ACK from the VNF itself (iperf3 listening); same probe"));
            if (memory[tech].Count > 0)
            {
                results.Add(Result(tech, variant, Metrics.MemoryMb, "MB", memory[tech],
                    $"cgroup memory usage of the idle iperf3 VNF, {options.MemorySettle.TotalMilliseconds:0} ms after it answered"));
            }
        }
        var host = HostProbe.Describe(CgroupVersion(), service.Backends.Host.Tuning ?? "lab not opened", options.Command, _time.GetUtcNow());
        return new BenchReport(host, results, unavailable);
    }

    private string CgroupVersion()
    {
        try
        {
            return service.Backends.Host.Cgroups.Version;
        }
        catch (Core.Errors.LightNfvException)
        {
            return "none";
        }
    }

    private string VariantOf(Technology tech)
    {
        var probe = service.Backends.Probe(tech);
        return tech switch
        {
            Technology.Process => $"netns+cgroup{(probe.Details.TryGetValue("cgroups", out var v) ? v : "")}",
            _ => "default",
        };
    }

    private static MetricResult Result(Technology tech, string variant, string metric, string unit, List<double> samples, string notes)
    {
        var s = Summary.Of(samples);
        return new MetricResult(tech.ToName(), variant, metric, unit, Math.Round(s.Median, 4), Math.Round(s.Min, 4), Math.Round(s.Max, 4),
            Math.Round(s.P99, 4), s.Count, samples.Select(x => Math.Round(x, 4)).ToArray(), notes);
    }
}
