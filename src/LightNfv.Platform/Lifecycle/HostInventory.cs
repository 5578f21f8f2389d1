using System.Globalization;
using System.Net;
using LightNfv.Backends;
using LightNfv.Backends.Shared;
using LightNfv.Core.Backends;
using LightNfv.Core.Descriptors;
using LightNfv.Core.Instances;
using LightNfv.Core.Networking;
using LightNfv.Host.Cgroups;
using LightNfv.Host.Namespaces;
using LightNfv.Host.Network;
using LightNfv.Host.Processes;

namespace LightNfv.Platform.Lifecycle;

/// <summary>
/// An instance the host still has objects of although no store record knows it (the store was lost or replaced while
/// it ran, or a crash fell between making an object and recording it).
/// </summary>
public sealed record OrphanedInstance(string Id, IReadOnlyList<string> Objects, IPAddress? Address, IReadOnlyList<ProcessIdentity> Processes);

/// <summary>
/// The platform's objects as the host itself shows them, found by name: every name derives from the instance id
/// (network namespace "&lt;lab&gt;-&lt;id&gt;", cgroup "&lt;parent&gt;/&lt;id&gt;", run directory "instances/&lt;id&gt;", the
/// lab-side veth or tap "lnfv&lt;id[..10]&gt;" with a permanent neighbour entry on the bridge for the instance's address and
/// MAC, and the processes in the cgroup or running from the run directory, named by pid and start time). The store is
/// not consulted, so what it says can be checked against the host. Objects only one technology makes (a container
/// under dockerd, a guest in the unikernel monitor) are its backend's to remove (<see cref="IBackend.RemoveOrphan"/>).
/// </summary>
public sealed class HostInventory(BackendContext host, BackendRegistry? backends = null)
{
    /// <summary>Ids with at least one host object (warm-pool shells included).</summary>
    public IReadOnlySet<string> Ids()
    {
        var ids = new HashSet<string>(StringComparer.Ordinal);
        var prefix = LabNetwork.InstancePrefix(host.Options.LabNamespace);
        ids.UnionWith(NetNamespace.List(prefix).Select(n => n[prefix.Length..]).Where(InstanceId.IsValid));
        try
        {
            ids.UnionWith(host.Cgroups.ListChildren(host.Options.CgroupParent).Where(InstanceId.IsValid));
        }
        catch (Exception e) when (e is Core.Errors.LightNfvException or IOException or UnauthorizedAccessException)
        {
            // No cgroup driver here (not root): the other objects still count.
        }
        if (Directory.Exists(host.Options.InstancesDirectory))
        {
            ids.UnionWith(Directory.EnumerateDirectories(host.Options.InstancesDirectory)
                .Select(d => Path.GetFileName(d)).Where(InstanceId.IsValid));
        }
        return ids;
    }

    /// <summary>
    /// Ids of the warm pools' shells (ready, or being claimed right now): not orphans. The shared shell pool's, and a
    /// backend's own pool whose objects are named like an instance too (the unikernel process tender's parked guests).
    /// </summary>
    public IReadOnlySet<string> Shells()
    {
        var ids = host.Shells.ShellIds().ToHashSet(StringComparer.Ordinal);
        foreach (var technology in Enum.GetValues<Technology>())
        {
            if (backends?.Find(technology)?.WarmPool is { } pool && !ReferenceEquals(pool, host.Shells))
            {
                ids.UnionWith(pool.ShellIds());
            }
        }
        return ids;
    }

    /// <summary>
    /// Whether the host has an instance named <paramref name="id"/> (checked before an id is handed out): its namespace
    /// or its run directory, which every backend makes first. Two stat calls; the cgroup is left out (opening one reads
    /// the mount table: ~70 us here, on the timed path).
    /// </summary>
    public bool HasObjects(string id) =>
        NetNamespace.Exists(host.InstanceNamespace(id)) || Directory.Exists(host.RunDirectory(id));

    /// <summary>
    /// Addresses taken on the lab's bridge (every instance and guest has a permanent neighbour entry there), with the
    /// MAC of each. Empty when there is no lab yet: then nothing can be attached to it either.
    /// </summary>
    public IReadOnlyList<(IPAddress Address, byte[] Mac)> BridgeNeighbours() =>
        host.LabExists ? host.Lab.NeighboursOnBridge() : [];

    /// <summary>Whether an instance or guest on the lab's bridge holds <paramref name="address"/>; false when there is no lab.</summary>
    public bool AddressTaken(IPAddress address) => host.LabExists && host.Lab.AddressTaken(address);

    /// <summary>Instances the host has objects of that neither a record (<paramref name="known"/>) nor the warm pool owns.</summary>
    public IReadOnlyList<OrphanedInstance> Orphans(IEnumerable<string> known)
    {
        var ids = new HashSet<string>(Ids(), StringComparer.Ordinal);
        ids.ExceptWith(known);
        ids.ExceptWith(Shells());
        if (ids.Count == 0)
        {
            return [];
        }
        var neighbours = SafeNeighbours();
        var runDirProcesses = ProcessesInRunDirectories();
        var list = new List<OrphanedInstance>();
        foreach (var id in ids.Order(StringComparer.Ordinal))
        {
            var objects = new List<string>();
            var processes = new List<ProcessIdentity>();
            if (NetNamespace.Exists(host.InstanceNamespace(id)))
            {
                objects.Add($"netns {host.InstanceNamespace(id)}");
            }
            if (OpenCgroup(id) is { } cg)
            {
                objects.Add($"cgroup {cg.RelativePath}");
                processes.AddRange(cg.Pids().Select(ProcessIdentity.Of).OfType<ProcessIdentity>());
            }
            if (Directory.Exists(host.RunDirectory(id)))
            {
                objects.Add($"directory {host.RunDirectory(id)}");
            }
            if (runDirProcesses.TryGetValue(id, out var more))
            {
                processes.AddRange(more.Where(p => !processes.Contains(p)));
            }
            objects.AddRange(processes.Select(p => $"process {p.Pid}"));
            var mac = NetworkAttachment.MacForInstance(id);
            var address = neighbours.FirstOrDefault(n => n.Mac.AsSpan().SequenceEqual(mac)).Address;
            list.Add(new OrphanedInstance(id, objects, address, processes));
        }
        return list;
    }

