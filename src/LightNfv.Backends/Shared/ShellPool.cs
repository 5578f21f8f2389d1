using LightNfv.Core.Backends;
using LightNfv.Core.Instances;
using LightNfv.Core.Networking;
using LightNfv.Host.Cgroups;
using LightNfv.Host.Namespaces;

namespace LightNfv.Backends.Shared;

/// <summary>
/// Instance shells: a network namespace already plugged into the lab bridge and an empty cgroup, named after the id
/// the instance will have. The process backend starts its VNF inside; an OCI runtime takes the cgroup over and joins
/// the namespace. Each ready shell has a marker file; claiming renames it away, which only one process can do, so
/// several CLI invocations and the daemon share one pool.
/// </summary>
public sealed class ShellPool(BackendContext host) : IWarmPool
{
    private string Directory_ => Path.Combine(host.Options.StateDirectory, "warm", "shells");

    public int Available => Markers().Count();

    public string? TryClaim()
    {
        foreach (var marker in Markers())
        {
            var id = Path.GetFileName(marker);
            var claimed = marker + ".claimed." + Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);
            try
            {
                File.Move(marker, claimed);
            }
            catch (FileNotFoundException)
            {
                continue; // someone else took it
            }
            File.Delete(claimed);
            if (IsIntact(id))
            {
                return id;
            }
            Remove(id); // a shell damaged from outside (namespace deleted by hand) is not worth keeping
        }
        return null;
    }

    public int Refill(int target, CancellationToken cancellationToken = default)
    {
        var made = 0;
        System.IO.Directory.CreateDirectory(Directory_);
        while (Available < target && !cancellationToken.IsCancellationRequested)
        {
            var id = InstanceId.New();
            try
            {
                host.Cgroups.Create(host.CgroupPath(id), new CgroupLimits(null, null, null));
                host.Lab.CreateShellNamespace(host.InstanceNamespace(id), BackendContext.HostLinkName(id), NetworkAttachment.MacForInstance(id));
            }
            catch
            {
                Remove(id);
                throw;
            }
            File.WriteAllText(Path.Combine(Directory_, id), "");
            made++;
        }
        return made;
    }

    public int Drain()
    {
        var drained = 0;
        while (TryClaim() is { } id)
        {
            Remove(id);
            drained++;
        }
        return drained;
    }

    /// <summary>Ready shells and ones being claimed right now (their marker is renamed to "ID.claimed.PID" meanwhile).</summary>
    public IReadOnlyCollection<string> ShellIds() => System.IO.Directory.Exists(Directory_)
        ? System.IO.Directory.EnumerateFiles(Directory_).Select(f => Path.GetFileName(f)).Where(n => n.Length >= InstanceId.Length)
            .Select(n => n[..InstanceId.Length]).Where(InstanceId.IsValid).ToHashSet(StringComparer.Ordinal)
        : [];

    private IEnumerable<string> Markers() => System.IO.Directory.Exists(Directory_)
        ? System.IO.Directory.EnumerateFiles(Directory_).Where(f => InstanceId.IsValid(Path.GetFileName(f)))
        : [];

    private bool IsIntact(string id) => NetNamespace.Exists(host.InstanceNamespace(id)) && host.Cgroups.Open(host.CgroupPath(id)) is not null;

    private void Remove(string id)
    {
        if (NetNamespace.Exists(host.InstanceNamespace(id)))
        {
            host.Lab.DeleteInstanceNamespace(host.InstanceNamespace(id), BackendContext.HostLinkName(id), null);
        }
        if (host.Cgroups.Open(host.CgroupPath(id)) is { } cg)
        {
            cg.Remove();
        }
    }
}
