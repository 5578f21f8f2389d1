using System.Diagnostics;
using System.Globalization;
using LightNfv.Host.Native;
using LightNfv.Host.Probes;
using LightNfv.Host.Processes;

namespace LightNfv.Bench.Experiments;

/// <summary>
/// The floor every isolated start is compared with, measured in the same run: the same VNF (iperf3 -s) started by a
/// bare posix_spawn inside the lab namespace (no namespaces or cgroup of its own, no store), probed the same way on
/// the lab's own address. What a technology adds on top of this is the price of its isolation and management.
/// The calling thread enters the lab only around the spawn and the probe's socket creation (a few µs), by name.
/// </summary>
public sealed class FloorExperiment(System.Net.IPAddress labAddress, FileDescriptor labNamespace, BenchOptions options)
{
    public const string Technology = "floor";
    public const string Variant = "bare-fork-exec";

    private int _port = 25201;

    public double Run()
    {
        // A fresh port each run: a just-killed listener's port may linger in the kernel for a moment.
        var port = _port++;
        using var sockets = new ProbeSockets(labNamespace);
        var start = Stopwatch.GetTimestamp();
        var process = NamespacedSpawner.SpawnBare(["iperf3", "-s", "-p", port.ToString(CultureInfo.InvariantCulture)], labNamespace);
        try
        {
            var probe = TcpReadinessProbe.Probe(labAddress, port, start, options.ReadyTimeout, acceptRst: false, sockets: sockets);
            if (!probe.Ready)
            {
                throw new TimeoutException($"bare iperf3 did not answer on {labAddress}:{port}");
            }
            return probe.ElapsedMs;
        }
        finally
        {
            ProcessSignals.Send(process, 9);
            ProcessSignals.WaitForExit(process, TimeSpan.FromSeconds(2));
            ChildReaper.Reap(process, TimeSpan.FromSeconds(2));
            Thread.Sleep(options.Settle);
        }
    }
}
