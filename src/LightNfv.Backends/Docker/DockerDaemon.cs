using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using LightNfv.Backends.Shared;
using LightNfv.Core.Errors;
using LightNfv.Host.Cgroups;
using LightNfv.Host.Processes;

namespace LightNfv.Backends.Docker;

/// <summary>
/// Finds the dockerd to talk to, or starts a private one. A private dockerd runs inside the lab network namespace (so
/// even misconfigured it cannot touch the host's network), with its own data and exec roots under the state
/// directory, its own config file (a host's /etc/docker/daemon.json cannot change it), no iptables, NAT, forwarding or
/// bridge, and in a cgroup of the platform's parent so that `down` can account for everything it started.
/// It outlives the CLI invocation that started it: later invocations find it by its record (pid and start time).
/// </summary>
public sealed class DockerDaemon(BackendContext host) : IDisposable
{
    public const string SystemSocket = "/var/run/docker.sock";

    /// <summary>Directories dockerd and its containerd make under /run whatever their roots (plugin and shim sockets).</summary>
    public static readonly IReadOnlyList<string> RunDirectories = ["/run/containerd", "/run/docker"];

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(15);

    private readonly Dictionary<string, EngineClient> _clients = new(StringComparer.Ordinal);
    private readonly object _gate = new();

    /// <summary>Everything of the private daemon under the state directory: record, config, log, data root.</summary>
    public string Root => Path.Combine(host.Options.StateDirectory, "docker");
    public string DataRoot => Path.Combine(Root, "data");

