namespace LightNfv.Platform.Control.Rollout;

/// <summary>Options of convergence and rolling updates (<see cref="Convergence"/>).</summary>
public sealed class RolloutOptions
{
    /// <summary>Shells to keep in each backend's warm pool for fast scale-out (0 = off); topped up after each create.</summary>
    public int WarmPool { get; set; }

    /// <summary>How long a rolling update waits for a new replica to answer on its port before the old ones keep serving.</summary>
    public TimeSpan ReadinessTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a VNF whose convergence failed is left alone before the next attempt.</summary>
    public TimeSpan FailureBackoff { get; set; } = TimeSpan.FromSeconds(5);
}
