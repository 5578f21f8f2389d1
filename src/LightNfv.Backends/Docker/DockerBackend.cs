using System.Net;
using LightNfv.Backends.Shared;
using LightNfv.Core.Backends;
using LightNfv.Core.Descriptors;
using LightNfv.Core.Errors;
using LightNfv.Core.Networking;
using LightNfv.Host.Cgroups;
using LightNfv.Host.Namespaces;
using LightNfv.Host.Processes;
using LightNfv.Images.Rootfs;

namespace LightNfv.Backends.Docker;

/// <summary>
/// The draft's Docker row: the VNF's image (the same rootfs the container backend builds, imported into dockerd once
/// per digest) run by dockerd through its Engine API. Docker's own networking is off (NetworkMode none): once the
/// container runs, LightNFV pins its network namespace and plugs a veth whose peer is created directly inside it —
/// the fastest correct way (no docker network driver, no iptables, no moving links, ~2.5 ms), and the instance then
/// looks like every other one to the probe, stats and teardown.
/// </summary>
public sealed partial class DockerBackend(BackendContext host) : IBackend
{
    public const string ImageRepository = "lightnfv/vnf";
    public const string LabelPlatform = "org.lightnfv.platform", LabelInstance = "org.lightnfv.instance", LabelTenant = "org.lightnfv.tenant";

    private readonly Dictionary<string, string?> _cgroupParents = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _versions = new(StringComparer.Ordinal);

    public Technology Technology => Technology.Docker;

    public DockerDaemon Daemon { get; } = new(host);

    private RootfsBuilder Images => host.Images;

    public static string ContainerName(string id) => "lightnfv-" + id;

    public BackendProbe Probe()
    {
        if (!LightNfv.Host.Processes.Privileges.IsRoot)
        {
            return BackendProbe.Missing("needs root (dockerd, namespaces, veth and cgroups); run as root or with sudo");
        }
        try
        {
            const string network = "container network namespace plugged into the lab (veth peer made inside it), docker networking off";
            if (Daemon.FindRunning() is { } client)
            {
                // Asked once per daemon: `run` probes before every create, inside the timed window.
                string? version;
                lock (_versions)
                {
                    _versions.TryGetValue(client.Endpoint, out version);
                }
                if (version is null)
                {
                    version = client.VersionAsync(CancellationToken.None).GetAwaiter().GetResult();
                    lock (_versions)
                    {
                        _versions[client.Endpoint] = version;
                    }
                }
                var which = client.Endpoint == Daemon.PrivateSocket ? "private, in the lab namespace" : "this host's";
                return BackendProbe.Ok(("dockerd", $"{version} at {client.Endpoint} ({which}), API {client.ApiVersion}"), ("network", network), ("cgroups", host.Cgroups.Version));
            }
            if (DockerDaemon.DockerdPath is null)
            {
                return BackendProbe.Missing("docker is not installed: apt-get install docker.io");
            }
            foreach (var tool in new[] { "containerd", "runc" })
            {
                if (NamespacedSpawner.Resolve(tool, NamespacedSpawner.DefaultEnvironment) is null)
                {
                    return BackendProbe.Missing($"dockerd is installed but {tool} is not on PATH: apt-get install {tool}");
                }
            }
            return BackendProbe.Ok(("dockerd", "not running; a private dockerd is started in the lab namespace on first use"), ("network", network),
                ("cgroups", host.Cgroups.Version));
        }
        catch (LightNfvException e)
        {
            return BackendProbe.Missing(e.Message);
        }
    }

