using LightNfv.Core.Backends;
using LightNfv.Core.Descriptors;
using LightNfv.Core.Errors;

namespace LightNfv.Backends.Shared;

/// <summary>
/// The freeze of every backend whose workload lives in its own cgroup (process, container, the unikernel's process
/// tender): the cgroup freezer stops every task of the instance at once, forks included, and keeps its memory.
/// </summary>
internal static class CgroupFreeze
{
    public static Task<string> FreezeAsync(BackendContext host, BackendInstance instance)
    {
        var cgroup = Open(host, instance);
        return Task.FromResult($"cgroup {cgroup.Freeze()} freezer");
    }

    public static Task ThawAsync(BackendContext host, BackendInstance instance)
    {
        if (instance.Facts.Cgroup is { Length: > 0 } path)
        {
            host.Cgroups.Open(path)?.Thaw();
        }
        return Task.CompletedTask;
    }

    private static Host.Cgroups.ICgroup Open(BackendContext host, BackendInstance instance) =>
        instance.Facts.Cgroup is { Length: > 0 } path
            ? host.Cgroups.Open(path) ?? throw new LightNfvException(ErrorKind.NotFound,
                $"instance {instance.Id}: its cgroup {path} no longer exists, so there is nothing to freeze (it was removed; 'lightnfv rm {instance.Id}' clears the record)")
            : throw new LightNfvException(ErrorKind.Unavailable,
                $"instance {instance.Id} ({instance.Technology.ToName()}) runs in no cgroup of its own, so it cannot be frozen; remove it with 'lightnfv rm' instead");
}
