using System.Net;
using System.Net.Sockets;
using LightNfv.Backends.Shared;
using LightNfv.Core.Descriptors;
using LightNfv.Core.Errors;
using LightNfv.Host.Cgroups;
using LightNfv.Host.Namespaces;
using LightNfv.Host.Probes;
using LightNfv.Host.Processes;
using LightNfv.Platform.Monitoring;
using LightNfv.Platform.Store;

namespace LightNfv.Platform.Control.Liveness;

/// <summary>
/// The host's liveness check of a replica. Its cgroup frozen: held, not judged (the hook for a quarantine). Any of its
/// processes stopped: failed, whatever the network says, because the kernel completes a stopped listener's
/// handshakes. Then the TCP probe from the lab, if the descriptor has one: a handshake probe (tcp:PORT) is half-open
/// (SYN, SYN-ACK, then the kernel's RST), which proves the same (the kernel completes handshakes, not the VNF) without
/// the VNF ever accepting it; an answer probe connects and talks (<see cref="TcpLivenessProbe"/>).
/// </summary>
public sealed class HostLivenessCheck(BackendContext host) : ILivenessCheck
{
    /// <summary>Handshake probes go half-open (<see cref="TcpSynProbe"/>) until a raw socket is refused.</summary>
    private volatile bool _halfOpen = true;

    /// <summary>The mount table, read once: where a v1 freezer hierarchy is mounted, if anywhere.</summary>
    private readonly Lazy<IReadOnlyList<MountInfoEntry>> _mounts = new(() =>
    {
        try
        {
            return MountInfo.Read();
        }
        catch (LightNfvException)
        {
            return [];
        }
    });

    public async Task<LivenessCheck> CheckAsync(InstanceRecord r, HealthSpec health, CancellationToken ct)
    {
        var cgroupPath = r.Facts.Cgroup ?? host.CgroupPath(r.Id);
        var cgroup = host.Cgroups.Open(cgroupPath);
        if (cgroup is not null && (ReplicaProcesses.IsFrozen(cgroup) ||
            (host.Cgroups.Version == "v1" && ReplicaProcesses.V1FreezerDirectory(cgroupPath, _mounts.Value) is { } freezer && ReplicaProcesses.IsFrozenDirectory(freezer))))
        {
            return LivenessCheck.Held;
        }
        var pids = new List<int>();
        if (ProcessIdentity.From(r.Facts.Process) is { IsAlive: true } main)
        {
            pids.Add(main.Pid);
        }
        if (cgroup is not null)
        {
            pids.AddRange(cgroup.Pids());
        }
        var stopped = ReplicaProcesses.Stopped(pids);
        if (stopped.Count > 0)
        {
            var s = stopped[0];
            return LivenessCheck.Failed($"process {s.Pid} ({s.Command}) is {(s.State == 'T' ? "stopped (state T: SIGSTOP or SIGTSTP)" : "stopped by a tracer (state t)")}" +
                (stopped.Count > 1 ? $", and {stopped.Count - 1} more of its processes" : ""));
        }
        if (health.TcpPort is not { } port || r.Address is null)
        {
            return LivenessCheck.Passed;
        }
        if (!health.ProbeExpectsAnswer && _halfOpen)
        {
            // Half-open (SYN, SYN-ACK, RST by the kernel): the VNF never accepts the probe, so nothing in its log.
            (Socket, Socket)? sockets = null;
            // From the lab-side address of the instance's own segment: the lab answers each segment only on its own.
            var gateway = host.Lab.AttachmentFor(IPAddress.Parse(r.Address)).Gateway;
            try
            {
                sockets = NetNamespace.OpenIn(host.Lab.Namespace, () => TcpSynProbe.Open(gateway));
            }
            catch (SocketException)
            {
                _halfOpen = false; // no CAP_NET_RAW: handshakes from now on
            }
            if (sockets is { } s)
            {
                using (s.Item1)
                using (s.Item2)
                {
                    return new LivenessCheck(false,
                        await TcpSynProbe.CheckAsync(s, gateway, IPAddress.Parse(r.Address), port, health.Timeout, ct).ConfigureAwait(false));
                }
            }
        }
        var failure = await TcpLivenessProbe.CheckAsync(
            host.Lab.OpenTcpSocket,
            IPAddress.Parse(r.Address), port, health, ct).ConfigureAwait(false);
        return new LivenessCheck(false, failure);
    }
}
