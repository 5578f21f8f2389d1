namespace LightNfv.Core.Backends;

/// <summary>
/// What the platform and the bench need to know about a technology, said by its backend so that no caller switches
/// on the technology: how long one replica may take to start (operation bounds) and how the bench measures it.
/// </summary>
public sealed record BackendProfile
{
    /// <summary>A technology that says nothing more: starts within the longest bound, measured like a process.</summary>
    public static readonly BackendProfile Default = new();

    /// <summary>
    /// Time to start one replica, generous for this machine kind; an operation's bound adds it per replica.
    /// The default is the slowest technology's (a standard VM that may first build its Debian disk).
    /// </summary>
    public TimeSpan StartBound { get; init; } = TimeSpan.FromSeconds(180);

    public BenchProfile Bench { get; init; } = new();
}

/// <summary>How the bench measures a technology, and the notes it writes next to each metric.</summary>
public sealed record BenchProfile
{
    /// <summary>The readiness probe's SYN spacing; null for the probe's default (50 µs).</summary>
    public TimeSpan? ProbeStep { get; init; }

    /// <summary>Whether the probe slows down while the instance stays silent (an emulated guest answers slower than a flood).</summary>
    public bool PaceDownWhenSilent { get; init; }

    /// <summary>The readiness timeout is at least this long (a VM boots a kernel under emulation).</summary>
    public TimeSpan MinReadyTimeout { get; init; }

    /// <summary>At most this many measured runs, and no warm-up, when a run takes tens of seconds; null: no cap.</summary>
    public int? RunCap { get; init; }

    /// <summary>The cap of a quick bench.</summary>
    public int? QuickRunCap { get; init; }

    /// <summary>Guest memory of the bench's VNF.</summary>
    public int MemoryMiB { get; init; } = 64;

    /// <summary>How a warm instance starts, for the instantiation notes.</summary>
    public string WarmStart { get; init; } = "from a pre-created shell (namespace on the bridge, empty cgroup), like the draft's pre-created taps; ";

    /// <summary>What the create call does, for the instantiation notes; given the variant (OCI runtime, tender), if any.</summary>
    public Func<string?, string> CreateCall { get; init; } = _ => "store, cgroup, namespaces, veth, spawn";

    /// <summary>Appended to the instantiation note when <see cref="ProbeStep"/> is set.</summary>
    public string ProbeStepNote { get; init; } = "";

    /// <summary>The image note, given the tar.gz size in MB, the backend's note about the run (accelerator, kernel) and the variant.</summary>
    public Func<double?, string?, string?, string> ImageNote { get; init; } = (tarGzMb, _, _) =>
        $"root filesystem built from the VNF (binary, library closure, minimal /etc), uncompressed; {tarGzMb:0.##} MB as tar.gz; shared read-only by every instance of the image";

    /// <summary>The memory note, given the settle time in ms, the average MB of shared files left out, and the variant.</summary>
    public Func<double, double, string?, string> MemoryNote { get; init; } = (settleMs, sharedMb, _) =>
        $"private memory of the idle iperf3 VNF's cgroup (anonymous pages, tmpfs, kernel memory), {settleMs:0} ms after it answered; " +
        $"not counted, as in docker stats: page cache of the image's files (shared by every instance of the image, charged to whichever cgroup reads a page first; {sharedMb:0.##} MB on average here)";
}

/// <summary>
/// One way this host runs a technology that the bench measures separately, with its version: an OCI runtime
/// (spec.runtime) or a unikernel's tender (spec.accel). <paramref name="Warm"/>: whether it has a warm pool.
/// </summary>
public sealed record BackendVariant(string Name, string Version, string Field = "runtime", bool Warm = true);
