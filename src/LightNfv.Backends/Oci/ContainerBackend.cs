using System.Globalization;
using System.Net;
using LightNfv.Backends.Oci.Spec;
using LightNfv.Backends.Shared;
using LightNfv.Core.Backends;
using LightNfv.Core.Descriptors;
using LightNfv.Core.Errors;
using LightNfv.Core.Networking;
using LightNfv.Host.Namespaces;
using LightNfv.Host.Processes;
using LightNfv.Images.Rootfs;

namespace LightNfv.Backends.Oci;

/// <summary>
/// The draft's container: the VNF in an OCI container run by crun (default) or runc, on a minimal root filesystem
/// built from the VNF (its binary and library closure, shared read-only by every container of the same image), in a
/// bundle whose config.json LightNFV writes itself: the lab namespace's network, cgroup limits, no capabilities but
/// those declared, no new privileges, a seccomp deny-list, masked and read-only kernel paths.
/// </summary>
public sealed partial class ContainerBackend(BackendContext host) : IBackend
{
    private readonly Dictionary<string, OciRuntime?> _runtimes = new(StringComparer.Ordinal);

    public Technology Technology => Technology.Container;

    public IWarmPool WarmPool => host.Shells;

    private RootfsBuilder Images => host.Images;

    public OciRuntime? Runtime(string name)
    {
        lock (_runtimes)
        {
            if (!_runtimes.TryGetValue(name, out var r))
            {
                r = OciRuntime.Find(name, Path.Combine(host.Options.StateDirectory, "runtime"));
                _runtimes[name] = r;
            }
            return r;
        }
    }

    /// <summary>The runtimes this host has, in order of preference.</summary>
    public IReadOnlyList<OciRuntime> AvailableRuntimes() => OciRuntime.Supported.Select(Runtime).OfType<OciRuntime>().ToArray();

    public BackendProbe Probe()
    {
        if (!LightNfv.Host.Processes.Privileges.IsRoot)
        {
            return BackendProbe.Missing("needs root (namespaces, veth, cgroups and an OCI runtime); run as root or with sudo");
        }
        var runtimes = AvailableRuntimes();
        if (runtimes.Count == 0)
        {
            return BackendProbe.Missing("no OCI runtime found; install one: apt-get install crun (or runc)");
        }
        try
        {
            return BackendProbe.Ok(
                ("runtimes", string.Join(", ", runtimes.Select(r => r.Version + (r.HidesCgroup2 ? " (hybrid-cgroup workaround)" : "")))),
                ("cgroups", host.Cgroups.Version));
        }
        catch (LightNfvException e)
        {
            return BackendProbe.Missing(e.Message);
        }
    }

    private OciRuntime Choose(string? asked)
    {
        if (asked is not null)
        {
            return Runtime(asked) ?? throw new LightNfvException(ErrorKind.Unavailable,
                $"spec.runtime: '{asked}' is not installed on this host; install it (apt-get install {asked}) or omit the field");
        }
        return AvailableRuntimes().FirstOrDefault()
            ?? throw new LightNfvException(ErrorKind.Unavailable, "no OCI runtime found; install one: apt-get install crun (or runc)");
    }

    public Task<BackendInstance> CreateAsync(InstanceSpec spec, CancellationToken cancellationToken)
    {
        var runtime = Choose(spec.Runtime);
        var program = NamespacedSpawner.Resolve(spec.Argv[0], spec.Env)
            ?? throw new LightNfvException(ErrorKind.Invalid, $"spec.app.command: '{spec.Argv[0]}' was not found on this host's PATH; install it or give its absolute path");
        var ns = host.InstanceNamespace(spec.Id);
        var hostLink = BackendContext.HostLinkName(spec.Id);
        var bundle = Path.Combine(spec.RunDirectory, "bundle");
        var instance = new BackendInstance(spec.Id, Technology, new InstanceFacts
        {
            Namespace = ns,
            HostLink = hostLink,
            Address = spec.Network.Address,
            RunDirectory = spec.RunDirectory,
            Cgroup = host.CgroupPath(spec.Id), // the bundle's cgroupsPath
        }, new ContainerState { Runtime = runtime.Name, Bundle = bundle });
        try
        {
            Directory.CreateDirectory(spec.RunDirectory);
            // Content-addressed and cached: only the first container of an image pays for building it.
            var image = Images.Build(VnfImages.ForArgv([program, .. spec.Argv.Skip(1)], spec.Files));
            cancellationToken.ThrowIfCancellationRequested();
            var mac = NetworkAttachment.MacForInstance(spec.Id);
            if (NetNamespace.Exists(ns))
            {
                host.Lab.AddressShell(ns, hostLink, spec.Network, mac); // a claimed shell: already on the bridge
            }
            else
            {
                host.Lab.CreateInstanceNamespace(ns, hostLink, spec.Network, mac);
            }
            OciBundle.Write(bundle, new OciSpecInput
            {
                Id = spec.Id,
                Hostname = spec.Name,
                Args = [program, .. spec.Argv.Skip(1)],
                Env = spec.Env,
                RootfsPath = image.RootfsDirectory,
                NetworkNamespacePath = NetNamespace.PathOf(ns),
                CgroupsPath = "/" + host.CgroupPath(spec.Id),
                MemoryBytes = (long)spec.Resources.MemoryMiB * 1024 * 1024,
                Cpus = spec.Resources.Vcpus,
                Pids = spec.Resources.Pids,
                CpuSet = spec.Resources.CpuSet,
                Capabilities = spec.Capabilities,
            });
            return Task.FromResult(instance with { Facts = instance.Facts with { Image = new ImageFacts(image.Digest, image.TreeBytes, image.TarGzBytes) } });
        }
        catch
        {
            Teardown(instance);
            throw;
        }
    }