    public async Task<BackendInstance> CreateAsync(InstanceSpec spec, CancellationToken cancellationToken)
    {
        var program = NamespacedSpawner.Resolve(spec.Argv[0], spec.Env)
            ?? throw new LightNfvException(ErrorKind.Invalid, $"spec.app.command: '{spec.Argv[0]}' was not found on this host's PATH; install it or give its absolute path");
        var name = ContainerName(spec.Id);
        var instance = new BackendInstance(spec.Id, Technology, new InstanceFacts
        {
            Namespace = host.InstanceNamespace(spec.Id),
            HostLink = BackendContext.HostLinkName(spec.Id),
            Address = spec.Network.Address,
            RunDirectory = spec.RunDirectory,
        }, new DockerState { ContainerName = name });
        try
        {
            Directory.CreateDirectory(spec.RunDirectory);
            // Content-addressed and cached, shared with the container backend: built once per VNF.
            var image = Images.Build(VnfImages.ForArgv([program, .. spec.Argv.Skip(1)], spec.Files));
            cancellationToken.ThrowIfCancellationRequested();
            var client = Daemon.Ensure(cancellationToken);
            instance = instance with { State = DockerState.Of(instance) with { DockerSocket = client.Endpoint } };
            var (reference, size) = await EnsureImageAsync(client, image, cancellationToken).ConfigureAwait(false);
            var request = new ContainerRequest
            {
                Image = reference,
                // Resolved on the host, where the image was built from: the same absolute path exists inside it.
                Cmd = [program, .. spec.Argv.Skip(1)],
                Env = spec.Env,
                Hostname = spec.Name,
                MemoryBytes = (long)spec.Resources.MemoryMiB * 1024 * 1024,
                Cpus = spec.Resources.Vcpus,
                Pids = spec.Resources.Pids,
                CpuSet = spec.Resources.CpuSet,
                Capabilities = spec.Capabilities,
                CgroupParent = await CgroupParentAsync(client, cancellationToken).ConfigureAwait(false),
                Labels = new Dictionary<string, string>
                {
                    [LabelPlatform] = Path.GetFullPath(host.Options.StateDirectory),
                    [LabelInstance] = spec.Id,
                    [LabelTenant] = spec.Tenant,
                },
            };
            var containerId = await client.CreateContainerAsync(name, request, cancellationToken).ConfigureAwait(false);
            instance = instance with { State = DockerState.Of(instance) with { Container = containerId } };
            // Until the container starts (when dockerd names its json-file log, see StartAsync), `lightnfv logs` says where to look.
            await File.WriteAllTextAsync(spec.LogPath,
                $"lightnfv: the docker backend leaves the VNF's stdout and stderr to dockerd (json-file, 1 MB); read them with: docker -H unix://{client.Endpoint} logs {name}\n",
                cancellationToken).ConfigureAwait(false);
            return instance with { Facts = instance.Facts with { Image = new ImageFacts(reference, size, image.TarGzBytes) } };
        }
        catch
        {
            Teardown(instance);
            throw;
        }
    }

    /// <summary>The image of a rootfs in this daemon, imported on first use: lightnfv/vnf:&lt;first 12 hex of the digest&gt;. Returns it and its size on disk.</summary>
    private async Task<(string Reference, long Size)> EnsureImageAsync(EngineClient client, RootfsImage image, CancellationToken cancellationToken)
    {
        var digest = image.Digest.StartsWith("sha256:", StringComparison.Ordinal) ? image.Digest["sha256:".Length..] : image.Digest;
        var tag = digest[..Math.Min(12, digest.Length)];
        var reference = $"{ImageRepository}:{tag}";
        var info = await client.InspectImageAsync(reference, cancellationToken).ConfigureAwait(false);
        if (info is null)
        {
            await client.ImportImageAsync(image.TarGzPath, ImageRepository, tag, cancellationToken).ConfigureAwait(false);
            Daemon.NoteExternalImage(client.Endpoint, reference);
            info = await client.InspectImageAsync(reference, cancellationToken).ConfigureAwait(false)
                ?? throw new LightNfvException(ErrorKind.Host, $"dockerd: imported {image.TarGzPath} as {reference}, but it does not know the image");
        }
        return (reference, info.Size > 0 ? info.Size : image.TreeBytes);
    }

    /// <summary>
    /// Containers go below the platform's cgroup parent, so `down` finds whatever a dead daemon left. Only with the
    /// cgroupfs driver: the systemd driver wants a slice name and places them itself.
    /// </summary>
    private async Task<string?> CgroupParentAsync(EngineClient client, CancellationToken cancellationToken)
    {
        var parent = "/" + Daemon.ContainersCgroup;
        if (client.Endpoint == Daemon.PrivateSocket)
        {
            return parent;
        }
        lock (_cgroupParents)
        {
            if (_cgroupParents.TryGetValue(client.Endpoint, out var known))
            {
                return known;
            }
        }
        var driver = await client.CgroupDriverAsync(cancellationToken).ConfigureAwait(false);
        var result = driver == "cgroupfs" ? parent : null;
        lock (_cgroupParents)
        {
            _cgroupParents[client.Endpoint] = result;
        }
        return result;
    }

