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

        var subjects = available.SelectMany(SubjectsOf).ToList();
        var instantiation = subjects.ToDictionary(t => t, _ => new List<double>());
        var ready = subjects.ToDictionary(t => t, _ => new List<double>());
        var memory = subjects.ToDictionary(t => t, _ => new List<double>());
        var images = new Dictionary<BenchSubject, (double Tree, double? TarGz)>();
        var floor = new List<double>();
        if (subjects.Count > 0)
        {
            // The lab is one-time setup, not part of any instance's instantiation: make it before timing.
            var lab = service.Backends.Host.Lab;
            NetNamespace.RunIn(lab.Namespace, () =>
            {
                try
                {
                    var experiment = new InstantiationExperiment(service, options);
                    var floorExperiment = new FloorExperiment(lab.Pool.Gateway, options);
                    for (var run = -options.WarmupRuns; run < options.Runs; run++)
                    {
                        var bare = floorExperiment.Run();
                        if (run >= 0)
                        {
                            floor.Add(bare);
                        }
                        foreach (var subject in subjects)
                        {
                            cancellationToken.ThrowIfCancellationRequested();
                            var name = $"bench-{subject.Technology.ToName()}-{subject.Variant}-{(run < 0 ? "w" + (-run) : run.ToString(System.Globalization.CultureInfo.InvariantCulture))}";
                            var sample = experiment.Run(subject, name, measureMemory: run >= 0);
                            if (run < 0)
                            {
                                continue;
                            }
                            instantiation[subject].Add(sample.InstantiationMs);
                            ready[subject].Add(sample.ReadyMs);
                            if (sample.MemoryMb is { } mb)
                            {
                                memory[subject].Add(mb);
                            }
                            if (sample.ImageMb is { } img)
                            {
                                images[subject] = (img, sample.ImageTarGzMb);
                            }
                            Progress?.Invoke($"{subject.Label} run {run + 1}/{options.Runs}: {sample.InstantiationMs:0.00} ms to answer, {sample.ReadyMs:0.00} ms to accept, {sample.MemoryMb:0.00} MB");
                        }
                    }
                }
                finally
                {
                    // Leave no shell behind, also after Ctrl-C: the pool is the bench's, not the operator's.
                    foreach (var t in available)
                    {
                        service.Backends.Find(t)?.WarmPool?.Drain();
                    }
                }
                return true;
            });
        }

        var results = new List<MetricResult>();
        if (floor.Count > 0)
        {
            results.Add(Result(FloorExperiment.Technology, FloorExperiment.Variant, Metrics.ReadyMs, "ms", floor,
                "the floor, same run: iperf3 -s started by a bare posix_spawn in the lab namespace (no isolation, no store) to its first SYN-ACK, same probe"));
        }
        foreach (var subject in subjects)
        {
            var tech = subject.Technology;
            var variant = subject.Variant;
            var how = (subject.Warm
                ? "from a pre-created shell (namespace on the bridge, empty cgroup), like the draft's pre-created taps; "
                : "everything made on the create call; ") + (subject.Runtime is { } rt && service.Backends.Find(tech) is Backends.Oci.ContainerBackend cb && cb.Runtime(rt) is { } r ? r.Version + "; " : "");
            var call = tech switch
            {
                Technology.Container => $"store, image (built once, then cached), namespace, veth, config.json, `{subject.Runtime} run --detach`",
                Technology.Docker => "store, image (built and imported once, then cached), Engine API create and start, veth into the container's namespace",
                _ => "store, cgroup, namespaces, veth, spawn",
            };
            results.Add(Result(tech, variant, Metrics.InstantiationMs, "ms", instantiation[subject],
                how + $"create call ({call}) to the first SYN answered (RST or SYN-ACK) — the draft's definition; probed from the lab namespace by a non-blocking connect loop (50 µs step) once the call returns"));
            results.Add(Result(tech, variant, Metrics.ReadyMs, "ms", ready[subject],
                how + "create call to the first SYN-ACK from the VNF itself (iperf3 listening); same probe"));
            if (images.TryGetValue(subject, out var image))
            {
                results.Add(Result(tech, variant, Metrics.ImageMb, "MB", [image.Tree],
                    $"root filesystem built from the VNF (binary, library closure, minimal /etc), uncompressed; {image.TarGz:0.##} MB as tar.gz; shared read-only by every instance of the image"));
            }
            if (memory[subject].Count > 0)
            {
                results.Add(Result(tech, variant, Metrics.MemoryMb, "MB", memory[subject],
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

    /// <summary>
    /// A technology with a warm pool is measured both ways: cold (everything on the create call) and warm; a container
    /// once per OCI runtime this host has (crun, runc).
    /// </summary>
    private IEnumerable<BenchSubject> SubjectsOf(Technology tech)
    {
        var warm = service.Backends.Find(tech)?.WarmPool is not null;
        IEnumerable<string?> runtimes = tech == Technology.Container && service.Backends.Find(tech) is Backends.Oci.ContainerBackend c
            ? c.AvailableRuntimes().Select(r => (string?)r.Name)
            : new string?[] { null };
        foreach (var runtime in runtimes)
        {
            var prefix = runtime is null ? "" : runtime + "-";
            yield return new BenchSubject(tech, prefix + "cold", Warm: false, runtime);
            if (warm)
            {
                yield return new BenchSubject(tech, prefix + "warm", Warm: true, runtime);
            }
        }
    }

    private static MetricResult Result(Technology tech, string variant, string metric, string unit, List<double> samples, string notes) =>
        Result(tech.ToName(), variant, metric, unit, samples, notes);

    private static MetricResult Result(string tech, string variant, string metric, string unit, List<double> samples, string notes)
    {
        var s = Summary.Of(samples);
        return new MetricResult(tech, variant, metric, unit, Math.Round(s.Median, 4), Math.Round(s.Min, 4), Math.Round(s.Max, 4),
            Math.Round(s.P99, 4), s.Count, samples.Select(x => Math.Round(x, 4)).ToArray(), notes);
    }
}
