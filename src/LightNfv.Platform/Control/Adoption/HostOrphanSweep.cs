using LightNfv.Platform.Lifecycle;
using Microsoft.Extensions.Logging;

namespace LightNfv.Platform.Control.Adoption;

/// <summary>
/// The orphan sweep of the host: every object named like an instance that no record and no warm pool owns, removed by
/// the shared inventory and then by each backend's own part (see <see cref="HostInventory.Sweep"/>).
/// </summary>
public sealed partial class HostOrphanSweep(InstanceService instances, ILogger logger) : IOrphanSweep
{
    public int Sweep(IReadOnlySet<string> recorded) =>
        instances.HostObjects.Sweep(recorded, id => LogOrphan(logger, id), (id, error) => LogOrphanFailed(logger, id, error));
}
