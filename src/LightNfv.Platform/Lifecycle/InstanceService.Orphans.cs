using LightNfv.Core.Errors;
using LightNfv.Platform.Audit;
using LightNfv.Platform.Store;
using Microsoft.Data.Sqlite;

namespace LightNfv.Platform.Lifecycle;

/// <summary>Orphans: host objects of instances no record knows (a store lost or replaced while they ran).</summary>
public sealed partial class InstanceService
{
    /// <summary>Instances the host has objects of that no record knows (see <see cref="HostInventory"/>).</summary>
    public IReadOnlyList<OrphanedInstance> Orphans() => HostObjects.Orphans(Store.List().Select(r => r.Id));

    /// <summary>Removes an orphan named by its id or id prefix; null if no orphan matches.</summary>
    public OrphanedInstance? RemoveOrphan(string reference)
    {
        var matches = Orphans().Where(o => o.Id.StartsWith(reference, StringComparison.Ordinal)).ToList();
        if (matches.Count == 0)
        {
            return null;
        }
        if (matches.Count > 1)
        {
            throw new LightNfvException(ErrorKind.Conflict,
                $"'{reference}' matches {matches.Count} orphaned instances ({string.Join(", ", matches.Select(m => m.Id))}); give more of the id");
        }
        Store.Audited(AuditActions.OrphanRemove, null, $"orphan/{matches[0].Id}", new { objects = matches[0].Objects }, () =>
        {
            RemoveOrphan(matches[0]);
            return true;
        });
        return matches[0];
    }

    private void RemoveOrphan(OrphanedInstance orphan)
    {
        var errors = HostObjects.Remove(orphan);
        TryRecord(() => Store.AddEvent(orphan.Id, "instance.removed", $"orphaned instance ({string.Join(", ", orphan.Objects)})"));
        if (errors.Count > 0)
        {
            throw new LightNfvException(ErrorKind.Host, $"orphaned instance {orphan.Id} partly removed: {string.Join("; ", errors)}; run 'lightnfv down' to retry");
        }
    }

    /// <summary>A store write that must not stop a removal: the host comes first, the record follows when it can.</summary>
    internal Exception? TryRecord(Action write)
    {
        try
        {
            write();
            return null;
        }
        catch (SqliteException e)
        {
            return StoreErrors.Explain(e, Store.FilePath);
        }
        catch (IOException e)
        {
            return StoreErrors.Explain(e, Store.FilePath);
        }
    }
}
