namespace LightNfv.Core.Backends;

/// <summary>
/// Instance shells a backend makes ahead of time, off the instantiation path: for the process backend a network
/// namespace already plugged into the lab bridge and an empty cgroup (the draft's KVM figures likewise used
/// pre-created tap devices). A claimed shell becomes the instance: its id is the instance's id.
/// </summary>
public interface IWarmPool
{
    /// <summary>Shells ready to be claimed.</summary>
    int Available { get; }

    /// <summary>Takes one shell (atomically, also across processes); null if none is ready.</summary>
    string? TryClaim();

    /// <summary>Makes shells until <paramref name="target"/> are ready; returns how many it made.</summary>
    int Refill(int target, CancellationToken cancellationToken = default);

    /// <summary>
    /// Ids of the shells this pool holds now (ready, or being claimed): host objects named like an instance that are
    /// not orphans. Empty for a pool whose shells get their id only when claimed.
    /// </summary>
    IReadOnlyCollection<string> ShellIds() => [];

    /// <summary>Removes every unclaimed shell; returns how many.</summary>
    int Drain();
}
