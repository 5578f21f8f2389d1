using LightNfv.Platform.Control.Adoption;
using LightNfv.Platform.Control.Liveness;
using LightNfv.Platform.Control.Rollout;
using LightNfv.Platform.Control.Service;
using LightNfv.Platform.Lifecycle;
using Microsoft.Extensions.Logging;

namespace LightNfv.Platform.Control;

/// <summary>
/// Where the control plane meets the host directly, outside the backends: exit watches (pidfds), the liveness check
/// (cgroup freezer, /proc, a TCP probe from the lab), the readiness gate of a rolling update, and the orphan sweep by
/// name. The daemon uses <see cref="ForHost"/>; tests replace them, so every part runs without root or a lab.
/// </summary>
public sealed record ReconcilerSeams(IReplicaWatcher Watcher, ILivenessCheck Liveness, IReadinessGate Readiness, IOrphanSweep Orphans)
{
    /// <summary>The service addresses' table (nftables in the lab on a real host); tests keep the in-memory one.</summary>
    public IServiceTable Services { get; init; } = new InMemoryServiceTable();

    public static ReconcilerSeams ForHost(InstanceService instances, ILogger logger) => new(
        new PidfdReplicaWatcher(),
        new HostLivenessCheck(instances.Backends.Host),
        new TcpReadinessGate(instances.Backends.Host),
        new HostOrphanSweep(instances, logger))
    {
        Services = new NftServiceTable(instances.Backends.Host),
    };
}
