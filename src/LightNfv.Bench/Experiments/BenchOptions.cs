using LightNfv.Core.Backends;
using LightNfv.Core.Descriptors;

namespace LightNfv.Bench.Experiments;

public sealed record BenchOptions
{
    public required IReadOnlyList<Technology> Technologies { get; init; }
    public int Runs { get; init; } = 20;

    /// <summary>
    /// A quick bench: a technology where a run takes tens of seconds (a Debian VM boots with systemd under emulation
    /// here in about 20 s) is capped at its profile's quick cap instead of its full one.
    /// </summary>
    public bool Quick { get; init; }
    /// <summary>Unrecorded runs first: JIT, page cache and kernel slab warm-up would otherwise dominate run 1.</summary>
    public int WarmupRuns { get; init; } = 3;
    /// <summary>How long an instance idles after answering before its memory is read.</summary>
    public TimeSpan MemorySettle { get; init; } = TimeSpan.FromMilliseconds(150);
    /// <summary>
    /// Pause after removing an instance: the kernel frees a network namespace in a background worker that holds the
    /// rtnl lock for ~20-30 ms, which would otherwise land on the next instantiation and measure the teardown instead.
    /// </summary>
    public TimeSpan Settle { get; init; } = TimeSpan.FromMilliseconds(250);
    /// <summary>Repetitions of the data-path measurements (throughput both ways, RTT) per technology.</summary>
    public int NetworkRuns { get; init; } = 3;

    /// <summary>Duration of each iperf3 run.</summary>
    public TimeSpan ThroughputDuration { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>ICMP echoes per RTT measurement.</summary>
    public int PingCount { get; init; } = 1000;

    public TimeSpan ReadyTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The readiness timeout, at least the technology's own (a VM boots a kernel under emulation where KVM cannot boot Linux).</summary>
    public TimeSpan ReadyTimeoutFor(BenchProfile profile) => ReadyTimeout < profile.MinReadyTimeout ? profile.MinReadyTimeout : ReadyTimeout;
    public string Command { get; init; } = "lightnfv bench";
}
