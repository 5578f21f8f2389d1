using System.Diagnostics;
using System.Net;
using LightNfv.Backends.Shared;
using LightNfv.Core.Instances;
using LightNfv.Core.Networking;
using LightNfv.Host.Namespaces;
using LightNfv.Host.Probes;
using LightNfv.Host.Processes;
using LightNfv.Platform.Lifecycle;

namespace LightNfv.Bench.Experiments;

/// <summary>Throughput both ways and round-trip times of one running instance.</summary>
public sealed record NetworkSample(double TxGbps, double RxGbps, IReadOnlyList<double> RttMs);

/// <summary>
/// The draft's data-path measurements: iperf3 between the lab side (the "host") and the VNF, fixed duration, both
/// directions (Tx = the VNF sends, iperf3 -R), and an ICMP echo flood for RTT. The floor is the same path with nothing
/// of the platform on it: iperf3 in a bare namespace plugged into the same bridge by the same kind of veth, no cgroup.
/// Runs in the host's namespace; the load (iperf3 client, ICMP socket, probe sockets) is placed in the lab by name.
/// </summary>
public sealed class NetworkExperiment(InstanceService service, BenchOptions options)
{
    public NetworkSample Run(BenchSubject subject, string name)
    {
        var descriptor = BenchDescriptors.Iperf3(subject.Technology, name, subject.Runtime, subject.RuntimeField);
        var record = service.RunAsync(descriptor, new RunOptions(UseWarmPool: false)).GetAwaiter().GetResult();
        try
        {
            return Measure(IPAddress.Parse(record.Address!), subject.Technology);
        }
        finally
        {
            service.RemoveAsync(record).GetAwaiter().GetResult();
            Thread.Sleep(options.Settle);
        }
    }

    /// <summary>The floor: bare iperf3 in a bare namespace on the lab bridge.</summary>
    public NetworkSample RunFloor(BackendContext host)
    {
        var id = InstanceId.New();
        var ns = host.InstanceNamespace(id);
        var link = BackendContext.HostLinkName(id);
        var address = host.Pool.Allocate(service.Store.List().Where(r => r.Address is not null).Select(r => IPAddress.Parse(r.Address!)));
        host.Lab.CreateInstanceNamespace(ns, link, host.Lab.AttachmentFor(address), NetworkAttachment.MacForInstance(id));
        ProcessIdentity? server = null;
        try
        {
            using (var nsfd = NetNamespace.Open(ns))
            {
                server = NamespacedSpawner.SpawnBare(["iperf3", "-s", "-p", "5201"], nsfd);
            }
            return Measure(address);
        }
        finally
        {
            if (server is { } s)
            {
                ProcessSignals.Send(s, 9);
                ProcessSignals.WaitForExit(s, TimeSpan.FromSeconds(2));
                ChildReaper.Reap(s, TimeSpan.FromSeconds(2));
            }
            host.DeleteNetwork(ns, link, address);
            Thread.Sleep(options.Settle);
        }
    }

    private NetworkSample Measure(IPAddress address, Core.Descriptors.Technology? technology = null)
    {
        var profile = technology is { } t ? service.Backends.Profile(t).Bench : null;
        var timeout = profile is null ? options.ReadyTimeout : options.ReadyTimeoutFor(profile);
        var step = profile?.ProbeStep;
        var lab = service.Backends.Host.Lab.Namespace;
        using (var sockets = new ProbeSockets(lab))
        {
            if (!TcpReadinessProbe.Probe(address, 5201, Stopwatch.GetTimestamp(), timeout, acceptRst: false, step, sockets: sockets).Ready)
            {
                throw new TimeoutException($"{address}:5201 did not answer within {timeout.TotalSeconds:0} s");
            }
        }
        var rtt = IcmpEcho.Flood(address, options.PingCount, TimeSpan.FromSeconds(20), netNamespace: lab);
        var rx = Iperf3Client.Gbps(lab, address, 5201, options.ThroughputDuration, vnfSends: false);
        var tx = Iperf3Client.Gbps(lab, address, 5201, options.ThroughputDuration, vnfSends: true);
        return new NetworkSample(tx, rx, rtt);
    }
}
