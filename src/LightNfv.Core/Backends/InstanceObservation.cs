using System.Net;

namespace LightNfv.Core.Backends;

public enum ObservedState
{
    /// <summary>Resources exist, workload not started or stopped.</summary>
    Stopped,
    Running,
    /// <summary>The workload ended by itself.</summary>
    Exited,
    /// <summary>The backend finds nothing of the instance on the host.</summary>
    Missing,
}

/// <summary>What the host says about an instance right now.</summary>
public sealed record InstanceObservation(
    ObservedState State,
    int? Pid,
    DateTimeOffset? StartedAt,
    IReadOnlyList<IPAddress> Addresses,
    string? Detail);

/// <summary>Resource counters as the host accounts them.</summary>
public sealed record InstanceStats(
    DateTimeOffset SampledAt,
    ulong CpuNanoseconds,
    ulong MemoryBytes,
    ulong? MemoryLimitBytes,
    ulong Pids,
    ulong RxBytes,
    ulong TxBytes,
    ulong RxPackets,
    ulong TxPackets)
{
    /// <summary>
    /// Resident memory the instance's process maps from files every instance shares (a VMM's binary and libraries),
    /// left out of <see cref="MemoryBytes"/> like a container's shared libraries are; null where not applicable.
    /// </summary>
    public ulong? SharedFileBytes { get; init; }

    /// <summary>
    /// Frames the instance sent with another MAC, IPv4 source or ARP sender than its own, dropped at its lab port by
    /// the anti-spoofing guard; null for an instance without a port.
    /// </summary>
    public ulong? SpoofedFramesDropped { get; init; }
}