    /// <summary>
    /// Removes every host object of an orphan, in reverse order of creation: its processes (only the exact ones found,
    /// by pid and start time), cgroup, veth or tap and neighbour entry, namespace, run directory. Returns what failed.
    /// </summary>
    public IReadOnlyList<string> Remove(OrphanedInstance orphan)
    {
        var errors = new List<string>();
        foreach (var p in orphan.Processes)
        {
            ProcessSignals.Send(p, 9);
            ProcessSignals.WaitForExit(p, TimeSpan.FromSeconds(2));
            ChildReaper.Reap(p, TimeSpan.FromMilliseconds(100));
        }
        Try(errors, "cgroup", () =>
        {
            if (OpenCgroup(orphan.Id) is { } cg)
            {
                cg.KillAll(TimeSpan.FromSeconds(2));
                if (!cg.Remove())
                {
                    errors.Add($"cgroup {cg.RelativePath} is still busy");
                }
            }
            // OCI runtimes make the cgroup in hierarchies the driver does not manage too.
            CgroupSweeper.RemoveEverywhere(host.CgroupPath(orphan.Id));
        });
        Try(errors, "network", () => host.DeleteNetwork(host.InstanceNamespace(orphan.Id), BackendContext.HostLinkName(orphan.Id), orphan.Address));
        Try(errors, "run directory", () =>
        {
            if (Directory.Exists(host.RunDirectory(orphan.Id)))
            {
                Directory.Delete(host.RunDirectory(orphan.Id), recursive: true);
            }
        });
        foreach (var technology in Enum.GetValues<Technology>())
        {
            if (backends?.Find(technology) is { } backend)
            {
                try
                {
                    backend.RemoveOrphan(orphan.Id);
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    // A backend's own service (dockerd, the monitor host) may fail in its own way: reported, the others go on.
                    errors.Add($"{technology.ToName()}: {e.Message}");
                }
            }
        }
        return errors;
    }

    /// <summary>
    /// The daemon's start-up sweep: removes every orphan (see <see cref="Orphans"/>) with <see cref="Remove"/>, telling
    /// <paramref name="removed"/> or <paramref name="failed"/> of each. Returns how many there were.
    /// </summary>
    public int Sweep(IEnumerable<string> known, Action<string> removed, Action<string, string> failed)
    {
        var orphans = Orphans(known);
        foreach (var orphan in orphans)
        {
            IReadOnlyList<string> errors;
            try
            {
                errors = Remove(orphan);
            }
            catch (Exception e)
            {
                // At start-up one orphan a backend cannot remove (dockerd gone mid-call) must not stop the daemon or the others.
                errors = [e.Message];
            }
            if (errors.Count > 0)
            {
                failed(orphan.Id, string.Join("; ", errors));
            }
            else
            {
                removed(orphan.Id);
            }
        }
        return orphans.Count;
    }

    private static void Try(List<string> errors, string what, Action step)
    {
        try
        {
            step();
        }
        catch (Exception e) when (e is Core.Errors.LightNfvException or IOException or UnauthorizedAccessException)
        {
            errors.Add($"{what}: {e.Message}");
        }
    }

    private IReadOnlyList<(IPAddress Address, byte[] Mac)> SafeNeighbours()
    {
        try
        {
            return BridgeNeighbours();
        }
        catch (Core.Errors.LightNfvException)
        {
            return []; // a lab cut short: no bridge, no neighbours
        }
    }

    private ICgroup? OpenCgroup(string id)
    {
        try
        {
            return host.Cgroups.Open(host.CgroupPath(id));
        }
        catch (Exception e) when (e is Core.Errors.LightNfvException or IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>
    /// Processes outside any cgroup of ours that run from an instance's run directory (a VMM names its console log and
    /// control socket there), by instance id. One pass over /proc.
    /// </summary>
    private Dictionary<string, List<ProcessIdentity>> ProcessesInRunDirectories()
    {
        var found = new Dictionary<string, List<ProcessIdentity>>(StringComparer.Ordinal);
        var root = Path.GetFullPath(host.Options.InstancesDirectory) + "/";
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || pid == Environment.ProcessId)
            {
                continue;
            }
            string cmdline;
            try
            {
                cmdline = File.ReadAllText(Path.Combine(dir, "cmdline"));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                continue;
            }
            var at = cmdline.IndexOf(root, StringComparison.Ordinal);
            if (at < 0 || cmdline.Length < at + root.Length + InstanceId.Length)
            {
                continue;
            }
            var id = cmdline.Substring(at + root.Length, InstanceId.Length);
            if (InstanceId.IsValid(id) && ProcessIdentity.Of(pid) is { } identity)
            {
                (found.TryGetValue(id, out var l) ? l : found[id] = []).Add(identity);
            }
        }
        return found;
    }
}
