using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using LightNfv.Backends.Shared;
using LightNfv.Core.Errors;
using LightNfv.Host.Processes;

namespace LightNfv.Backends.Docker;

/// <summary>
/// Finds the dockerd to talk to, or starts a private one. A private dockerd runs inside the lab network namespace (so
/// even misconfigured it cannot touch the host's network), with its own data and exec roots under the state
/// directory, its own config file (a host's /etc/docker/daemon.json cannot change it), no iptables, NAT, forwarding or
/// bridge, and in a cgroup of the platform's parent so that `down` can account for everything it started.
/// It outlives the CLI invocation that started it: later invocations find it by its record (pid and start time).
/// </summary>
public sealed partial class DockerDaemon(BackendContext host) : IDisposable
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