    public Task<BackendInstance> StartAsync(InstanceSpec spec, BackendInstance instance, CancellationToken cancellationToken)
    {
        var state = ContainerState.Of(instance);
        var runtime = Choose(state.Runtime);
        // A stopped container cannot be started again (OCI lifecycle): delete it and run it anew from its bundle. A new
        // one has nothing to delete (and the zombie sweep in Delete would cost a /proc walk on the instantiation path).
        if (runtime.Exists(instance.Id))
        {
            runtime.Delete(instance.Id);
        }
        var pidFile = Path.Combine(instance.Facts.RunDirectory!, "container.pid");
        File.Delete(pidFile);
        runtime.Run(instance.Id, state.Bundle!, pidFile, spec.LogPath);
        var pid = int.Parse(File.ReadAllText(pidFile).Trim(), CultureInfo.InvariantCulture);
        var identity = ProcessIdentity.Of(pid) ?? new ProcessIdentity(pid, 0);
        InstanceLimits.ApplyBandwidth(host, instance, spec.Resources);
        return Task.FromResult(instance with { Facts = instance.Facts with { Process = identity } });
    }

    public Task<BackendInstance> StopAsync(BackendInstance instance, TimeSpan grace, CancellationToken cancellationToken)
    {
        if (ProcessIdentity.From(instance.Facts.Process) is { } p)
        {
            ProcessSignals.Terminate(p, grace);
            ChildReaper.Reap(p, TimeSpan.FromMilliseconds(200));
        }
        Choose(ContainerState.Of(instance).Runtime).Delete(instance.Id);
        return Task.FromResult(instance with { Facts = instance.Facts with { Process = null } });
    }

    public Task DestroyAsync(BackendInstance instance, CancellationToken cancellationToken)
    {
        Teardown(instance);
        return Task.CompletedTask;
    }

    /// <summary>Removes whatever exists of the instance; names derive from the id, so a create cut short is removed too.</summary>
    private void Teardown(BackendInstance instance)
    {
        var runtimeName = ContainerState.Of(instance).Runtime;
        var runtime = runtimeName is null ? null : Runtime(runtimeName);
        runtime?.Delete(instance.Id);
        if (ProcessIdentity.From(instance.Facts.Process) is { } p)
        {
            // The runtime killed it; as a subreaper we may be its parent now.
            ProcessSignals.WaitForExit(p, TimeSpan.FromSeconds(2));
            ChildReaper.Reap(p, TimeSpan.FromMilliseconds(200));
        }
        if (host.Cgroups.Open(host.CgroupPath(instance.Id)) is { } cg)
        {
            cg.KillAll(TimeSpan.FromSeconds(2));
            cg.Remove();
        }
        // The runtime may have made the instance's cgroup in hierarchies the driver does not manage.
        Host.Cgroups.CgroupSweeper.RemoveEverywhere(host.CgroupPath(instance.Id));
        var ns = instance.Facts.Namespace ?? host.InstanceNamespace(instance.Id);
        var hostLink = instance.Facts.HostLink ?? BackendContext.HostLinkName(instance.Id);
        host.DeleteNetwork(ns, hostLink, instance.Facts.Address);
        var runDir = instance.Facts.RunDirectory ?? host.RunDirectory(instance.Id);
        if (Directory.Exists(runDir))
        {
            Directory.Delete(runDir, recursive: true);
        }
    }

    public InstanceObservation Inspect(BackendInstance instance)
    {
        IPAddress[] addresses = instance.Facts.Address is { } a ? [a] : [];
        if (!NetNamespace.Exists(instance.Facts.Namespace ?? host.InstanceNamespace(instance.Id)))
        {
            return new InstanceObservation(ObservedState.Missing, null, null, addresses, "its network namespace is gone");
        }
        if (ProcessIdentity.From(instance.Facts.Process) is { } p)
        {
            return p.IsAlive
                ? new InstanceObservation(ObservedState.Running, p.Pid, p.StartedAt, addresses, null)
                : new InstanceObservation(ObservedState.Exited, null, p.StartedAt, addresses, "exited (the runtime keeps no exit status for detached containers)");
        }
        return new InstanceObservation(ObservedState.Stopped, null, null, addresses, null);
    }

    /// <summary>
    /// Live: the container's cgroup (the bundle's cgroupsPath, which the runtime made) is rewritten in place, as
    /// `crun update` would, and its lab port re-limited; then the bundle, so the runtime applies the new size at the next
    /// start (a stop deletes the container, a start runs it anew from the bundle).
    /// </summary>
    public Task<BackendInstance> ResizeAsync(BackendInstance instance, ResourceSpec resources, CancellationToken cancellationToken)
    {
        var resized = InstanceLimits.ResizeInCgroup(host, instance, resources);
        if (ContainerState.Of(instance).Bundle is { } bundle)
        {
            OciBundle.RewriteResources(bundle, (long)resources.MemoryMiB * 1024 * 1024, resources.Vcpus, resources.Pids, resources.CpuSet);
        }
        return Task.FromResult(resized);
    }

    public InstanceStats Stats(BackendInstance instance) => host.StatsOf(host.CgroupPath(instance.Id), instance.Facts.HostLink);
}
