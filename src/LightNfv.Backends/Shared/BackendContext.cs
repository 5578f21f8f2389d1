using System.Net;
using LightNfv.Core.Backends;
using LightNfv.Core.Configuration;
using LightNfv.Core.Networking;
using LightNfv.Host.Cgroups;
using LightNfv.Host.Namespaces;
using LightNfv.Host.Network;

namespace LightNfv.Backends.Shared;

/// <summary>
/// Host services shared by the backends: the lab network (made on first use, since `ps` must not create it)
/// and the cgroup driver. Owned by the control plane, handed to every backend.
/// </summary>
public sealed class BackendContext : IDisposable
{
    private readonly Lazy<LabNetwork> _lab;
    private readonly Lazy<ICgroupDriver> _cgroups;

    public BackendContext(PlatformOptions options, ICgroupDriver? cgroups = null)
    {
        Options = options;
        Pool = AddressPool.Parse(options.Subnet);
        _lab = new Lazy<LabNetwork>(() =>
        {
            // Set up once with the lab: the host settings instances rely on for fast start-up (see CgroupTuning).
            Tuning = CgroupTuning.Ensure(TuningUser);
            return LabNetwork.Ensure(options.LabNamespace, Pool);
        }, LazyThreadSafetyMode.ExecutionAndPublication);
        _cgroups = new Lazy<ICgroupDriver>(() => cgroups ?? CgroupDriver.Detect(), LazyThreadSafetyMode.ExecutionAndPublication);
    }

    public PlatformOptions Options { get; }

    /// <summary>The content-addressed image cache every image-based backend shares (one build per VNF).</summary>
    public Images.Rootfs.RootfsBuilder Images => _images ??= new Images.Rootfs.RootfsBuilder(Path.Combine(Options.StateDirectory, "images"));

    private Images.Rootfs.RootfsBuilder? _images;

    /// <summary>An instance's lab-side veth: "lnfv" + 10 id digits fits IFNAMSIZ (15).</summary>
    public static string HostLinkName(string id) => "lnfv" + id[..10];

    /// <summary>Pre-created instance shells shared by the backends that run in a namespace of the lab.</summary>
    public ShellPool Shells => _shells ??= new ShellPool(this);

    private ShellPool? _shells;

    /// <summary>What <see cref="CgroupTuning"/> found or did when the lab was opened; null before.</summary>
    public string? Tuning { get; private set; }

    /// <summary>This platform's name in the host-wide tuning registry (see <see cref="CgroupTuning"/>).</summary>
    public string TuningUser => Path.GetFullPath(Options.StateDirectory);
    public AddressPool Pool { get; }

    /// <summary>
    /// The address pool of a tenant's segment: the default tenant's without touching the lab (a refused run must not make
    /// it), another tenant's from the lab, whose bridge for the tenant is made on its first instance.
    /// </summary>
    public AddressPool SegmentPool(string tenant) =>
        tenant == Core.Descriptors.DescriptorParser.DefaultTenant ? Pool.Segment(0) : Lab.SegmentPool(tenant);
    public LabNetwork Lab => _lab.Value;
    public bool LabOpened => _lab.IsValueCreated;
    public ICgroupDriver Cgroups => _cgroups.Value;

    /// <summary>Whether the lab is there to talk to, without creating it as a side effect.</summary>
    public bool LabExists => LabOpened || NetNamespace.Exists(Options.LabNamespace);

    /// <summary>Counters of an instance that lives in a cgroup and a lab namespace (process and container backends).</summary>
    public InstanceStats StatsOf(string cgroupPath, string? hostLink)
    {
        var cg = Cgroups.Open(cgroupPath)?.ReadStats();
        var link = hostLink is not null && LabExists ? Lab.HostLinkStats(hostLink) : null;
        // The lab-side veth counts in the opposite direction: what it receives, the instance sent.
        return new InstanceStats(DateTimeOffset.UtcNow,
            cg?.CpuNanoseconds ?? 0, cg?.MemoryBytes ?? 0, cg?.MemoryLimitBytes, cg?.PidsCurrent ?? 0,
            RxBytes: link?.TxBytes ?? 0, TxBytes: link?.RxBytes ?? 0, RxPackets: link?.TxPackets ?? 0, TxPackets: link?.RxPackets ?? 0)
        { SharedFileBytes = cg?.FileCacheBytes, SpoofedFramesDropped = SpoofedFramesDropped(hostLink) };
    }

    /// <summary>Frames an instance's port dropped as spoofed (see <see cref="LabNetwork.Guard"/>); null without a port or a lab.</summary>
    public ulong? SpoofedFramesDropped(string? hostLink) => hostLink is not null && LabExists ? Lab.SpoofedFramesDropped(hostLink) : null;

    /// <summary>Removes an instance's network (veth, neighbour entry, namespace) whether or not the lab still exists. Idempotent.</summary>
    public void DeleteNetwork(string ns, string hostLink, IPAddress? address)
    {
        if (LabExists)
        {
            Lab.DeleteInstanceNamespace(ns, hostLink, address);
        }
        else
        {
            NetNamespace.Delete(ns);
        }
    }

    public string InstanceNamespace(string id) => LabNetwork.InstancePrefix(Options.LabNamespace) + id;

    public string CgroupPath(string id) => $"{Options.CgroupParent}/{id}";

    /// <summary>
    /// The cgroup of the lab side's own load generators (the benchmarks' iperf3 clients), beside the instances: in a
    /// group of its own its CPU weight does not move with load elsewhere on the host. Never an instance id, so never
    /// taken for an orphan; `down` removes it with the rest of the parent.
    /// </summary>
    public string LabCgroupPath => $"{Options.CgroupParent}/lab";

    public string RunDirectory(string id) => Path.Combine(Options.InstancesDirectory, id);

    public void Dispose()
    {
        if (_lab.IsValueCreated)
        {
            _lab.Value.Dispose();
        }
    }
}
