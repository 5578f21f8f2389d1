using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using LightNfv.Core.Errors;
using LightNfv.Host.Namespaces;
using LightNfv.Host.Native;

namespace LightNfv.Host.Processes;

/// <summary>
/// What to start and where: the VNF's argv, its network namespace, the cgroup it joins before exec.
/// With <see cref="NetworkNamespacePath"/> null the VNF gets a new network namespace, and
/// <see cref="OnNewNetworkNamespace"/> runs with the pid holding it, while the VNF execs.
/// </summary>
public sealed record SpawnRequest(
    IReadOnlyList<string> Argv,
    IReadOnlyDictionary<string, string> Environment,
    string? NetworkNamespacePath,
    IReadOnlyList<string> CgroupProcsFiles,
    string Hostname,
    string LogPath,
    string ExitPath,
    string WorkingDirectory = "/")
{
    /// <summary>Null runs the VNF as root with every capability (tests of the helper itself only; backends confine).</summary>
    public Confinement? Confine { get; init; }

    /// <summary>Runs on the caller's thread once the new namespace exists, while the VNF execs.</summary>
    public Action<int>? OnNewNetworkNamespace { get; init; }
}

/// <summary>
/// Least privilege for the VNF (lnfv-spawn -u/-k/-d/-s): an unprivileged uid and gid, only <see cref="Capabilities"/>
/// (bit n = capability n), no_new_privs, the host's filesystem read-only but for private tmpfs on /tmp, /run and
/// /dev/shm and each of <see cref="WritableDirectories"/>, and the seccomp deny-list <see cref="Seccomp"/>.
/// </summary>
/// <param name="WritableDirectories">Host directory and where the VNF sees it (under /run).</param>
public sealed record Confinement(
    uint Uid,
    uint Gid,
    ulong Capabilities,
    IReadOnlyList<(string Host, string Inside)> WritableDirectories,
    SeccompDenyList? Seccomp);

/// <summary>
/// A seccomp filter that lets every system call through but <see cref="Names"/>, which fail with <see cref="Errno"/>,
/// on each of <see cref="Architectures"/> (libseccomp names: x86_64, x86, x32, aarch64, arm).
/// </summary>
public sealed record SeccompDenyList(IReadOnlyList<string> Architectures, int Errno, IReadOnlyList<string> Names)
{
    /// <summary>The helper's -s argument.</summary>
    public string ToArgument() => $"{string.Join(',', Architectures)}:{Errno.ToString(CultureInfo.InvariantCulture)}:{string.Join(',', Names)}";
}

/// <summary>The started VNF and the helper process that supervises it (waits for it and records its exit).</summary>
public readonly record struct SpawnedProcess(ProcessIdentity Vnf, ProcessIdentity Supervisor);

/// <summary>
/// Starts a process in new pid, mount, uts and ipc namespaces, inside a given network namespace and cgroup,
/// through the static lnfv-spawn helper launched with posix_spawn (vfork-based: no copy of the .NET heap).
/// Returns once the VNF has exec'd, with its identity.
/// </summary>
public static unsafe class NamespacedSpawner
{
    public const string HelperName = "lnfv-spawn";

    /// <summary>The helper binary beside the assemblies (built from Processes/native by the Host project).</summary>
    public static string HelperPath { get; } = Path.Combine(AppContext.BaseDirectory, HelperName);

    public static string? HelperProblem() =>
        File.Exists(HelperPath) ? null : $"{HelperPath} is missing; rebuild LightNfv (the build compiles it with gcc: apt-get install gcc libc6-dev)";

    public static readonly IReadOnlyDictionary<string, string> DefaultEnvironment = new Dictionary<string, string>
    {
        ["PATH"] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        ["HOME"] = "/",
    };

    /// <summary>Resolves argv[0] against PATH the way execvp will, so a typo fails before anything is created.</summary>
    public static string? Resolve(string command, IReadOnlyDictionary<string, string> environment)
    {
        if (command.Contains('/'))
        {
            return File.Exists(command) ? command : null;
        }
        var path = environment.TryGetValue("PATH", out var p) ? p : DefaultEnvironment["PATH"];
        foreach (var dir in path.Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, command);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        return null;
    }

