using System.Net;
using LightNfv.Backends.Shared;
using LightNfv.Core.Backends;
using LightNfv.Core.Descriptors;
using LightNfv.Core.Errors;
using LightNfv.Core.Networking;
using LightNfv.Host.Processes;

namespace LightNfv.Backends.Process;

/// <summary>
/// The draft's container without image layers: the VNF binary from the host's filesystem, run in its own
/// network, pid, mount, uts and ipc namespaces and in a cgroup with memory, cpu and pids limits, as its own
/// unprivileged user with the host's filesystem read-only (see ProcessBackend.Confinement.cs).
/// The cheapest isolation Linux offers, and the floor every other backend is compared with.
/// </summary>
public sealed partial class ProcessBackend(BackendContext host) : IBackend
{
    public IWarmPool WarmPool => host.Shells;

    public Technology Technology => Technology.Process;

    public BackendProbe Probe()
    {
        if (!OperatingSystem.IsLinux())
        {
            return BackendProbe.Missing("needs Linux");
        }
        if (!Privileges.IsRoot)
        {
            return BackendProbe.Missing("needs root (namespaces, veth and cgroups); run as root or with sudo");
        }
        if (NamespacedSpawner.HelperProblem() is { } helper)
        {
            return BackendProbe.Missing(helper);
        }
        try
        {
            var cg = host.Cgroups;
            return BackendProbe.Ok(("cgroups", cg.Version), ("isolation", "netns+pidns+mntns+utsns+ipcns"),
                ("privileges", "own uid, declared capabilities only, no_new_privs, seccomp, read-only host filesystem"));
        }
        catch (LightNfvException e)
        {
            return BackendProbe.Missing(e.Message);
        }
    }

    public Task<BackendInstance> CreateAsync(InstanceSpec spec, CancellationToken cancellationToken)
    {
        if (NamespacedSpawner.Resolve(spec.Argv[0], spec.Env) is null)
        {
            throw new LightNfvException(ErrorKind.Invalid,
                $"spec.app.command: '{spec.Argv[0]}' was not found on this host's PATH; install it or give its absolute path");
        }
        var ns = host.InstanceNamespace(spec.Id);
        var hostLink = BackendContext.HostLinkName(spec.Id);
        var instance = new BackendInstance(spec.Id, Technology, new InstanceFacts
        {
            Namespace = ns,
            HostLink = hostLink,
            Cgroup = host.CgroupPath(spec.Id),
            Address = spec.Network.Address,
            RunDirectory = spec.RunDirectory,
        }, new ProcessState());
        try
        {
            Directory.CreateDirectory(spec.RunDirectory);
            // Writes the limits into a claimed shell's empty cgroup, or makes the cgroup.
            host.Cgroups.Create(host.CgroupPath(spec.Id), InstanceLimits.Cgroup(spec.Resources));
            // A claimed shell's namespace is already on the bridge: it only needs its address. Otherwise the
            // namespace is made at start, by the VNF's own process.
            if (Host.Namespaces.NetNamespace.Exists(ns))
            {
                host.Lab.AddressShell(ns, BackendContext.HostLinkName(spec.Id), spec.Network, NetworkAttachment.MacForInstance(spec.Id));
            }
            else
            {
                _ = host.Lab; // opened now so that start pays nothing for it
            }
            cancellationToken.ThrowIfCancellationRequested();
            return Task.FromResult(instance);
        }
        catch
        {
            Teardown(instance);
            throw;
        }
    }

    public Task<BackendInstance> StartAsync(InstanceSpec spec, BackendInstance instance, CancellationToken cancellationToken)
    {
        var cgroup = host.Cgroups.Open(instance.Facts.Cgroup!)
            ?? throw new LightNfvException(ErrorKind.Host, $"cgroup {instance.Facts.Cgroup} of instance {instance.Id} is gone; remove and recreate the instance");
        var exitPath = ExitPath(instance);
        File.Delete(exitPath);
        var ns = instance.Facts.Namespace!;
        var restart = Host.Namespaces.NetNamespace.Exists(ns);
        // First start: the VNF's process makes the namespace and the lab wires it while the VNF execs (they overlap).
        // A restart, or a claimed shell, joins the namespace that exists, address and links unchanged.
        var spawned = NamespacedSpawner.Spawn(new SpawnRequest(
            spec.Argv, EnvironmentOf(spec), restart ? Host.Namespaces.NetNamespace.PathOf(ns) : null, cgroup.ProcsFiles,
            spec.Name, spec.LogPath, exitPath)
        {
            Confine = ConfinementOf(spec),
            OnNewNetworkNamespace = restart ? null : holder =>
                host.Lab.AdoptInstanceNamespace(ns, holder, instance.Facts.HostLink!, spec.Network, NetworkAttachment.MacForInstance(spec.Id)),
        });
        InstanceLimits.ApplyBandwidth(host, instance, spec.Resources);
        return Task.FromResult(instance with
        {
            Facts = instance.Facts with { Process = spawned.Vnf },
            State = ProcessState.Of(instance) with { Supervisor = spawned.Supervisor },
        });
    }

