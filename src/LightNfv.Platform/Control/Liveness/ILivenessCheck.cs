using LightNfv.Core.Descriptors;
using LightNfv.Platform.Store;

namespace LightNfv.Platform.Control.Liveness;

/// <summary>The outcome of one liveness check: held on purpose (frozen), or passed (no failure), or failed and why.</summary>
public readonly record struct LivenessCheck(bool Frozen, string? Failure)
{
    public static LivenessCheck Passed => new(false, null);

    public static LivenessCheck Held => new(true, null);

    public static LivenessCheck Failed(string why) => new(false, why);
}

/// <summary>
/// One liveness check of a running replica (<see cref="HostLivenessCheck"/> on a real host). Throws when the check
/// itself cannot be made (the lab went away): that is neither the VNF's fault nor a pass.
/// </summary>
public interface ILivenessCheck
{
    Task<LivenessCheck> CheckAsync(InstanceRecord replica, HealthSpec health, CancellationToken cancellationToken);
}