    public static SpawnedProcess Spawn(SpawnRequest request)
    {
        if (HelperProblem() is { } problem)
        {
            throw new LightNfvException(ErrorKind.Unavailable, problem);
        }
        var args = new List<string> { HelperName };
        if (request.NetworkNamespacePath is { } ns)
        {
            args.Add("-n");
            args.Add(ns);
        }
        else
        {
            args.Add("-N");
        }
        if (MountTemplate.Ensure() is { } template)
        {
            args.Add("-m");
            args.Add(template);
        }
        foreach (var cg in request.CgroupProcsFiles)
        {
            args.Add("-c");
            args.Add(cg);
        }
        if (request.Confine is { } c)
        {
            args.AddRange(["-u", $"{c.Uid}:{c.Gid}", "-k", c.Capabilities.ToString("x", CultureInfo.InvariantCulture)]);
            foreach (var (hostDir, inside) in c.WritableDirectories)
            {
                if (hostDir.Contains(':') || !inside.StartsWith("/run/", StringComparison.Ordinal))
                {
                    throw new LightNfvException(ErrorKind.Invalid, $"writable directory {hostDir} -> {inside}: the host path may not contain ':' and the VNF's must be under /run/");
                }
                args.AddRange(["-d", $"{hostDir}:{inside}"]);
            }
            if (c.Seccomp is { } filter)
            {
                var spec = filter.ToArgument();
                args.AddRange(["-s", spec, "-S", SeccompCachePath(spec)]);
            }
        }
        // -t: the helper tends the log (a time per line in the index beside it; see Logs.LogReader), outliving any daemon.
        args.AddRange(["-h", request.Hostname, "-l", request.LogPath, "-t", Logs.LogReader.IndexPath(request.LogPath), "-x", request.ExitPath,
            "-w", request.WorkingDirectory, "--"]);
        args.AddRange(request.Argv);

        var env = new Dictionary<string, string>(DefaultEnvironment, StringComparer.Ordinal);
        foreach (var (k, v) in request.Environment)
        {
            env[k] = v;
        }

        var pipe = stackalloc int[2];
        Errno.Check(Libc.pipe2(pipe, Libc.O_CLOEXEC), "pipe2");
        using var readEnd = new FileDescriptor(pipe[0]);
        int helperPid;
        try
        {
            // The helper enters (-n) or makes (-N) the VNF's namespace itself before it execs anything.
            helperPid = PosixSpawn(HelperPath, args, env.Select(kv => $"{kv.Key}={kv.Value}").ToList(), stdoutFd: pipe[1], namespaceNamed: true);
        }
        finally
        {
            Libc.close(pipe[1]);
        }
        var reader = new ReportReader(readEnd, TimeSpan.FromSeconds(10));
        var line = reader.ReadLine();
        System.Runtime.ExceptionServices.ExceptionDispatchInfo? networkError = null;
        if (line.StartsWith("ns ", StringComparison.Ordinal))
        {
            var holder = int.Parse(line.AsSpan(3), NumberStyles.None, CultureInfo.InvariantCulture);
            // Wire the network here while the helper forks and the VNF execs: the two overlap.
            try
            {
                request.OnNewNetworkNamespace?.Invoke(holder);
            }
            catch (Exception e)
            {
                networkError = System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e);
            }
            line = reader.ReadLine();
        }
        if (line.StartsWith("error: ", StringComparison.Ordinal))
        {
            // The helper exits right after reporting a failure: reap it, it is our child.
            ChildReaper.Reap(new ProcessIdentity(helperPid, 0), TimeSpan.FromSeconds(2));
            throw new LightNfvException(ErrorKind.Host, $"starting {request.Argv[0]}: {line[7..]}");
        }
        var parts = line.Split(' ');
        if (parts.Length != 2 ||
            !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ||
            !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var supervisor))
        {
            throw new LightNfvException(ErrorKind.Host, $"starting {request.Argv[0]}: helper said '{line}'");
        }
        // The VNF may already have died (bad arguments); report it as started and let inspect see the exit.
        var spawned = new SpawnedProcess(
            ProcessIdentity.Of(pid) ?? new ProcessIdentity(pid, 0),
            ProcessIdentity.Of(supervisor) ?? new ProcessIdentity(supervisor, 0));
        if (networkError is not null)
        {
            // A VNF without its network is of no use: end it, and let the caller's rollback remove the rest.
            ProcessSignals.Send(spawned.Vnf, Libc.SIGKILL);
            ProcessSignals.WaitForExit(spawned.Vnf, TimeSpan.FromSeconds(2));
            ChildReaper.Reap(spawned.Supervisor, TimeSpan.FromSeconds(2));
            networkError.Throw();
        }
        // The supervisor is our child: whoever ends the VNF reaps it (ChildReaper), or init does once we exit.
        return spawned;
    }

    /// <summary>Where lnfv-spawn keeps the compiled program of a seccomp spec (libseccomp takes ~1.2 ms to compile one).</summary>
    /// <remarks>Under /run: compiled programs depend on this host's libseccomp and kernel, and a reboot clears them.</remarks>
    private static string SeccompCachePath(string spec)
    {
        const string dir = "/run/lightnfv/seccomp";
        if (!Directory.Exists(dir))
        {
            Directory.CreateDirectory(dir);
        }
        var hash = System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(spec));
        return Path.Combine(dir, Convert.ToHexStringLower(hash.AsSpan(0, 16)) + ".bpf");
    }

    /// <summary>
    /// Starts a program with no isolation at all, in the network namespace <paramref name="netNamespace"/> (entered by the
    /// calling thread around the spawn only, so it costs no thread): the benchmark's floor (what fork/exec alone costs),
    /// never a way to run a VNF. The caller reaps it (<see cref="ChildReaper"/>).
    /// </summary>
    public static ProcessIdentity SpawnBare(IReadOnlyList<string> argv, FileDescriptor netNamespace)
    {
        var path = Resolve(argv[0], DefaultEnvironment)
            ?? throw new LightNfvException(ErrorKind.Unavailable, $"'{argv[0]}' was not found on PATH");
        var pid = 0;
        NetNamespace.WithNamespace(netNamespace, () =>
            pid = PosixSpawn(path, argv, DefaultEnvironment.Select(kv => $"{kv.Key}={kv.Value}").ToList(), stdoutFd: -1, namespaceNamed: true));
        return ProcessIdentity.Of(pid) ?? new ProcessIdentity(pid, 0);
    }

    /// <summary>
    /// Starts a host tool with stdout and stderr appended to <paramref name="outputPath"/>; the caller waits for it.
    /// In this process's own network namespace (refused from a thread that is elsewhere), or in
    /// <paramref name="netNamespace"/> when one is named (entered around the spawn only).
    /// </summary>
    public static int SpawnTo(string path, IReadOnlyList<string> argv, string outputPath, FileDescriptor? netNamespace = null)
    {
        var envp = DefaultEnvironment.Select(kv => $"{kv.Key}={kv.Value}").ToList();
        if (netNamespace is null)
        {
            return PosixSpawn(path, argv, envp, stdoutFd: -1, outputPath);
        }
        var pid = 0;
        NetNamespace.WithNamespace(netNamespace, () => pid = PosixSpawn(path, argv, envp, stdoutFd: -1, outputPath, namespaceNamed: true));
        return pid;
    }

    /// <summary>
    /// Starts a long-lived host program (a VMM) in its own session, so it outlives the CLI that started it and no
    /// terminal signal reaches it, with stdout and stderr appended to <paramref name="outputPath"/> and each of
    /// <paramref name="passFds"/> dup'd to 3, 4, ... in the child (dup2 clears O_CLOEXEC on the copy; nothing else leaks).
    /// Always in this process's own network namespace: a VMM reaches the lab only through the tap it is handed.
    /// The caller records its identity and reaps it (<see cref="ChildReaper"/>) if it is still our child.
    /// </summary>
    public static ProcessIdentity SpawnDetached(string path, IReadOnlyList<string> argv, string outputPath, IReadOnlyList<int> passFds)
    {
        var pid = SpawnDetachedChild(path, argv, outputPath, passFds);
        return ProcessIdentity.Of(pid) ?? new ProcessIdentity(pid, 0);
    }

    /// <summary>
    /// <see cref="SpawnDetached"/> without reading the child's identity: /proc/PID/stat waits until the child's exec
    /// has finished loading (the exec holds the lock that read takes), which a caller may rather spend working. The pid
    /// stays ours until reaped (<see cref="ChildReaper.Kill"/> on failure).
    /// </summary>
    public static int SpawnDetachedChild(string path, IReadOnlyList<string> argv, string outputPath, IReadOnlyList<int> passFds) =>
        PosixSpawn(path, argv, DefaultEnvironment.Select(kv => $"{kv.Key}={kv.Value}").ToList(), stdoutFd: -1, outputPath, passFds, newSession: true);

    /// <param name="namespaceNamed">The caller entered the network namespace it wants the child in; otherwise the child
    /// must start in this process's own, and a thread elsewhere is refused (see <see cref="HostNetwork"/>). The helper
    /// of <see cref="Spawn"/> is always told its namespace (-n or -N).</param>
    private static int PosixSpawn(string path, IReadOnlyList<string> argv, IReadOnlyList<string> envp, int stdoutFd, string? outputPath = null,
        IReadOnlyList<int>? passFds = null, bool newSession = false, bool namespaceNamed = false)
    {
        if (!namespaceNamed)
        {
            HostNetwork.EnsureCurrentThreadHome(path);
        }
        var strings = new List<nint>();
        try
        {
            var argvPtr = stackalloc byte*[argv.Count + 1];
            for (var i = 0; i < argv.Count; i++)
            {
                argvPtr[i] = Utf8(argv[i], strings);
            }
            argvPtr[argv.Count] = null;
            var envPtr = stackalloc byte*[envp.Count + 1];
            for (var i = 0; i < envp.Count; i++)
            {
                envPtr[i] = Utf8(envp[i], strings);
            }
            envPtr[envp.Count] = null;

            // posix_spawn_file_actions_t is 80 bytes on glibc x86-64/arm64; give it room.
            var actions = stackalloc byte[256];
            Libc.posix_spawn_file_actions_init(actions);
            try
            {
                Libc.posix_spawn_file_actions_addopen(actions, 0, "/dev/null", Libc.O_RDONLY, 0);
                if (stdoutFd >= 0)
                {
                    Libc.posix_spawn_file_actions_adddup2(actions, stdoutFd, 1);
                }
                else
                {
                    Libc.posix_spawn_file_actions_addopen(actions, 1, outputPath ?? "/dev/null", Libc.O_WRONLY | Libc.O_CREAT | Libc.O_APPEND, 0x1a0 /* 0640 */);
                }
                if (outputPath is not null)
                {
                    Libc.posix_spawn_file_actions_adddup2(actions, 1, 2);
                }
                else
                {
                    Libc.posix_spawn_file_actions_addopen(actions, 2, "/dev/null", Libc.O_WRONLY, 0);
                }
                if (passFds is { Count: > 0 })
                {
                    // Through numbers above them all first: a descriptor that is already 3 + j is never overwritten
                    // before it has moved.
                    var high = Math.Max(passFds.Max(), 2 + passFds.Count) + 1;
                    for (var i = 0; i < passFds.Count; i++)
                    {
                        Libc.posix_spawn_file_actions_adddup2(actions, passFds[i], high + i);
                    }
                    for (var i = 0; i < passFds.Count; i++)
                    {
                        Libc.posix_spawn_file_actions_adddup2(actions, high + i, 3 + i);
                        Libc.posix_spawn_file_actions_addclose(actions, high + i);
                    }
                }
                // posix_spawnattr_t is 336 bytes on glibc x86-64.
                var attr = stackalloc byte[512];
                Libc.posix_spawnattr_init(attr);
                if (newSession)
                {
                    Libc.posix_spawnattr_setflags(attr, Libc.POSIX_SPAWN_SETSID);
                }
                int pid;
                var rc = Libc.posix_spawn(&pid, path, actions, attr, argvPtr, envPtr);
                Libc.posix_spawnattr_destroy(attr);
                if (rc != 0)
                {
                    throw Errno.Error($"posix_spawn {path}", rc);
                }
                return pid;
            }
            finally
            {
                Libc.posix_spawn_file_actions_destroy(actions);
            }
        }
        finally
        {
            foreach (var p in strings)
            {
                Marshal.FreeHGlobal(p);
            }
        }
    }

    private static byte* Utf8(string s, List<nint> owned)
    {
        var n = Encoding.UTF8.GetByteCount(s);
        var p = (byte*)Marshal.AllocHGlobal(n + 1);
        owned.Add((nint)p);
        Encoding.UTF8.GetBytes(s, new Span<byte>(p, n));
        p[n] = 0;
        return p;
    }

    /// <summary>Reads the helper's report lines from its pipe, with one deadline for all of them.</summary>
    private sealed class ReportReader(FileDescriptor fd, TimeSpan timeout)
    {
        private readonly byte[] _buf = new byte[1024];
        private int _len;
        private readonly long _deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        private bool _eof;

        public string ReadLine()
        {
            while (true)
            {
                var nl = Array.IndexOf(_buf, (byte)'\n', 0, _len);
                if (nl >= 0)
                {
                    var line = Encoding.UTF8.GetString(_buf, 0, nl);
                    Buffer.BlockCopy(_buf, nl + 1, _buf, 0, _len - nl - 1);
                    _len -= nl + 1;
                    return line;
                }
                if (_eof || _len == _buf.Length)
                {
                    var rest = Encoding.UTF8.GetString(_buf, 0, _len);
                    _len = 0;
                    return rest.Length > 0 ? rest : "error: helper exited without a report";
                }
                Fill();
            }
        }

        private void Fill()
        {
            var left = _deadline - Environment.TickCount64;
            if (left <= 0)
            {
                throw new LightNfvException(ErrorKind.Host, $"{HelperName} did not report within {timeout.TotalSeconds:0} s");
            }
            var pfd = new Libc.PollFd { Fd = fd.Value, Events = Libc.POLLIN };
            var ts = new Libc.TimeSpec { Seconds = left / 1000, Nanoseconds = left % 1000 * 1_000_000 };
            if (Libc.ppoll(&pfd, 1, &ts, null) < 0 && Errno.Last == Libc.EINTR)
            {
                return;
            }
            fixed (byte* b = _buf)
            {
                var n = Libc.read(fd.Value, b + _len, (nuint)(_buf.Length - _len));
                if (n < 0)
                {
                    if (Errno.Last != Libc.EINTR && Errno.Last != Libc.EAGAIN)
                    {
                        _eof = true;
                    }
                    return;
                }
                if (n == 0)
                {
                    _eof = true;
                }
                _len += (int)n;
            }
        }
    }

}