    public Task<BackendInstance> StopAsync(BackendInstance instance, TimeSpan grace, CancellationToken cancellationToken)
    {
        if (ProcessIdentity.From(instance.Facts.Process) is { } p)
        {
            ProcessSignals.Terminate(p, grace);
        }
        // Anything the VNF forked dies with it.
        host.Cgroups.Open(instance.Facts.Cgroup ?? "")?.KillAll(TimeSpan.FromSeconds(2));
        ReapSupervisor(instance);
        return Task.FromResult(instance with
        {
            Facts = instance.Facts with { Process = null },
            State = ProcessState.Of(instance) with { Supervisor = null },
        });
    }

    public Task DestroyAsync(BackendInstance instance, CancellationToken cancellationToken)
    {
        Teardown(instance);
        return Task.CompletedTask;
    }

    /// <summary>Removes whatever part of the instance exists, in reverse order of creation.</summary>
    /// <remarks>
    /// Every name derives from the instance id, so a record whose create was cut short (kill -9 of the CLI mid-run
    /// leaves a Creating record with no backend data) is removed just as completely.
    /// </remarks>
    private void Teardown(BackendInstance instance)
    {
        var errors = new List<string>();
        var cgPath = instance.Facts.Cgroup ?? host.CgroupPath(instance.Id);
        var ns = instance.Facts.Namespace ?? host.InstanceNamespace(instance.Id);
        var hostLink = instance.Facts.HostLink ?? BackendContext.HostLinkName(instance.Id);
        var runDir = instance.Facts.RunDirectory ?? host.RunDirectory(instance.Id);
        if (ProcessIdentity.From(instance.Facts.Process) is { } p)
        {
            ProcessSignals.Send(p, 9);
            ProcessSignals.WaitForExit(p, TimeSpan.FromSeconds(2));
        }
        ReapSupervisor(instance);
        if (host.Cgroups.Open(cgPath) is { } cg)
        {
            cg.KillAll(TimeSpan.FromSeconds(2));
            if (!cg.Remove())
            {
                errors.Add($"cgroup {cgPath} is still busy");
            }
        }
        host.DeleteNetwork(ns, hostLink, instance.Facts.Address);
        if (Directory.Exists(runDir))
        {
            Directory.Delete(runDir, recursive: true);
        }
        if (errors.Count > 0)
        {
            throw new LightNfvException(ErrorKind.Host, $"instance {instance.Id} partly removed: {string.Join("; ", errors)}; run 'lightnfv down' to retry");
        }
    }

    public InstanceObservation Inspect(BackendInstance instance)
    {
        IPAddress[] addresses = instance.Facts.Address is { } a ? [a] : [];
        var nsExists = instance.Facts.Namespace is { } ns && Host.Namespaces.NetNamespace.Exists(ns);
        if (!nsExists && host.Cgroups.Open(instance.Facts.Cgroup ?? "") is null)
        {
            return new InstanceObservation(ObservedState.Missing, null, null, addresses, "neither its network namespace nor its cgroup exists");
        }
        if (ProcessIdentity.From(instance.Facts.Process) is { } p)
        {
            if (p.IsAlive)
            {
                return new InstanceObservation(ObservedState.Running, p.Pid, p.StartedAt, addresses, null);
            }
            return new InstanceObservation(ObservedState.Exited, null, p.StartedAt, addresses, ExitCause(instance));
        }
        return new InstanceObservation(ObservedState.Stopped, null, null, addresses, null);
    }

    /// <summary>Live: the VNF's cgroup limits are rewritten in place and its lab port re-limited; its pid does not change.</summary>
    public Task<BackendInstance> ResizeAsync(BackendInstance instance, ResourceSpec resources, CancellationToken cancellationToken) =>
        Task.FromResult(InstanceLimits.ResizeInCgroup(host, instance, resources));

    public InstanceStats Stats(BackendInstance instance) =>
        host.StatsOf(instance.Facts.Cgroup ?? host.CgroupPath(instance.Id), instance.Facts.HostLink);

    /// <summary>
    /// How the VNF ended, from the file its supervisor writes after reaping it. Between the VNF's death and that
    /// write the file is missing; while the supervisor lives, wait for it (briefly) rather than record "ended" for good.
    /// </summary>
    private static string ExitCause(BackendInstance instance)
    {
        var path = ExitPath(instance);
        if (!File.Exists(path) && ProcessIdentity.From(ProcessState.Of(instance).Supervisor) is { } supervisor)
        {
            ProcessSignals.WaitForExit(supervisor, TimeSpan.FromMilliseconds(500));
        }
        return File.Exists(path) ? File.ReadAllText(path).Trim() : "ended (no exit status recorded)";
    }

    /// <summary>The supervisor ends right after the VNF; reap it if it is ours to reap (see <see cref="ChildReaper"/>).</summary>
    private static void ReapSupervisor(BackendInstance instance)
    {
        if (ProcessIdentity.From(ProcessState.Of(instance).Supervisor) is { } s)
        {
            ChildReaper.Reap(s, TimeSpan.FromSeconds(2));
        }
    }

    private static string ExitPath(BackendInstance instance) => Path.Combine(instance.Facts.RunDirectory!, "exit");
}
