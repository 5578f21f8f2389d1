using LightNfv.Core.Backends;
using LightNfv.Core.Descriptors;
using LightNfv.Core.Errors;
using LightNfv.Host.Cgroups;

namespace LightNfv.Backends.Shared;

/// <summary>
/// spec.resources on the host, shared by every backend: the cgroup limits (CPU quota, cpuset, memory with swap held to
/// the same limit, pids) and the bandwidth of the instance's lab port. A live resize writes the same files again.
/// </summary>
public static class InstanceLimits
{
    /// <summary>The cgroup limits of <paramref name="r"/>; <paramref name="headroomBytes"/> is added to memory for a tender's own needs.</summary>
    public static CgroupLimits Cgroup(ResourceSpec r, long headroomBytes = 0) =>
        new((long)r.MemoryMiB * 1024 * 1024 + headroomBytes, r.Vcpus, r.Pids) { CpuSet = r.CpuSet };

    /// <summary>Limits the lab port at start when the descriptor asks for it (nothing to do, and no netlink call, otherwise).</summary>
    public static void ApplyBandwidth(BackendContext host, BackendInstance instance, ResourceSpec r)
    {
        if (r.BandwidthMbps is not null && instance.Facts.HostLink is { } link)
        {
            host.Lab.SetPortBandwidth(link, r.BandwidthMbps);
        }
    }

    /// <summary>
    /// A live resize of an instance whose workload lives in its cgroup (process, container, unikernel tender): the
    /// limits are rewritten in place (memory is lowered only as far as the kernel can reclaim; it refuses otherwise and
    /// nothing changes), then the port's bandwidth. The processes keep running, same pids.
    /// </summary>
    public static BackendInstance ResizeInCgroup(BackendContext host, BackendInstance instance, ResourceSpec r, long headroomBytes = 0)
    {
        var path = instance.Facts.Cgroup ?? host.CgroupPath(instance.Id);
        var cgroup = host.Cgroups.Open(path);
        if (cgroup is null || cgroup.Pids().Count == 0)
        {
            throw new LightNfvException(ErrorKind.State,
                $"instance {instance.Id} is not running (its cgroup {path} holds no process); start it first, or change spec.resources for its next start");
        }
        var before = cgroup.ReadStats();
        try
        {
            host.Cgroups.Create(path, Cgroup(r, headroomBytes));
        }
        catch (LightNfvException e) when (e.Message.Contains("memory.", StringComparison.Ordinal) && before.MemoryBytes > 0)
        {
            throw new LightNfvException(ErrorKind.Conflict,
                $"memoryMiB: {r.MemoryMiB} MiB is below what the instance holds now ({before.MemoryBytes / (1024 * 1024)} MiB that the kernel could not reclaim); give more memory. ({e.Message})", e);
        }
        if (instance.Facts.HostLink is { } link)
        {
            host.Lab.SetPortBandwidth(link, r.BandwidthMbps);
        }
        return instance;
    }
}
