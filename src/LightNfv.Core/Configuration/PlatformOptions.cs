namespace LightNfv.Core.Configuration;

/// <summary>Where the platform keeps its host resources; every name is configurable so tests can run side by side.</summary>
public sealed record PlatformOptions
{
    /// <summary>Store, logs and per-instance files.</summary>
    public string StateDirectory { get; init; } = Environment.GetEnvironmentVariable("LIGHTNFV_STATE_DIR") ?? "/var/lib/lightnfv";

    /// <summary>The lab network namespace; instance namespaces are named "&lt;lab&gt;-&lt;id&gt;".</summary>
    public string LabNamespace { get; init; } = Environment.GetEnvironmentVariable("LIGHTNFV_LAB") ?? "lightnfv-lab";

    public string Subnet { get; init; } = Environment.GetEnvironmentVariable("LIGHTNFV_SUBNET") ?? "10.77.0.0/16";

    /// <summary>Parent cgroup of every instance, in each hierarchy.</summary>
    public string CgroupParent { get; init; } = Environment.GetEnvironmentVariable("LIGHTNFV_CGROUP") ?? "lightnfv";

    /// <summary>Pre-created shells `run` keeps ready for warm starts (0 = off).</summary>
    public int WarmPool { get; init; } = int.TryParse(Environment.GetEnvironmentVariable("LIGHTNFV_WARM_POOL"), out var n) && n > 0 ? Math.Min(n, 64) : 0;

    public string InstancesDirectory => Path.Combine(StateDirectory, "instances");
}
