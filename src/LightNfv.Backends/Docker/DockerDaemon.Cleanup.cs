using System.Security.Cryptography;
using System.Text;
using LightNfv.Core.Errors;
using LightNfv.Host.Cgroups;
using LightNfv.Host.Processes;

namespace LightNfv.Backends.Docker;

/// <summary>`down` for Docker: stop the private dockerd and remove everything it and its containers leave behind.</summary>
public sealed partial class DockerDaemon
{
    /// <summary>
    /// Stops the private dockerd this platform started (if any) and removes everything it leaves: its containers and
    /// their cgroups, containerd and shim processes, mounts below its roots, the roots themselves, its cgroups, and the
    /// directories under /run it created. Also removes the images imported into a daemon this platform did not start.
    /// Returns what it removed.
    /// </summary>
    public IReadOnlyList<string> Shutdown()
    {
        if (!Directory.Exists(Root) && !Directory.Exists(ExecRoot))
        {
            return [];
        }
        using var gate = Lock();
        var removed = new List<string>();
        RemoveExternalImages(removed);
        removed.AddRange(StopAndClean(ReadRecord(), removeState: true));
        return removed;
    }

    private void RemoveExternalImages(List<string> removed)
    {
        foreach (var group in ReadExternal().GroupBy(e => e.Socket))
        {
            if (TryPing(group.Key, CancellationToken.None) is not { } client)
            {
                continue;
            }
            RemoveContainersOfPlatform(client, removed);
            foreach (var (_, image) in group)
            {
                // Still in use by another platform's container: it stays, and so does its tag.
                if (client.RemoveImageAsync(image, CancellationToken.None).GetAwaiter().GetResult())
                {
                    removed.Add($"docker image {image} (dockerd at {group.Key})");
                }
            }
        }
    }

    /// <summary>The label every container of this platform carries (its state directory), so `down` finds leftovers.</summary>
    public string PlatformLabel => $"{DockerBackend.LabelPlatform}={Path.GetFullPath(host.Options.StateDirectory)}";

    private void RemoveContainersOfPlatform(EngineClient client, List<string> removed)
    {
        foreach (var (id, name) in client.ListContainersAsync(PlatformLabel, CancellationToken.None).GetAwaiter().GetResult())
        {
            if (client.RemoveContainerAsync(id, force: true, CancellationToken.None).GetAwaiter().GetResult())
            {
                removed.Add($"docker container {name}");
            }
        }
    }