    public async Task<BackendInstance> StartAsync(InstanceSpec spec, BackendInstance instance, CancellationToken cancellationToken)
    {
        var state = DockerState.Of(instance);
        var socket = state.DockerSocket ?? throw new LightNfvException(ErrorKind.State, $"instance {instance.Id} has no docker container; remove it and run it again");
        var container = state.Container ?? ContainerName(instance.Id);
        var client = Daemon.Connect(socket, cancellationToken);
        var ns = instance.Facts.Namespace ?? host.InstanceNamespace(instance.Id);
        var hostLink = instance.Facts.HostLink ?? BackendContext.HostLinkName(instance.Id);
        if (NetNamespace.Exists(ns))
        {
            // A previous run's namespace (docker makes a new one at every start): unpin it and free its veth.
            host.DeleteNetwork(ns, hostLink, spec.Network.Address);
        }
        await client.StartContainerAsync(container, cancellationToken).ConfigureAwait(false);
        var info = await client.InspectContainerAsync(container, cancellationToken).ConfigureAwait(false)
            ?? throw new LightNfvException(ErrorKind.Host, $"dockerd: container {container} vanished right after it started");
        // docker keeps the VNF's output in its json-file log (a time per line from its shim): `lightnfv logs` reads that
        // file where this one points (Host/Logs/LogReader), so -f, --since and -t work as for every instance.
        if (info.LogPath is { Length: > 0 } jsonLog)
        {
            var runDir = instance.Facts.RunDirectory ?? host.RunDirectory(instance.Id);
            await File.WriteAllTextAsync(LightNfv.Host.Logs.LogReader.DockerPointerPath(InstanceSpec.LogPathIn(runDir)), jsonLog, cancellationToken).ConfigureAwait(false);
        }
        if (!info.Running || info.Pid <= 0)
        {
            var logs = await client.LogsAsync(container, 20, cancellationToken).ConfigureAwait(false);
            throw new LightNfvException(ErrorKind.Host,
                $"the VNF exited as soon as docker started it (exit code {info.ExitCode}{(info.OomKilled ? ", killed by the OOM killer" : "")}{(info.Error is { } err ? $", {err}" : "")}): {logs.Trim()}");
        }
        var process = ProcessIdentity.Of(info.Pid) ?? new ProcessIdentity(info.Pid, 0);
        try
        {
            host.Lab.AdoptInstanceNamespace(ns, info.Pid, hostLink, spec.Network, NetworkAttachment.MacForInstance(instance.Id));
        }
        catch
        {
            // A VNF without its network is of no use: stop it, and let the caller's rollback remove the rest.
            await client.KillContainerAsync(container, CancellationToken.None).ConfigureAwait(false);
            throw;
        }
        var shimPid = HostLeftovers.ParentOf(info.Pid);
        var shim = shimPid > 1 ? ProcessIdentity.Of(shimPid) : null;
        var cgroup = HostLeftovers.CgroupOf(info.Pid, host.Cgroups.Version == "v1") is { Length: > 0 } cg ? cg : $"{Daemon.ContainersCgroup}/{info.Id}";
        InstanceLimits.ApplyBandwidth(host, instance, spec.Resources);
        return instance with
        {
            Facts = instance.Facts with { Process = process, Cgroup = cgroup },
            State = state with { Shim = shim },
        };
    }

    public async Task<BackendInstance> StopAsync(BackendInstance instance, TimeSpan grace, CancellationToken cancellationToken)
    {
        var state = DockerState.Of(instance);
        var container = state.Container ?? ContainerName(instance.Id);
        if (state.DockerSocket is { } socket && Daemon.TryConnect(socket, cancellationToken) is { } client)
        {
            try
            {
                await client.StopContainerAsync(container, grace, cancellationToken).ConfigureAwait(false);
            }
            catch (EngineException e) when (e.IsNotFound)
            {
                // Gone already: nothing to stop.
            }
        }
        else if (ProcessIdentity.From(instance.Facts.Process) is { } p)
        {
            // The daemon is gone but its shim kept the VNF running: stop it directly.
            ProcessSignals.Terminate(p, grace);
        }
        ReapShim(instance);
        DeleteNetwork(instance);
        return instance with { Facts = instance.Facts with { Process = null }, State = state with { Shim = null } };
    }

    public Task DestroyAsync(BackendInstance instance, CancellationToken cancellationToken)
    {
        Teardown(instance);
        return Task.CompletedTask;
    }

    /// <summary>Removes whatever exists of the instance; names derive from the id, so a create cut short is removed too. The image stays (shared).</summary>
    private void Teardown(BackendInstance instance)
    {
        var state = DockerState.Of(instance);
        var container = state.Container ?? ContainerName(instance.Id);
        var socket = state.DockerSocket;
        var client = socket is not null ? Daemon.TryConnect(socket) : Daemon.FindRunning();
        if (client is not null)
        {
            // Forced: docker kills it if it runs, removes its mounts, netns pin and cgroup.
            client.RemoveContainerAsync(container, force: true, CancellationToken.None).GetAwaiter().GetResult();
        }
        else if (ProcessIdentity.From(instance.Facts.Process) is { } p)
        {
            ProcessSignals.Send(p, 9);
            ProcessSignals.WaitForExit(p, TimeSpan.FromSeconds(2));
        }
        ReapShim(instance);
        if (instance.Facts.Cgroup is { } cgroup && host.Cgroups.Open(cgroup) is { } cg)
        {
            // Left only when the daemon was gone: nothing else removes it.
            cg.KillAll(TimeSpan.FromSeconds(2));
            cg.Remove();
            CgroupSweeper.RemoveEverywhere(cgroup);
        }
        DeleteNetwork(instance);
        var runDir = instance.Facts.RunDirectory ?? host.RunDirectory(instance.Id);
        if (Directory.Exists(runDir))
        {
            Directory.Delete(runDir, recursive: true);
        }
    }

