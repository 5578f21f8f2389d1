using LightNfv.Backends.Shared;
using LightNfv.Core.Backends;

namespace LightNfv.Backends.Oci;

public sealed partial class ContainerBackend
{
    /// <summary>The cgroup freezer of the instance's own cgroup (see <see cref="CgroupFreeze"/>).</summary>
    public Task<string> FreezeAsync(BackendInstance instance, CancellationToken cancellationToken) => CgroupFreeze.FreezeAsync(host, instance);

    public Task ThawAsync(BackendInstance instance, CancellationToken cancellationToken) => CgroupFreeze.ThawAsync(host, instance);
}
