using LightNfv.Bench.Environment;
using LightNfv.Bench.Experiments;
using LightNfv.Bench.Reports;
using LightNfv.Bench.Statistics;
using LightNfv.Core.Backends;
using LightNfv.Core.Descriptors;
using LightNfv.Host.Namespaces;
using LightNfv.Platform.Lifecycle;

namespace LightNfv.Bench;

/// <summary>
/// Runs the experiments for every requested technology in alternation (run i of A, run i of B, ...), so drift of a
/// shared, noisy machine hits all of them alike; technologies whose probe fails, or whose preparation or measurement
/// fails, are reported with the reason, and the others are measured all the same.
/// </summary>
public sealed class BenchRunner(InstanceService service, BenchOptions options, TimeProvider? time = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    // Data-path samples by row label ("floor", "process/cold", ...), filled by Run.
    private readonly Dictionary<string, List<double>> _tx = new(), _rx = new(), _rtt = new();

    /// <summary>Progress lines ("process run 3/50: 2.9 ms").</summary>
    public event Action<string>? Progress;

    /// <summary>Counted progress per phase, warm-up runs included, for a live display.</summary>
    public event Action<BenchStep>? Step;

    /// <summary>
    /// Runs the bench in this process's own network namespace (hopping there if called from elsewhere): create calls,
    /// image builds and every tool they start run as any `run` does; only probe and load sockets, the floor's iperf3 and
    /// the iperf3 client are placed in the lab, by name.
    /// </summary>
    public BenchReport Run(CancellationToken cancellationToken = default) => HostNetwork.Run(() => RunAtHome(cancellationToken));

    private BenchReport RunAtHome(CancellationToken cancellationToken)
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
        // VMs: how each ran (accelerator, machine, kernel) and the shared-file memory left out of memory_mb.
        var vmNotes = new Dictionary<BenchSubject, string>();
        var sharedMb = subjects.ToDictionary(t => t, _ => new List<double>());
        var floor = new List<double>();
        // Subjects left out after a failure, and why: one technology's failure never ends the others' measurement.
        var failed = new Dictionary<BenchSubject, (string Stage, string Reason)>();
        void Fail(BenchSubject subject, string stage, Exception e)
        {
            // A container runtime's failure leaves its sibling runtime measured; the other technologies go on anyway.
            foreach (var s in subjects.Where(x => x.Technology == subject.Technology && x.Runtime == subject.Runtime && !failed.ContainsKey(x)))
            {
                failed[s] = (stage, e.Message);
            }
            Progress?.Invoke($"{subject.Label}: failed in {stage}, left out: {e.Message}");
        }
        void AddNetwork(string key, NetworkSample n)
        {
            (_tx.TryGetValue(key, out var t) ? t : _tx[key] = []).Add(n.TxGbps);
            (_rx.TryGetValue(key, out var r) ? r : _rx[key] = []).Add(n.RxGbps);
            (_rtt.TryGetValue(key, out var p) ? p : _rtt[key] = []).AddRange(n.RttMs);
        }
        if (subjects.Count > 0)
        {
            // The lab is one-time setup, not part of any instance's instantiation: make it before timing.
            var lab = service.Backends.Host.Lab;
            try
            {
                var experiment = new InstantiationExperiment(service, options);

                // Preparation, untimed: one instance of each cold subject through the real create path builds and caches
                // what it needs (root filesystem, kernel, initramfs, Debian disk, docker import, accelerator probe), here
                // in the host's namespace. A technology that cannot be prepared is reported with the reason and left out.
                var cold = subjects.Where(s => !s.Warm).ToList();
                foreach (var t in available)
                {
                    // First-use builds take minutes and may retry a download: say so as it happens.
                    service.Backends.Find(t)?.ReportBuildProgress(line => Progress?.Invoke(line));
                }
                for (var i = 0; i < cold.Count; i++)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var subject = cold[i];
                    try
                    {
                        var sample = experiment.Run(subject, $"bench-{subject.Technology.ToName()}-{subject.Variant}-prepare", measureMemory: false);
                        Step?.Invoke(new BenchStep("preparation", i + 1, cold.Count, $"{subject.Label} prepared, first instance answered in {sample.InstantiationMs:0.00} ms"));
                    }
                    catch (Exception e) when (IsFailure(e, cancellationToken))
                    {
                        Fail(subject, "preparation", e);
                        Step?.Invoke(new BenchStep("preparation", i + 1, cold.Count, $"{subject.Label} failed: {e.Message}"));
                    }
                }

                var measured = subjects.Where(s => !failed.ContainsKey(s)).ToList();
                var floorExperiment = new FloorExperiment(lab.Pool.Gateway, lab.Namespace, options);
                var steps = measured.Sum(sj => WarmupsFor(sj.Technology) + RunsFor(sj.Technology));
                var step = 0;
                for (var run = -options.WarmupRuns; run < options.Runs && measured.Count > 0; run++)
                {
                    var bare = floorExperiment.Run();
                    if (run >= 0)
                    {
                        floor.Add(bare);
                    }
                    foreach (var subject in measured)
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                        if (failed.ContainsKey(subject) || run >= RunsFor(subject.Technology) || -run > WarmupsFor(subject.Technology))
                        {
                            continue; // a slow technology's fewer runs come first, alternating with the others
                        }
                        var name = $"bench-{subject.Technology.ToName()}-{subject.Variant}-{(run < 0 ? "w" + (-run) : run.ToString(System.Globalization.CultureInfo.InvariantCulture))}";
                        InstantiationSample sample;
                        try
                        {
                            sample = experiment.Run(subject, name, measureMemory: run >= 0);
                        }
                        catch (TimeoutException e)
                        {
                            // One instance that never answered (seen with an emulated standard VM) is reported, not fatal
                            // to the whole bench; the instance was removed by the experiment.
                            Progress?.Invoke($"{subject.Label} run {run + 1}/{RunsFor(subject.Technology)}: no answer, run left out: {e.Message}");
                            continue;
                        }
                        catch (Exception e) when (IsFailure(e, cancellationToken))
                        {
                            Fail(subject, "measurement", e);
                            continue;
                        }
                        if (run < 0)
                        {
                            Step?.Invoke(new BenchStep("instantiation", ++step, steps, $"{subject.Label} warm-up {WarmupsFor(subject.Technology) + run + 1}/{WarmupsFor(subject.Technology)}: {sample.InstantiationMs:0.00} ms"));
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
                        if (sample.BackendNote is { } note)
                        {
                            vmNotes[subject] = note;
                        }
                        if (sample.SharedFileMb is { } sh)
                        {
                            sharedMb[subject].Add(sh);
                        }
                        var line = $"{subject.Label} run {run + 1}/{RunsFor(subject.Technology)}: {sample.InstantiationMs:0.00} ms to answer, {sample.ReadyMs:0.00} ms to accept, {sample.MemoryMb:0.00} MB";
                        Step?.Invoke(new BenchStep("instantiation", ++step, steps, line));
                        Progress?.Invoke(line);
                    }
                }

                // The data path does not depend on how the instance was started: measured on cold instances.
                var network = new NetworkExperiment(service, options);
                var networkSubjects = subjects.Where(s => !s.Warm && !failed.ContainsKey(s)).ToList();
                var networkSteps = options.NetworkRuns * (1 + networkSubjects.Count);
                var networkStep = 0;
                for (var rep = 0; rep < options.NetworkRuns && networkSubjects.Count > 0; rep++)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var bareNetwork = network.RunFloor(service.Backends.Host);
                    AddNetwork(FloorExperiment.Technology, bareNetwork);
                    Step?.Invoke(new BenchStep("network", ++networkStep, networkSteps, $"floor network {rep + 1}/{options.NetworkRuns}: tx {bareNetwork.TxGbps:0.0} Gb/s, rx {bareNetwork.RxGbps:0.0} Gb/s"));
                    foreach (var subject in networkSubjects)
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                        if (failed.ContainsKey(subject))
                        {
                            continue;
                        }
                        NetworkSample n;
                        try
                        {
                            n = network.Run(subject, $"bench-net-{subject.Technology.ToName()}-{subject.Variant}-{rep}");
                        }
                        catch (TimeoutException e)
                        {
                            Progress?.Invoke($"{subject.Label} network {rep + 1}/{options.NetworkRuns}: no answer, left out: {e.Message}");
                            continue;
                        }
                        catch (Exception e) when (IsFailure(e, cancellationToken))
                        {
                            // Its instantiation figures stand; its data path is reported missing with the reason.
                            Progress?.Invoke($"{subject.Label} network {rep + 1}/{options.NetworkRuns}: failed, left out: {e.Message}");
                            continue;
                        }
                        AddNetwork(subject.Label, n);
                        var line = $"{subject.Label} network {rep + 1}/{options.NetworkRuns}: tx {n.TxGbps:0.0} Gb/s, rx {n.RxGbps:0.0} Gb/s, rtt median {Statistics.Summary.Of(n.RttMs.Count > 0 ? n.RttMs.ToArray() : [double.NaN]).Median * 1000:0} µs";
                        Step?.Invoke(new BenchStep("network", ++networkStep, networkSteps, line));
                        Progress?.Invoke(line);
                    }
                }
            }
            catch (Exception e) when (e is not OperationCanceledException && cancellationToken.IsCancellationRequested)
            {
                // A tool that got the Ctrl-C too failed: the run is interrupted (exit 130 and cleanup), not that technology.
                throw new OperationCanceledException("interrupted", e, cancellationToken);
            }
            finally
            {
                // Leave no shell behind, also after Ctrl-C: the pool is the bench's, not the operator's.
                foreach (var t in available)
                {
                    service.Backends.Find(t)?.WarmPool?.Drain();
                }
            }
        }

        // A failed subject is reported once per technology (and runtime), with the stage and the reason; what it measured
        // before failing is dropped, since a partial row would compare unequal runs.
        foreach (var group in failed.GroupBy(f => (f.Key.Technology, f.Key.Runtime)))
        {
            var (stage, reason) = group.First().Value;
            unavailable.Add(new Unavailable(group.Key.Technology.ToName(), group.Key.Runtime is { } rt ? $"{rt}: {reason}" : reason) { FailedIn = stage });
        }
        subjects = subjects.Where(s => !failed.ContainsKey(s)).ToList();

        var results = new List<MetricResult>();
        if (floor.Count > 0)
        {
            results.Add(Result(FloorExperiment.Technology, FloorExperiment.Variant, Metrics.ReadyMs, "ms", floor,
                "the floor, same run: iperf3 -s started by a bare posix_spawn in the lab namespace (no isolation, no store) to its first SYN-ACK, same probe"));
        }
        AddNetworkResults(results, FloorExperiment.Technology, FloorExperiment.Variant, FloorExperiment.Technology,
            "the floor, same run: iperf3 in a bare namespace on the same bridge by the same kind of veth, no cgroup; ");
        foreach (var subject in subjects)
        {
            var tech = subject.Technology;
            var variant = subject.Variant;
            var profile = service.Backends.Profile(tech).Bench;
            var how = (subject.Warm ? profile.WarmStart : "everything made on the create call; ") +
                (subject.RuntimeVersion is { } version ? version + "; " : "");
            var call = profile.CreateCall(subject.Runtime);
            if (vmNotes.TryGetValue(subject, out var vmNote))
            {
                how += vmNote + "; ";
            }
            results.Add(Result(tech, variant, Metrics.InstantiationMs, "ms", instantiation[subject],
                how + $"create call ({call}) to the first SYN answered (RST or SYN-ACK) — the draft's definition; probed from the lab namespace by a non-blocking connect loop (50 µs step) once the call returns" + profile.ProbeStepNote));
            results.Add(Result(tech, variant, Metrics.ReadyMs, "ms", ready[subject],
                how + "create call to the first SYN-ACK from the VNF itself (iperf3 listening); same probe"));
            AddNetworkResults(results, tech.ToName(), variant, subject.Label, "");
            if (images.TryGetValue(subject, out var image))
            {
                results.Add(Result(tech, variant, Metrics.ImageMb, "MB", [image.Tree], profile.ImageNote(image.TarGz, vmNote, subject.Runtime)));
            }
            if (memory[subject].Count > 0)
            {
                results.Add(Result(tech, variant, Metrics.MemoryMb, "MB", memory[subject],
                    profile.MemoryNote(options.MemorySettle.TotalMilliseconds, sharedMb[subject].Count > 0 ? sharedMb[subject].Average() : 0, subject.Runtime)));
            }
        }
        var host = HostProbe.Describe(CgroupVersion(), service.Backends.Host.Tuning ?? "lab not opened", options.Command, _time.GetUtcNow());
        return new BenchReport(host, results, unavailable);
    }

    /// <summary>
    /// A technology's own failure, to report and go on; not an interruption: after Ctrl-C a tool that got the signal too
    /// fails, and that must end the run (and its cleanup) rather than be reported as the technology's failure.
    /// </summary>
    private static bool IsFailure(Exception e, CancellationToken cancellationToken) =>
        e is not OperationCanceledException && !cancellationToken.IsCancellationRequested;

    /// <summary>Measured runs of a technology: all of them, or fewer where one run takes tens of seconds.</summary>
    private int RunsFor(Technology technology) =>
        RunCap(technology) is { } cap ? Math.Min(cap, options.Runs) : options.Runs;

    /// <summary>Warm-up runs: none more for a slow technology (its preparation run already booted one), else all.</summary>
    private int WarmupsFor(Technology technology) =>
        RunCap(technology) is null ? options.WarmupRuns : 0;

    private int? RunCap(Technology technology)
    {
        var profile = service.Backends.Profile(technology).Bench;
        return options.Quick ? profile.QuickRunCap : profile.RunCap;
    }

    private void AddNetworkResults(List<MetricResult> results, string tech, string variant, string key, string prefix)
    {
        var seconds = options.ThroughputDuration.TotalSeconds;
        if (_tx.TryGetValue(key, out var t) && t.Count > 0)
        {
            results.Add(Result(tech, variant, Metrics.TxGbps, "Gb/s", t, prefix + $"iperf3 -R from the lab side, the VNF sends, one TCP stream, {seconds:0.#} s per run"));
        }
        if (_rx.TryGetValue(key, out var r) && r.Count > 0)
        {
            results.Add(Result(tech, variant, Metrics.RxGbps, "Gb/s", r, prefix + $"iperf3 from the lab side, the VNF receives, one TCP stream, {seconds:0.#} s per run"));
        }
        if (_rtt.TryGetValue(key, out var p) && p.Count > 0)
        {
            results.Add(Result(tech, variant, Metrics.RttMs, "ms", p, prefix + $"ICMP echo flood from the lab side (56-byte payload, one in flight), {p.Count} replies; mean {p.Average():0.####} ms"));
        }
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
    /// once per OCI runtime this host has (crun, runc), a unikernel once per tender (kvm, process).
    /// </summary>
    private IEnumerable<BenchSubject> SubjectsOf(Technology tech)
    {
        var backend = service.Backends.Find(tech);
        var warm = backend?.WarmPool is not null;
        IReadOnlyList<BackendVariant?> variants = backend?.Variants() is { Count: > 0 } v ? [.. v] : [null];
        foreach (var variant in variants)
        {
            var prefix = variant is null ? "" : variant.Name + "-";
            var field = variant?.Field ?? "runtime";
            yield return new BenchSubject(tech, prefix + "cold", Warm: false, variant?.Name) { RuntimeVersion = variant?.Version, RuntimeField = field };
            if (warm && variant is not { Warm: false })
            {
                yield return new BenchSubject(tech, prefix + "warm", Warm: true, variant?.Name) { RuntimeVersion = variant?.Version, RuntimeField = field };
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
