using System.Text;
using LightNfv.Core.Errors;
using LightNfv.Host.Native;

namespace LightNfv.Host.Processes;

/// <summary>How a host command ended.</summary>
public sealed record CommandResult(int ExitCode, string Output)
{
    public bool Succeeded => ExitCode == 0;
}

/// <summary>
/// Runs a host tool (an OCI runtime, for instance) with posix_spawn and waits for it. Output goes to a file, never
/// to a pipe we wait on, because detaching runtimes hand their stdio to the container (HOST.md: `crun run -d` keeps
/// inherited pipes open). Optionally in a private mount namespace with some mounts removed, made on a throwaway
/// thread: crun 1.8 refuses the hybrid cgroup layout unless /sys/fs/cgroup/unified is out of its sight.
/// </summary>
public static class HostCommand
{
    /// <param name="argv">Program (found on PATH) and arguments.</param>
    /// <param name="outputPath">Where stdout and stderr go (appended); a temporary file when null, read back into the result.</param>
    /// <param name="hideMounts">Mount points to detach in a private mount namespace for this command only.</param>
    /// <param name="executable">What to exec instead of argv[0] found on PATH (a sealed copy of it, for instance).</param>
    /// <param name="netNamespace">The network namespace to run it in (the lab, for an iperf3 client); null: this
    /// process's own, also when called from a thread that is elsewhere (the command then starts from a fresh thread at home).</param>
    /// <param name="cgroupProcsFiles">A cgroup's procs files (<see cref="Cgroups.ICgroup.ProcsFiles"/>): the command joins
    /// it as soon as it has started (its exec is over when posix_spawn returns), before it does its work.</param>
    public static CommandResult Run(IReadOnlyList<string> argv, string? outputPath = null, IReadOnlyList<string>? hideMounts = null, TimeSpan? timeout = null,
        string? executable = null, FileDescriptor? netNamespace = null, IReadOnlyList<string>? cgroupProcsFiles = null)
    {
        var path = executable ?? NamespacedSpawner.Resolve(argv[0], NamespacedSpawner.DefaultEnvironment)
            ?? throw new LightNfvException(ErrorKind.Unavailable, $"'{argv[0]}' was not found on this host's PATH; install it");
        var temp = outputPath is null;
        var output = outputPath ?? Path.Combine(Path.GetTempPath(), $"lightnfv-cmd-{Guid.NewGuid():N}.log");
        // Output is read back from where this command started writing: the file may be a shared console log.
        var offset = File.Exists(output) ? new FileInfo(output).Length : 0;
        try
        {
            // A fresh thread starts in its creator's network namespace: the host's, by HostNetwork.Run.
            var pid = hideMounts is { Count: > 0 }
                ? Namespaces.HostNetwork.Run(() => Namespaces.OsThread.Run(() =>
                {
                    // CLONE_NEWNS on a thread implies CLONE_FS: the thread gets its own mount table; the process keeps its own.
                    Errno.Check(Libc.unshare(Libc.CLONE_NEWNS), "unshare(CLONE_NEWNS)");
                    Errno.Check(Libc.mount(null, "/", null, Libc.MS_REC | Libc.MS_PRIVATE, null), "make mounts private");
                    foreach (var m in hideMounts)
                    {
                        Libc.umount2(m, Libc.MNT_DETACH); // absent is fine
                    }
                    return NamespacedSpawner.SpawnTo(path, argv, output, netNamespace);
                }))
                : netNamespace is not null
                ? NamespacedSpawner.SpawnTo(path, argv, output, netNamespace)
                : Namespaces.HostNetwork.Run(() => NamespacedSpawner.SpawnTo(path, argv, output));
            Join(pid, cgroupProcsFiles);
            var code = ChildReaper.WaitForExitCode(pid, timeout ?? TimeSpan.FromSeconds(30));
            var text = ReadFrom(output, offset);
            return new CommandResult(code, text);
        }
        finally
        {
            if (temp)
            {
                File.Delete(output);
            }
        }
    }

    private static void Join(int pid, IReadOnlyList<string>? procsFiles)
    {
        try
        {
            foreach (var procs in procsFiles ?? [])
            {
                Cgroups.CgroupFs.Write(procs, Cgroups.CgroupFs.Invariant(pid));
            }
        }
        catch (LightNfvException)
        {
            ChildReaper.Kill(pid);
            throw;
        }
    }

    private static string ReadFrom(string path, long offset)
    {
        using var f = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        if (offset >= f.Length)
        {
            return "";
        }
        f.Seek(offset, SeekOrigin.Begin);
        // Bounded: a runtime's message is short; a chatty VNF may share the file later.
        var buf = new byte[Math.Min(f.Length - offset, 64 * 1024)];
        var n = f.Read(buf, 0, buf.Length);
        return Encoding.UTF8.GetString(buf, 0, n).Trim();
    }
}
