using System.Text.Json;
using LightNfv.Core.Errors;
using LightNfv.Host.Cgroups;
using LightNfv.Host.Processes;

namespace LightNfv.Backends.Oci;

/// <summary>What `runtime state ID` says.</summary>
public sealed record RuntimeState(string Status, int Pid);

/// <summary>
/// An OCI runtime (crun or runc) driven through its command line, the interface every runtime shares. Each platform
/// keeps the runtime's state under its own state directory (--root), so parallel platforms never see each other's
/// containers. crun 1.8 refuses the hybrid cgroup layout; on such hosts it runs in a private mount namespace with the
/// cgroup2 mount detached (about 0.1 ms here, no extra process).
/// </summary>
public sealed class OciRuntime
{
    public static readonly IReadOnlyList<string> Supported = ["crun", "runc"];

    private readonly string _root;
    private readonly IReadOnlyList<string> _hide;
    private readonly Lock _sealedGate = new();
    private SealedExecutable? _sealed;

    private OciRuntime(string name, string binary, string version, string root, IReadOnlyList<string> hide)
    {
        Name = name;
        Binary = binary;
        Version = version;
        _root = root;
        _hide = hide;
    }

    public string Name { get; }
    public string Binary { get; }
    public string Version { get; }

    /// <summary>Whether this runtime runs with the hybrid-layout workaround.</summary>
    public bool HidesCgroup2 => _hide.Count > 0;

    /// <summary>The runtime if its binary is on PATH, else null.</summary>
    public static OciRuntime? Find(string name, string stateRoot)
    {
        var binary = NamespacedSpawner.Resolve(name, NamespacedSpawner.DefaultEnvironment);
        if (binary is null)
        {
            return null;
        }
        var hide = name == "crun" ? HybridCgroup2Mounts() : [];
        var result = HostCommand.Run([binary, "--version"]);
        var version = result.Output.Split('\n').FirstOrDefault(l => l.Contains("version", StringComparison.Ordinal))?.Trim() ?? "unknown";
        return new OciRuntime(name, binary, version, Path.Combine(stateRoot, name), hide);
    }

    /// <summary>cgroup2 mounts that sit beside v1 controller hierarchies (the hybrid layout), which crun 1.8 rejects.</summary>
    private static IReadOnlyList<string> HybridCgroup2Mounts()
    {
        var mounts = MountInfo.Read();
        var hasV1Controllers = mounts.Any(m => m.FsType == "cgroup" && m.SuperOptionList.Contains("memory"));
        return hasV1Controllers ? mounts.Where(m => m.FsType == "cgroup2").Select(m => m.MountPoint).ToArray() : [];
    }

    /// <summary>Creates and starts the container detached; its stdout and stderr (and the runtime's own errors) go to <paramref name="logPath"/>.</summary>
    public void Run(string id, string bundle, string pidFile, string logPath)
    {
        Directory.CreateDirectory(_root);
        var r = Invoke(["run", "--detach", "--bundle", bundle, "--pid-file", pidFile, id], logPath);
        if (!r.Succeeded)
        {
            throw new LightNfvException(ErrorKind.Host, $"{Name} run {id} failed (exit {r.ExitCode}): {LastLines(r.Output)}");
        }
    }

    public bool Kill(string id, string signal) => Invoke(["kill", id, signal]).Succeeded;

    /// <summary>Whether the runtime keeps state for this container (created, running or stopped).</summary>
    public bool Exists(string id) => Directory.Exists(Path.Combine(_root, id));

    /// <summary>Deletes the container, killing it first if it runs. Idempotent: an unknown id is fine.</summary>
    public void Delete(string id)
    {
        // crun's intermediate processes exit as soon as a container runs and are re-parented to us when we are a
        // subreaper (bench, daemon, tests): reap them here, off the instantiation path, or they stay zombies.
        ChildReaper.ReapZombieChildren(Name);
        if (!Exists(id))
        {
            return;
        }
        var r = Invoke(["delete", "--force", id]);
        if (!r.Succeeded && Directory.Exists(Path.Combine(_root, id)))
        {
            throw new LightNfvException(ErrorKind.Host, $"{Name} delete {id} failed (exit {r.ExitCode}): {LastLines(r.Output)}");
        }
    }

    public RuntimeState? State(string id)
    {
        if (!Exists(id))
        {
            return null;
        }
        var r = Invoke(["state", id]);
        if (!r.Succeeded)
        {
            return null;
        }
        try
        {
            using var doc = JsonDocument.Parse(r.Output);
            var root = doc.RootElement;
            return new RuntimeState(root.GetProperty("status").GetString() ?? "unknown", root.TryGetProperty("pid", out var p) ? p.GetInt32() : 0);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private CommandResult Invoke(IReadOnlyList<string> args, string? logPath = null) =>
        HostCommand.Run([Binary, "--root", _root, .. args], logPath, _hide, executable: SealedPath());

    /// <summary>
    /// The runtime run from a sealed memfd copy (see <see cref="SealedExecutable"/>): made on first use, not when only
    /// probed, and again after the binary on disk changed. Measured here: `crun run` 2 ms faster, `runc run` about 1.
    /// </summary>
    private string? SealedPath()
    {
        lock (_sealedGate)
        {
            if (_sealed is { IsCurrent: false })
            {
                _sealed.Dispose();
                _sealed = null;
            }
            _sealed ??= SealedExecutable.TryCreate(Binary);
            return _sealed?.ExecPath;
        }
    }

    private static string LastLines(string output)
    {
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        return lines.Length == 0 ? "no output" : string.Join(" | ", lines.TakeLast(3));
    }
}
