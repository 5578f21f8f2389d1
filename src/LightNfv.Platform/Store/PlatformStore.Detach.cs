using LightNfv.Core.Errors;

namespace LightNfv.Platform.Store;

public sealed partial class PlatformStore
{
    /// <summary>
    /// Takes a replica out of its VNF (`stop|rm --detach`): it becomes a standalone instance, like a pod relabelled out
    /// of its ReplicaSet's selector; the VNF's desired count is unchanged, so the reconciler makes a replacement. Data
    /// only (the replica's deployment and version become NULL); the schema is not touched. An event records it.
    /// </summary>
    public InstanceRecord Detach(string id)
    {
        lock (_gate)
        {
            var before = Get(id) ?? throw new LightNfvException(ErrorKind.NotFound, $"instance {id} does not exist; 'lightnfv ps' lists them");
            using (var cmd = Command("UPDATE instances SET deployment=NULL, version=NULL, updated_at=$now WHERE id=$id"))
            {
                cmd.Parameters.AddWithValue("$id", id);
                cmd.Parameters.AddWithValue("$now", Stamp(_time.GetUtcNow()));
                cmd.ExecuteNonQuery();
            }
            if (before.Deployment is { } vnf)
            {
                AddEvent(id, "instance.detached", $"detached from VNF '{vnf}' (version {before.Version}); it is a standalone instance now");
            }
            return Get(id)!;
        }
    }
}
