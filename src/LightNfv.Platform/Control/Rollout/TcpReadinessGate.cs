using System.Diagnostics;
using System.Net;
using LightNfv.Backends.Shared;
using LightNfv.Host.Probes;
using LightNfv.Platform.Store;

namespace LightNfv.Platform.Control.Rollout;

/// <summary>A TCP handshake with the replica from the lab's namespace, retried until it answers or the timeout passes.</summary>
public sealed class TcpReadinessGate(BackendContext host) : IReadinessGate
{
    public bool WaitAnswering(InstanceRecord replica, int port, TimeSpan timeout) =>
        replica.Address is null ||
        TcpReadinessProbe.WaitForAnswer(host.Lab, IPAddress.Parse(replica.Address), port, Stopwatch.GetTimestamp(), timeout).Ready;
}
