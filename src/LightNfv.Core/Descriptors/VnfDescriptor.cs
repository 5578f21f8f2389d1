using System.Net;

namespace LightNfv.Core.Descriptors;

/// <summary>A validated VNF descriptor (apiVersion lightnfv/v1, kind Vnf). Built only by <see cref="DescriptorParser"/>.</summary>
public sealed record VnfDescriptor(VnfMetadata Metadata, VnfSpec Spec)
{
    public const string ApiVersion = "lightnfv/v1";
    public const string Kind = "Vnf";

    /// <summary>The YAML text it was parsed from, kept so the store holds exactly what the user gave.</summary>
    public string Source { get; init; } = "";
}

public sealed record VnfMetadata(string Name, string Tenant);

public sealed record VnfSpec(
    Technology Technology,
    AppSpec App,
    ResourceSpec Resources,
    NetworkSpec Network)
{
    /// <summary>The OCI runtime for technology container: "crun" or "runc"; null lets the backend choose by probe.</summary>
    public string? Runtime { get; init; }

    /// <summary>Liveness probe and recovery (spec.health); null: a dead process is still restarted under the daemon.</summary>
    public HealthSpec? Health { get; init; }

    /// <summary>Auto-scaling policy (spec.scaling); null: the replica count changes only on request.</summary>
    public ScalingSpec? Scaling { get; init; }

    /// <summary>Security policy (spec.security); null: spoofed frames are only dropped and counted.</summary>
    public SecuritySpec? Security { get; init; }

    /// <summary>The VM accelerator for tinyx and standardvm ("auto": KVM if it boots Linux here, else TCG; "kvm"; "tcg"), or the unikernel's tender ("auto": KVM where it runs, else "process", the lnfv-spt sandboxed process; "kvm"); null means auto.</summary>
    public string? Accel { get; init; }
}

/// <summary>What runs: either a named built-in VNF or an explicit command line.</summary>
public sealed record AppSpec(string? Builtin, IReadOnlyList<string> Command, IReadOnlyDictionary<string, string> Env)
{
    /// <summary>The argv to execute (built-ins resolved by <see cref="BuiltinVnfs"/>).</summary>
    public IReadOnlyList<string> Argv => Command;

    /// <summary>Linux capabilities the VNF needs (CAP_ form); isolating backends drop every other one.</summary>
    public IReadOnlyList<string> Capabilities { get; init; } = [];

    /// <summary>Extra host files (absolute paths) an image must carry besides the program and its libraries.</summary>
    public IReadOnlyList<string> Files { get; init; } = [];
}

public sealed record ResourceSpec(int Vcpus, int MemoryMiB, int Pids)
{
    public static ResourceSpec Default { get; } = new(1, 128, 128);

    /// <summary>
    /// CPUs the instance may run on, in the kernel's list form ("0-1", "0,2"), as docker's --cpuset-cpus and compose's
    /// cpuset; null: any CPU. Pinning only narrows where the CFS quota (<see cref="Vcpus"/>) is spent.
    /// </summary>
    public string? CpuSet { get; init; }

    /// <summary>Rate limit in Mbit/s on the instance's host-side port in the lab (traffic towards the instance); null: none.</summary>
    public int? BandwidthMbps { get; init; }
}

public sealed record NetworkSpec(IPAddress? Address, IReadOnlyList<int> Ports)
{
    /// <summary>The port the readiness probe targets: the first declared port.</summary>
    public int? ReadinessPort => Ports.Count > 0 ? Ports[0] : null;
}
