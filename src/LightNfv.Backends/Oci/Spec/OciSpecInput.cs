namespace LightNfv.Backends.Oci.Spec;

/// <summary>
/// What the container backend knows about one instance, in the terms config.json needs. Built from the
/// descriptor and the lab network by the backend; <see cref="OciSpecBuilder"/> turns it into a runtime-spec config.
/// </summary>
public sealed record OciSpecInput
{
    /// <summary>PATH when the descriptor sets none: the usual Debian search path, so argv[0] lookups by the VNF work.</summary>
    public const string DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    /// <summary>The instance id; recorded as an annotation and the hostname when none is given.</summary>
    public required string Id { get; init; }

    /// <summary>The container's hostname (its own UTS namespace); the id when null or empty.</summary>
    public string? Hostname { get; init; }

    /// <summary>argv; argv[0] is an absolute path inside the rootfs (runtimes do not search PATH reliably).</summary>
    public required IReadOnlyList<string> Args { get; init; }

    public IReadOnlyDictionary<string, string> Env { get; init; } = new Dictionary<string, string>();

    public string Cwd { get; init; } = "/";

    /// <summary>Absolute host path of the rootfs directory; the bundle references it rather than holding it.</summary>
    public required string RootfsPath { get; init; }

    public bool ReadOnlyRootfs { get; init; } = true;

    /// <summary>The lab network's namespace for this instance, e.g. /run/netns/lightnfv-lab-0123456789ab.</summary>
    public required string NetworkNamespacePath { get; init; }

    /// <summary>Absolute cgroupfs-style path (e.g. /lightnfv/0123456789ab), not systemd "slice:prefix:name" syntax.</summary>
    public required string CgroupsPath { get; init; }

    public required long MemoryBytes { get; init; }

    /// <summary>CPUs as a fraction; becomes a CFS quota of cpus × 100000 µs per 100000 µs period.</summary>
    public required double Cpus { get; init; }

    public required long Pids { get; init; }

    /// <summary>CPUs to pin to (linux.resources.cpu.cpus, "0-1"); null: any.</summary>
    public string? CpuSet { get; init; }

    /// <summary>Capabilities the VNF declares ("NET_ADMIN" or "CAP_NET_ADMIN"); every other one is dropped.</summary>
    public IReadOnlyList<string> Capabilities { get; init; } = [];

    public uint Uid { get; init; }

    public uint Gid { get; init; }

    /// <summary>Extra host paths bound into the container (both absolute).</summary>
    public IReadOnlyList<(string Source, string Destination, bool ReadOnly)> BindMounts { get; init; } = [];
}