    /// <summary>
    /// The exec root holds unix sockets (containerd's is 33 bytes below it) and sun_path holds 108 bytes: a long state
    /// directory moves it to /run/lightnfv/docker-&lt;hash of the state directory&gt;.
    /// </summary>
    public string ExecRoot
    {
        get
        {
            var inState = Path.Combine(Root, "exec");
            if (Encoding.UTF8.GetByteCount(inState) <= 60)
            {
                return inState;
            }
            var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Path.GetFullPath(host.Options.StateDirectory))))[..8];
            return $"/run/lightnfv/docker-{hash}";
        }
    }

    public string PrivateSocket => Path.Combine(ExecRoot, "docker.sock");
    public string LogPath => Path.Combine(Root, "dockerd.log");
    private string RecordPath => Path.Combine(Root, "daemon.json");
    private string ConfigPath => Path.Combine(Root, "dockerd.json");
    private string LockPath => Path.Combine(Root, "daemon.lock");
    /// <summary>Images this platform imported into a daemon it did not start (removed on `down`).</summary>
    private string ExternalPath => Path.Combine(Root, "external.json");

    /// <summary>The cgroup the private dockerd, its containerd and shims run in.</summary>
    public string DaemonCgroup => $"{host.Options.CgroupParent}/dockerd";

    /// <summary>The cgroup parent of the private daemon's containers (each in &lt;parent&gt;/docker/&lt;container id&gt;).</summary>
    public string ContainersCgroup => $"{host.Options.CgroupParent}/docker";

    public static string? DockerdPath => NamespacedSpawner.Resolve("dockerd", NamespacedSpawner.DefaultEnvironment);

    /// <summary>The socket DOCKER_HOST names (unix:// only), or null.</summary>
    public static string? DockerHostSocket =>
        Environment.GetEnvironmentVariable("DOCKER_HOST") is { } h && h.StartsWith("unix://", StringComparison.Ordinal) ? h["unix://".Length..] : null;

    /// <summary>The private daemon this platform started and that still runs, or null.</summary>
    public ProcessIdentity? RunningPrivate() => ReadRecord() is { Dockerd: { } p } && p.IsAlive ? p : null;

    /// <summary>A daemon that answers now, without starting one: ours, DOCKER_HOST's, or the system's. Null if none.</summary>
    public EngineClient? FindRunning(CancellationToken cancellationToken = default)
    {
        if (RunningPrivate() is not null && TryPing(PrivateSocket, cancellationToken) is { } mine)
        {
            return mine;
        }
        foreach (var socket in new[] { DockerHostSocket, SystemSocket }.OfType<string>().Distinct())
        {
            if (socket != PrivateSocket && File.Exists(socket) && TryPing(socket, cancellationToken) is { } c)
            {
                return c;
            }
        }
        return null;
    }

    /// <summary>A daemon to create containers on: one that answers, else a private one started now.</summary>
    public EngineClient Ensure(CancellationToken cancellationToken) =>
        FindRunning(cancellationToken) ?? StartPrivate(cancellationToken);

    /// <summary>
    /// The daemon an instance was created on. The private one is started again if it died (its data root still holds
    /// the container); another daemon that does not answer is an error.
    /// </summary>
    public EngineClient Connect(string socket, CancellationToken cancellationToken)
    {
        if (TryPing(socket, cancellationToken) is { } client)
        {
            return client;
        }
        if (socket == PrivateSocket)
        {
            return StartPrivate(cancellationToken);
        }
        throw new LightNfvException(ErrorKind.Host, $"dockerd at {socket} does not answer; start it again (the instance's container lives there)");
    }

    /// <summary>The daemon at <paramref name="socket"/> if it answers now, else null (never starts one).</summary>
    public EngineClient? TryConnect(string socket, CancellationToken cancellationToken = default) => TryPing(socket, cancellationToken);

    private EngineClient? TryPing(string socket, CancellationToken cancellationToken)
    {
        if (!File.Exists(socket))
        {
            return null;
        }
        var client = ClientFor(socket);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(TimeSpan.FromSeconds(5));
        try
        {
            client.PingAsync(cts.Token).GetAwaiter().GetResult();
            return client;
        }
        catch (Exception e) when (e is EngineException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }

    private EngineClient ClientFor(string socket)
    {
        lock (_gate)
        {
            if (!_clients.TryGetValue(socket, out var c))
            {
                c = new EngineClient(socket);
                _clients[socket] = c;
            }
            return c;
        }
    }

    /// <summary>Remembers an image imported into a daemon this platform did not start, so `down` removes it there.</summary>
    public void NoteExternalImage(string socket, string reference)
    {
        if (socket == PrivateSocket)
        {
            return; // removed with the data root
        }
        using var gate = Lock();
        var entries = ReadExternal();
        if (!entries.Contains((socket, reference)))
        {
            entries.Add((socket, reference));
            var array = new JsonArray(entries.Select(e => (JsonNode?)new JsonObject { ["socket"] = e.Socket, ["image"] = e.Image }).ToArray());
            File.WriteAllText(ExternalPath, array.ToJsonString());
        }
    }

    private List<(string Socket, string Image)> ReadExternal()
    {
        try
        {
            return JsonNode.Parse(File.ReadAllText(ExternalPath))!.AsArray()
                .Select(n => (n!["socket"]!.GetValue<string>(), n["image"]!.GetValue<string>())).ToList();
        }
        catch (Exception e) when (e is IOException or JsonException or NullReferenceException or InvalidOperationException)
        {
            return [];
        }
    }

    // ---- the private daemon ----

    private sealed record Record(ProcessIdentity? Dockerd, string Socket, string ExecRoot, IReadOnlyList<string> CreatedRunDirectories);

    private Record? ReadRecord()
    {
        try
        {
            var o = JsonNode.Parse(File.ReadAllText(RecordPath))!.AsObject();
            return new Record(
                ProcessIdentity.Parse(o["dockerd"]?.GetValue<string>()),
                o["socket"]!.GetValue<string>(),
                o["execRoot"]!.GetValue<string>(),
                o["createdRunDirectories"]?.AsArray().Select(n => n!.GetValue<string>()).ToList() ?? []);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException or NullReferenceException or InvalidOperationException)
        {
            return null;
        }
    }

    private void WriteRecord(Record r)
    {
        var o = new JsonObject
        {
            ["dockerd"] = r.Dockerd?.ToString(),
            ["socket"] = r.Socket,
            ["execRoot"] = r.ExecRoot,
            ["createdRunDirectories"] = new JsonArray(r.CreatedRunDirectories.Select(d => (JsonNode?)JsonValue.Create(d)).ToArray()),
        };
        var tmp = RecordPath + ".tmp";
        File.WriteAllText(tmp, o.ToJsonString());
        File.Move(tmp, RecordPath, overwrite: true);
    }

    /// <summary>An exclusive lock on the daemon's record: two invocations must not start two daemons on one data root.</summary>
    private FileStream Lock()
    {
        Directory.CreateDirectory(Root);
        var deadline = Environment.TickCount64 + (long)TimeSpan.FromSeconds(90).TotalMilliseconds;
        while (true)
        {
            try
            {
                // FileShare.None is an exclusive flock on Linux.
                return new FileStream(LockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (Environment.TickCount64 < deadline)
            {
                Thread.Sleep(50);
            }
        }
    }

    private EngineClient StartPrivate(CancellationToken cancellationToken)
    {
        var dockerd = DockerdPath ?? throw new LightNfvException(ErrorKind.Unavailable, "docker is not installed: apt-get install docker.io");
        using var gate = Lock();
        // Another invocation may have started it while this one waited for the lock.
        if (RunningPrivate() is { } running)
        {
            return WaitForAnswer(running, cancellationToken);
        }
        var previous = ReadRecord();
        if (previous?.Dockerd is not null || Directory.Exists(ExecRoot))
        {
            // Died (crash, reboot, kill -9): take down what is left of it before starting anew on the same data root.
            StopAndClean(previous, removeState: false);
        }
        Directory.CreateDirectory(DataRoot);
        Directory.CreateDirectory(ExecRoot);
        // Recorded before the start so that `down` takes back only what this platform made.
        var created = (previous?.CreatedRunDirectories ?? []).Union(RunDirectories.Where(d => !Directory.Exists(d))).ToList();
        WriteRecord(new Record(null, PrivateSocket, ExecRoot, created));

        // Docker 20.10 writes a trust key to /etc/docker/key.json unless told otherwise; keep it in the data root.
        var withKeyPath = true;
        for (var attempt = 0; ; attempt++)
        {
            File.WriteAllText(ConfigPath, withKeyPath ? new JsonObject { ["deprecated-key-path"] = Path.Combine(DataRoot, "key.json") }.ToJsonString() : "{}");
            var startedAt = File.Exists(LogPath) ? new FileInfo(LogPath).Length : 0;
            var process = Spawn(dockerd);
            WriteRecord(new Record(process, PrivateSocket, ExecRoot, created));
            try
            {
                return WaitForAnswer(process, cancellationToken);
            }
            catch (LightNfvException) when (attempt == 0 && withKeyPath && !process.IsAlive && LogSince(startedAt).Contains("deprecated-key-path", StringComparison.Ordinal))
            {
                // A dockerd that no longer knows the option (it stopped writing the key): start it without.
                ChildReaper.Reap(process, TimeSpan.FromSeconds(1));
                withKeyPath = false;
            }
            catch
            {
                StopAndClean(ReadRecord(), removeState: false);
                throw;
            }
        }
    }

    private ProcessIdentity Spawn(string dockerd)
    {
        string[] args =
        [
            dockerd,
            "--config-file", ConfigPath,
            "--data-root", DataRoot,
            "--exec-root", ExecRoot,
            "--host", "unix://" + PrivateSocket,
            "--pidfile", Path.Combine(ExecRoot, "dockerd.pid"),
            // The platform wires containers into the lab itself: dockerd needs no bridge, NAT, forwarding or proxy.
            "--iptables=false", "--ip-masq=false", "--ip-forward=false", "--bridge=none", "--userland-proxy=false",
            "--exec-opt", "native.cgroupdriver=cgroupfs",
            "--cgroup-parent", "/" + ContainersCgroup,
            "--log-level=warn",
        ];
        // Joins the daemon cgroup before exec (race-free: containerd and the shims inherit it), then leaves the caller's
        // session so that Ctrl-C on the CLI that started it does not stop every container.
        var cgroup = host.Cgroups.Create(DaemonCgroup, new CgroupLimits(null, null, null));
        var setsid = NamespacedSpawner.Resolve("setsid", NamespacedSpawner.DefaultEnvironment);
        var sh = NamespacedSpawner.Resolve("sh", NamespacedSpawner.DefaultEnvironment)
            ?? throw new LightNfvException(ErrorKind.Unavailable, "/bin/sh is missing");
        string[] argv =
        [
            "sh", "-c", "n=$1; shift; while [ \"$n\" -gt 0 ]; do echo $$ > \"$1\" || exit 125; shift; n=$((n-1)); done; exec \"$@\"", "lnfv-dockerd",
            cgroup.ProcsFiles.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), .. cgroup.ProcsFiles,
            .. setsid is null ? args : [setsid, .. args],
        ];
        // In the lab, by name: its containers' veths and its API socket live there, and it needs no route out (images are imported).
        var pid = NamespacedSpawner.SpawnTo(sh, argv, LogPath, host.Lab.Namespace);
        return ProcessIdentity.Of(pid) ?? new ProcessIdentity(pid, 0);
    }

    private EngineClient WaitForAnswer(ProcessIdentity process, CancellationToken cancellationToken)
    {
        var deadline = Environment.TickCount64 + (long)StartTimeout.TotalMilliseconds;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (TryPing(PrivateSocket, cancellationToken) is { } client)
            {
                return client;
            }
            if (!process.IsAlive)
            {
                throw new LightNfvException(ErrorKind.Host, $"dockerd exited while starting; its log ({LogPath}) ends with: {LogTail()}");
            }
            if (Environment.TickCount64 > deadline)
            {
                throw new LightNfvException(ErrorKind.Host, $"dockerd did not answer on {PrivateSocket} within {StartTimeout.TotalSeconds:0} s; its log ({LogPath}) ends with: {LogTail()}");
            }
            Thread.Sleep(50);
        }
    }

    private string LogSince(long offset)
    {
        try
        {
            using var f = new FileStream(LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            f.Seek(Math.Min(offset, f.Length), SeekOrigin.Begin);
            return new StreamReader(f).ReadToEnd();
        }
        catch (IOException)
        {
            return "";
        }
    }

    private string LogTail()
    {
        var lines = LogSince(0).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return lines.Length == 0 ? "(empty)" : string.Join(" | ", lines.TakeLast(5));
    }

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

    public void Dispose()
    {
        lock (_gate)
        {
            foreach (var c in _clients.Values)
            {
                c.Dispose();
            }
            _clients.Clear();
        }
    }
}
