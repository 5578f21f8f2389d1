using LightNfv.Core.Errors;
using LightNfv.Platform.Store;

namespace LightNfv.Platform.Lifecycle;

/// <summary>
/// Without a daemon, a replica whose VNF still has desired state in the store is the next `serve`'s to restore: acting
/// on it by hand would be silently undone then, so stop/start/rm refuse it (as the daemon's instance routes do), naming
/// the commands that change the VNF instead (issue 14).
/// </summary>
public static class ManagedReplicaGuard
{
    /// <param name="detach">Take the replica out of its VNF first (`--detach`): it becomes standalone and the next
    /// `serve` gives the VNF a replacement (see <see cref="PlatformStore.Detach"/>).</param>
    public static InstanceRecord Standalone(PlatformStore store, InstanceRecord record, string action, bool detach = false) =>
        // A quarantined replica no longer counts for its VNF (it has a replacement): it is ended by hand like a standalone one.
        record.Deployment is { } vnf && record.State != Core.Instances.InstanceState.Quarantined && store.Deployment(record.Tenant, vnf) is not null
            ? detach
                ? store.Detach(record.Id)
                : throw new LightNfvException(ErrorKind.Conflict,
                    $"instance {record.Id} is a replica of VNF '{vnf}', whose desired state the next 'lightnfv serve' restores, so it is not {action} on its own; " +
                    $"use 'lightnfv serve' and 'lightnfv vnf scale|heal|terminate {vnf}', 'lightnfv down --purge' to forget the VNF, " +
                    $"or --detach to take this replica out of it (the VNF gets a replacement)")
            : record;
}
