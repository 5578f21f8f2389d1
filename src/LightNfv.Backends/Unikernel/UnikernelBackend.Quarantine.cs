using LightNfv.Backends.Shared;
using LightNfv.Core.Backends;
using LightNfv.Core.Errors;

namespace LightNfv.Backends.Unikernel;

public sealed partial class UnikernelBackend
{
    /// <summary>
    /// A guest of the process tender (lnfv-spt) is one process in its instance's cgroup: the freezer stops the tender and
    /// with it the guest. A guest of the KVM monitor is a vCPU thread of the monitor host that every guest shares, whose
    /// cgroup cannot be frozen for one guest alone: refused, with the reason.
    /// </summary>
    public Task<string> FreezeAsync(BackendInstance instance, CancellationToken cancellationToken) =>
        instance.Facts.Cgroup is { Length: > 0 }
            ? CgroupFreeze.FreezeAsync(host, instance)
            : throw new LightNfvException(ErrorKind.Unavailable,
                $"instance {instance.Id} is a guest of the shared KVM unikernel monitor, which has no per-guest vCPU pause: freezing its process would freeze every guest; " +
                "remove it with 'lightnfv rm', or run the VNF on the process tender to quarantine it");

    public Task ThawAsync(BackendInstance instance, CancellationToken cancellationToken) => CgroupFreeze.ThawAsync(host, instance);
}
