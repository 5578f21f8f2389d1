using LightNfv.Platform.Control;
using LightNfv.Platform.Store;

namespace LightNfv.Platform.Lifecycle;

/// <summary>
/// What `down` does to the VNFs' desired state (issue 14): by default it stays in the store, so the next `serve`
/// recreates those VNFs, and `down` names them; with purge each is terminated in the store (one terminate operation
/// each, so the history says who removed it). Descriptors stay: they are definitions, not running state.
/// </summary>
public static class DesiredStateOnDown
{
    /// <summary>The deployments left (or, with <paramref name="purge"/>, removed), as "tenant/name".</summary>
    public static IReadOnlyList<string> Apply(PlatformStore store, bool purge)
    {
        var deployments = store.Deployments();
        if (purge)
        {
            foreach (var d in deployments)
            {
                var op = store.BeginOperation(OperationKinds.Terminate, d.Tenant, d.Name, desired: null,
                    new Dictionary<string, string> { ["by"] = "down --purge" });
                store.FinishOperation(op.Id, OperationState.Completed);
            }
        }
        return [.. deployments.Select(d => $"{d.Tenant}/{d.Name}")];
    }

    /// <summary>The one line `down` prints about desired state, or null when there is none.</summary>
    public static string? Describe(IReadOnlyList<string> vnfs, bool purged, string purgeFlag) => vnfs.Count == 0
        ? null
        : purged
            ? $"removed the desired state of {vnfs.Count} VNF(s): {string.Join(", ", vnfs)} (descriptors kept)"
            : $"kept the desired state of {vnfs.Count} VNF(s) in the store: {string.Join(", ", vnfs)}; the next 'lightnfv serve' recreates them " +
              $"('lightnfv down {purgeFlag}' removes it too)";
}
