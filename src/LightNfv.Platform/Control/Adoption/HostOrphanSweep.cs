using LightNfv.Core.Errors;
using LightNfv.Core.Identity;
using LightNfv.Platform.Audit;
using LightNfv.Platform.Lifecycle;
using Microsoft.Extensions.Logging;

namespace LightNfv.Platform.Control.Adoption;

/// <summary>
/// The orphan sweep of the host: every object named like an instance that no record and no warm pool owns, removed by
/// the shared inventory and then by each backend's own part (see <see cref="HostInventory.Sweep"/>).
/// </summary>
public sealed partial class HostOrphanSweep(InstanceService instances, ILogger logger) : IOrphanSweep
{
    public int Sweep(IReadOnlySet<string> recorded)
    {
        using var caller = Caller.Use(Caller.System("orphan-sweep"));
        return instances.HostObjects.Sweep(recorded, id =>
        {
            LogOrphan(logger, id);
            instances.Store.Record(AuditActions.OrphanRemove, null, $"orphan/{id}", null, null);
        }, (id, error) =>
        {
            LogOrphanFailed(logger, id, error);
            instances.Store.Record(AuditActions.OrphanRemove, null, $"orphan/{id}", null, new LightNfvException(ErrorKind.Host, error));
        });
    }
}
