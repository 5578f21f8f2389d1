using LightNfv.Core.Backends;
using LightNfv.Core.Descriptors;
using LightNfv.Core.Errors;
using LightNfv.Core.Instances;
using LightNfv.Host.Namespaces;
using LightNfv.Host.Network;
using LightNfv.Platform.Lifecycle;
using Microsoft.Extensions.Logging;

namespace LightNfv.Platform.Control.Adoption;

/// <summary>
/// The orphan sweep by name: cgroups under the platform's parent, instance network namespaces in the lab, run
/// directories. Warm-pool shells (<see cref="InstanceService.WarmShellIds"/>) are not orphans.
/// </summary>
public sealed partial class HostOrphanSweep(InstanceService instances, ILogger logger) : IOrphanSweep
{
    public int Sweep(IReadOnlySet<string> recorded)
    {
        var host = instances.Backends.Host;
        var known = new HashSet<string>(recorded, StringComparer.Ordinal);
        known.UnionWith(instances.WarmShellIds());
        var orphans = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            orphans.UnionWith(host.Cgroups.ListChildren(host.Options.CgroupParent).Where(InstanceId.IsValid));
        }
        catch (Exception e) when (e is LightNfvException or IOException)
        {
        }
        var prefix = LabNetwork.InstancePrefix(host.Options.LabNamespace);
        orphans.UnionWith(NetNamespace.List(prefix).Select(n => n[prefix.Length..]).Where(InstanceId.IsValid));
        if (Directory.Exists(host.Options.InstancesDirectory))
        {
            orphans.UnionWith(Directory.EnumerateDirectories(host.Options.InstancesDirectory).Select(Path.GetFileName).Where(n => n is not null && InstanceId.IsValid(n))!);
        }
        orphans.ExceptWith(known);
        var process = instances.Backends.Find(Technology.Process);
        foreach (var id in orphans)
        {
            try
            {
                // Every name derives from the id, so the process backend's teardown removes any of them.
                process?.DestroyAsync(new BackendInstance(id, Technology.Process, new Dictionary<string, string>()), CancellationToken.None).GetAwaiter().GetResult();
                LogOrphan(logger, id);
            }
            catch (Exception e)
            {
                LogOrphanFailed(logger, id, e.Message);
            }
        }
        return orphans.Count;
    }
}