    /// <summary>
    /// The shim exits once docker is done with the container. When this process started dockerd and is a subreaper
    /// (bench, tests, daemon), the shim was re-parented to it: reap it rather than leave a zombie. No-op otherwise.
    /// </summary>
    private static void ReapShim(BackendInstance instance)
    {
        if (ProcessIdentity.From(DockerState.Of(instance).Shim) is { } shim && ChildReaper.IsSubreaper)
        {
            ChildReaper.Reap(shim, TimeSpan.FromSeconds(1));
        }
    }

    private void DeleteNetwork(BackendInstance instance) =>
        host.DeleteNetwork(
            instance.Facts.Namespace ?? host.InstanceNamespace(instance.Id),
            instance.Facts.HostLink ?? BackendContext.HostLinkName(instance.Id),
            instance.Facts.Address);

    public InstanceObservation Inspect(BackendInstance instance)
    {
        IPAddress[] addresses = instance.Facts.Address is { } a ? [a] : [];
        var process = ProcessIdentity.From(instance.Facts.Process);
        var state = DockerState.Of(instance);
        var socket = state.DockerSocket;
        if (socket is null || Daemon.TryConnect(socket) is not { } client)
        {
            return process is { IsAlive: true }
                ? new InstanceObservation(ObservedState.Running, process.Value.Pid, process.Value.StartedAt, addresses, $"dockerd at {socket} does not answer")
                : new InstanceObservation(ObservedState.Missing, null, null, addresses, $"dockerd at {socket ?? "(none)"} does not answer");
        }
        var info = client.InspectContainerAsync(state.Container ?? ContainerName(instance.Id), CancellationToken.None).GetAwaiter().GetResult();
        if (info is null)
        {
            return new InstanceObservation(ObservedState.Missing, null, null, addresses, "its docker container is gone");
        }
        if (info.Running)
        {
            var started = ProcessIdentity.Of(info.Pid)?.StartedAt ?? info.StartedAt;
            return new InstanceObservation(ObservedState.Running, info.Pid, started, addresses, null);
        }
        return process is not null
            ? new InstanceObservation(ObservedState.Exited, null, info.StartedAt, addresses,
                $"exited with code {info.ExitCode}{(info.OomKilled ? " (killed by the OOM killer)" : "")}")
            : new InstanceObservation(ObservedState.Stopped, null, null, addresses, null);
    }

    /// <summary>
    /// Live, through dockerd (POST /containers/{id}/update, as `docker update`): docker writes the container's cgroup and
    /// keeps the new size in its own record, so a `docker start` after a stop keeps it too; then the lab port's bandwidth.
    /// </summary>
    public async Task<BackendInstance> ResizeAsync(BackendInstance instance, ResourceSpec resources, CancellationToken cancellationToken)
    {
        var state = DockerState.Of(instance);
        if (state.DockerSocket is not { } socket || ProcessIdentity.From(instance.Facts.Process) is not { IsAlive: true })
        {
            throw new LightNfvException(ErrorKind.State, $"instance {instance.Id} is not running; start it first, or change spec.resources for its next start");
        }
        var client = Daemon.Connect(socket, cancellationToken);
        await client.UpdateContainerAsync(state.Container ?? ContainerName(instance.Id), ContainerRequest.Resources(resources), cancellationToken).ConfigureAwait(false);
        if (instance.Facts.HostLink is { } link)
        {
            host.Lab.SetPortBandwidth(link, resources.BandwidthMbps);
        }
        return instance;
    }

    public InstanceStats Stats(BackendInstance instance) =>
        host.StatsOf(
            instance.Facts.Cgroup ?? (DockerState.Of(instance).Container is { } c ? $"{Daemon.ContainersCgroup}/{c}" : host.CgroupPath(instance.Id)),
            instance.Facts.HostLink);

    /// <summary>`down`: stops the private dockerd and removes what it leaves (see <see cref="DockerDaemon.Shutdown"/>).</summary>
    public IReadOnlyList<string> ShutdownHostServices() => Daemon.Shutdown();
}
