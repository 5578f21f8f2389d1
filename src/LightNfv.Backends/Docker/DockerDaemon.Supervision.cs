using System.Text.Json;
using System.Text.Json.Nodes;
using LightNfv.Core.Errors;
using LightNfv.Host.Cgroups;
using LightNfv.Host.Processes;

namespace LightNfv.Backends.Docker;

/// <summary>The private dockerd: its record (pid and start time), the lock around its start, its spawn in the lab namespace and its log.</summary>
public sealed partial class DockerDaemon
{
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
}