    private List<string> StopAndClean(Record? record, bool removeState)
    {
        var removed = new List<string>();
        var execRoot = record?.ExecRoot ?? ExecRoot;
        var socket = record?.Socket ?? PrivateSocket;
        if (record?.Dockerd is { } dockerd && dockerd.IsAlive)
        {
            // Containers first, through the API, so that docker unmounts and forgets them itself.
            if (TryPing(socket, CancellationToken.None) is { } client)
            {
                try
                {
                    RemoveContainersOfPlatform(client, removed);
                }
                catch (EngineException)
                {
                    // It is going away anyway; what it leaves is swept below.
                }
            }
            // SIGTERM: dockerd stops its containerd and unmounts its data root itself.
            var stopped = !ProcessSignals.Send(dockerd, 15) || ProcessSignals.WaitForExit(dockerd, StopTimeout);
            if (!stopped && dockerd.IsAlive)
            {
                ProcessSignals.Send(dockerd, 9);
                ProcessSignals.WaitForExit(dockerd, TimeSpan.FromSeconds(5));
            }
            ChildReaper.Reap(dockerd, TimeSpan.FromMilliseconds(500));
            removed.Add($"dockerd (pid {dockerd.Pid}){(stopped ? "" : ", killed")}");
        }
        lock (_gate)
        {
            if (_clients.Remove(socket, out var c))
            {
                c.Dispose();
            }
        }

        // What a dead or stubborn dockerd leaves running: containerd and shims (in its cgroup, naming its exec root).
        var roots = new[] { execRoot, DataRoot };
        var leftovers = HostLeftovers.ProcessesUsing(roots).ToList();
        if (host.Cgroups.Open(DaemonCgroup) is { } daemonCgroup)
        {
            foreach (var pid in daemonCgroup.Pids())
            {
                if (ProcessIdentity.Of(pid) is { } p && leftovers.All(l => l.Process.Pid != pid))
                {
                    leftovers.Add((p, $"pid {pid} in cgroup {DaemonCgroup}"));
                }
            }
        }
        HostLeftovers.Kill(leftovers.Select(l => l.Process));
        foreach (var (p, command) in leftovers)
        {
            removed.Add($"process {p.Pid} ({command.Split(' ')[0]})");
        }

        // Containers left behind by a daemon that died: their processes, then their cgroups (docker makes the parent in every hierarchy).
        foreach (var child in host.Cgroups.ListChildren(ContainersCgroup))
        {
            host.Cgroups.Open($"{ContainersCgroup}/{child}")?.KillAll(TimeSpan.FromSeconds(2));
        }
        foreach (var cgroup in new[] { ContainersCgroup, DaemonCgroup })
        {
            var existed = HostCgroupExists(cgroup);
            host.Cgroups.Open(cgroup)?.KillAll(TimeSpan.FromSeconds(2));
            host.Cgroups.Open(cgroup)?.Remove();
            var busy = CgroupSweeper.RemoveEverywhere(cgroup);
            if (busy.Count > 0)
            {
                throw new LightNfvException(ErrorKind.Host, $"cgroup {busy[0]} is still busy after dockerd stopped; run 'lightnfv down' again");
            }
            if (existed)
            {
                removed.Add($"cgroup {cgroup}");
            }
        }

        var sockets = RemoveShimSockets(execRoot);
        if (sockets > 0)
        {
            removed.Add($"{sockets} shim socket(s) in /run/containerd/s");
        }
        var mounts = HostLeftovers.Unmount(roots.Append(Root).ToArray());
        if (mounts > 0)
        {
            removed.Add($"{mounts} mount(s) under {Root}");
        }
        if (Directory.Exists(execRoot) && !HostLeftovers.IsUnder(execRoot, Root))
        {
            Directory.Delete(execRoot, recursive: true);
            removed.Add($"directory {execRoot}");
        }
        if (removeState)
        {
            foreach (var dir in record?.CreatedRunDirectories ?? [])
            {
                // Only when empty: a shim socket in /run/containerd/s belongs to another live daemon.
                if (HostLeftovers.RemoveIfEmptyTree(dir))
                {
                    removed.Add($"directory {dir}");
                }
            }
            if (Directory.Exists(Root))
            {
                Directory.Delete(Root, recursive: true);
                removed.Add($"directory {Root} (docker data and exec roots)");
            }
        }
        else if (Directory.Exists(execRoot))
        {
            Directory.Delete(execRoot, recursive: true);
        }
        return removed;
    }

    /// <summary>
    /// A shim killed rather than shut down leaves its socket in /run/containerd/s, a directory containerd fixes whatever
    /// its roots. The name is sha256("&lt;containerd address&gt;/&lt;namespace&gt;/&lt;container id&gt;"), so the sockets of this
    /// daemon's shims are found from the task directories under its exec root, and only those are removed.
    /// </summary>
    private static int RemoveShimSockets(string execRoot)
    {
        var tasks = Path.Combine(execRoot, "containerd", "daemon", "io.containerd.runtime.v2.task");
        if (!Directory.Exists(tasks))
        {
            return 0;
        }
        var address = Path.Combine(execRoot, "containerd", "containerd.sock");
        var n = 0;
        foreach (var ns in Directory.EnumerateDirectories(tasks))
        {
            foreach (var task in Directory.EnumerateDirectories(ns))
            {
                var name = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{address}/{Path.GetFileName(ns)}/{Path.GetFileName(task)}")));
                var socket = Path.Combine("/run/containerd/s", name);
                if (File.Exists(socket))
                {
                    File.Delete(socket);
                    n++;
                }
            }
        }
        return n;
    }

    private static bool HostCgroupExists(string relative) =>
        MountInfo.Read().Where(m => m.FsType is "cgroup" or "cgroup2").Any(m => Directory.Exists(Path.Combine(m.MountPoint, relative)));
}
