using System.Diagnostics;
using System.Net;
using LightNfv.Core.Descriptors;
using LightNfv.Host.Probes;
using LightNfv.Platform.Lifecycle;

namespace LightNfv.Bench.Experiments;

/// <summary>What is measured: a technology, and whether it starts from a pre-created shell of its warm pool.</summary>
public sealed record BenchSubject(Technology Technology, string Variant, bool Warm, string? Runtime = null)
{
    public string Label => $"{Technology.ToName()}/{Variant}";

    /// <summary>The version of the variant's OCI runtime or tender, for the notes.</summary>
    public string? RuntimeVersion { get; init; }

    /// <summary>The descriptor field that names the variant: spec.runtime (OCI runtimes) or spec.accel (unikernel tenders).</summary>
    public string RuntimeField { get; init; } = "runtime";
}

/// <summary>One instantiation: the create call to the first answered SYN (the draft's figure) and to the VNF's first SYN-ACK, then its idle memory.</summary>
public sealed record InstantiationSample(double InstantiationMs, double ReadyMs, double? MemoryMb, int ProbeAttempts)
{
    /// <summary>Bytes of the image the instance runs from (uncompressed tree, and as tar.gz), when the backend built one.</summary>
    public double? ImageMb { get; init; }
    public double? ImageTarGzMb { get; init; }

    /// <summary>Resident memory of shared files (a VMM's binary and libraries) left out of <see cref="MemoryMb"/>.</summary>
    public double? SharedFileMb { get; init; }

    /// <summary>What the backend says about how it ran the instance (accelerator, machine, kernel, image), for the report's notes.</summary>
    public string? BackendNote { get; init; }
}

/// <summary>
/// The draft's instantiation measurement: from issuing the create operation (the control plane's run: store,
/// cgroup, namespaces, veth, spawn) until the instance answers a SYN (RST or SYN-ACK), then on until the VNF itself
/// answers with SYN-ACK ("ready"). The probe starts when the create call returns: on a 2-vCPU host a SYN flood
/// running alongside the create call takes the CPU the instance needs (measured: +1.5 ms median).
/// Runs in the host's namespace, as any `run` does; the probe's sockets are made in the lab before the create call is
/// timed (<see cref="ProbeSockets"/>), so probing costs no thread switch and nothing the create call starts sees the lab.
/// </summary>
public sealed class InstantiationExperiment(InstanceService service, BenchOptions options)
{

    public InstantiationSample Run(BenchSubject subject, string name, bool measureMemory)
    {
        var technology = subject.Technology;
        if (subject.Warm)
        {
            // Untimed, like the draft's pre-created taps: the shell exists before the create call is issued.
            service.RefillWarmPool(technology, 1);
        }
        var profile = service.Backends.Profile(technology).Bench;
        var descriptor = BenchDescriptors.Iperf3(technology, name, subject.Runtime, subject.RuntimeField);
        var port = descriptor.Spec.Network.ReadinessPort ?? 5201;
        // Untimed, as benchmark harnesses do between iterations: a collection now, so that none lands by chance in a
        // window of a few milliseconds (a gen-0 pause stops the prober's thread too).
        GC.Collect();
        GC.WaitForPendingFinalizers();
        using var sockets = new ProbeSockets(service.Backends.Host.Lab.Namespace);
        var start = Stopwatch.GetTimestamp();
        var record = service.RunAsync(descriptor, new RunOptions(UseWarmPool: subject.Warm)).GetAwaiter().GetResult();
        try
        {
            var timeout = options.ReadyTimeoutFor(profile);
            var probe = TcpReadinessProbe.Probe(IPAddress.Parse(record.Address!), port, start, timeout, acceptRst: false,
                step: profile.ProbeStep, paceDownWhenSilent: profile.PaceDownWhenSilent, sockets: sockets);
            if (!probe.Ready)
            {
                throw new TimeoutException($"{technology.ToName()} instance {record.Id} did not answer on port {port} within {timeout.TotalSeconds:0} s");
            }
            double? memory = null, shared = null;
            if (measureMemory)
            {
                Thread.Sleep(options.MemorySettle);
                var stats = service.Inspect(record.Id).Stats;
                memory = stats?.MemoryBytes / 1024.0 / 1024.0;
                shared = stats?.SharedFileBytes / 1024.0 / 1024.0;
            }
            return new InstantiationSample(probe.FirstAnswerMs, probe.ElapsedMs, memory, probe.Attempts)
            {
                ImageMb = record.Facts.Image?.Bytes / 1e6,
                ImageTarGzMb = record.Facts.Image?.TarGzBytes / 1e6,
                SharedFileMb = shared,
                BackendNote = record.BackendState?.Summary,
            };
        }
        finally
        {
            service.RemoveAsync(record).GetAwaiter().GetResult();
            Thread.Sleep(options.Settle);
        }
    }
}
