using LightNfv.Core.Descriptors;

namespace LightNfv.Bench.Experiments;

public sealed record BenchOptions
{
    public required IReadOnlyList<Technology> Technologies { get; init; }
    public int Runs { get; init; } = 20;

    /// <summary>
    /// At most this many measured runs (and one warm-up) for technologies where a run takes tens of seconds: a Debian
    /// VM boots with systemd under emulation here in about 20 s, so 20 runs would take longer than everything else.
    /// </summary>
    public IReadOnlyDictionary<Technology, int> RunCaps { get; init; } = new Dictionary<Technology, int> { [Technology.StandardVm] = 5 };
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

    /// <summary>VMs boot a kernel (and a standard VM, systemd) under emulation where KVM cannot boot Linux: give them longer.</summary>
    public TimeSpan ReadyTimeoutFor(Technology technology) => technology switch
    {
        Technology.StandardVm => ReadyTimeout < TimeSpan.FromSeconds(240) ? TimeSpan.FromSeconds(240) : ReadyTimeout,
        Technology.Tinyx => ReadyTimeout < TimeSpan.FromSeconds(60) ? TimeSpan.FromSeconds(60) : ReadyTimeout,
        _ => ReadyTimeout,
    };
    public string Command { get; init; } = "lightnfv bench";
}
