using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using LightNfv.Core.Errors;
using LightNfv.Host.Processes;

namespace LightNfv.Images.StandardVm;

/// <summary>A standard VM's root disk: raw ext4 with Debian, systemd and the VNF as a unit.</summary>
/// <param name="AllocatedBytes">Blocks the sparse image really occupies on the host.</param>
public sealed record DebianDisk(string Path, long AllocatedBytes, long ApparentBytes, string Key);

/// <summary>
/// Debian bookworm minbase plus systemd, udev and the VNF's packages by debootstrap, the VNF as a systemd unit
/// (lightnfv-vnf.service), the network from the kernel's ip= parameter through systemd-network-generator and
/// systemd-networkd, made into a raw ext4 image with `mke2fs -d` (no loop mount). Built once per (suite, packages,
/// command) and cached outside the repository; instances boot it with snapshot=on, so it is never written.
/// </summary>
public sealed class DebianDiskBuilder(string cacheRoot)
{
    private const string Recipe = "debian-disk v1";
    public const string Suite = "bookworm";
    public const string DefaultMirror = "http://deb.debian.org/debian";

    /// <summary>Where debootstrap fetches Debian from: LIGHTNFV_DEBIAN_MIRROR (a local mirror or proxy) or Debian's CDN.
    /// Not part of the cache key: every mirror serves the same suite.</summary>
    public static string Mirror => Environment.GetEnvironmentVariable("LIGHTNFV_DEBIAN_MIRROR") is { Length: > 0 } m ? m : DefaultMirror;

    /// <summary>Pauses before the second and third debootstrap: a mirror's hiccup is retried, a dead mirror fails in seconds.</summary>
    public static IReadOnlyList<TimeSpan> DownloadRetryPauses { get; } = [TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(5)];

    public string CacheDirectory { get; } = System.IO.Path.Combine(cacheRoot, "standardvm");

    public static string KeyOf(IReadOnlyList<string> packages, IReadOnlyList<string> argv) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(
            $"{Recipe}\n{Suite}\n{string.Join(',', packages.Order(StringComparer.Ordinal))}\n{string.Join('\0', argv)}")))[..16];

    /// <summary>The unit that runs the VNF once the network is configured.</summary>
    public static string VnfUnit(IReadOnlyList<string> argv) =>
        "[Unit]\nDescription=LightNFV VNF\nAfter=network.target\n\n[Service]\n" +
        $"ExecStart={string.Join(' ', argv.Select(a => a.Contains(' ') ? $"\"{a}\"" : a))}\nRestart=no\n\n[Install]\nWantedBy=multi-user.target\n";

    public DebianDisk Ensure(IReadOnlyList<string> packages, IReadOnlyList<string> argv, Action<string>? progress = null)
    {
        var key = KeyOf(packages, argv);
        var directory = System.IO.Path.Combine(CacheDirectory, key);
        var disk = System.IO.Path.Combine(directory, "disk.img");
        if (File.Exists(disk))
        {
            return Describe(disk, key);
        }
        Directory.CreateDirectory(CacheDirectory);
        using var _ = new FileStream(System.IO.Path.Combine(CacheDirectory, ".lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        if (File.Exists(disk))
        {
            return Describe(disk, key);
        }
        var work = directory + ".tmp-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        var root = System.IO.Path.Combine(work, "root");
        try
        {
            if (Directory.Exists(work))
            {
                Directory.Delete(work, recursive: true);
            }
            Directory.CreateDirectory(work);
            var log = System.IO.Path.Combine(work, "build.log");
            var mirror = Mirror;
            progress?.Invoke($"standardvm: debootstrap --variant=minbase {Suite} + {string.Join(",", packages)} from {mirror} (about 1-2 minutes)");
            Debootstrap(["debootstrap", "--variant=minbase", $"--include={string.Join(',', new[] { "systemd-sysv", "udev" }.Concat(packages))}", Suite, root, mirror],
                root, log, progress);
            Configure(root, argv);
            var bytes = DirectoryBytes(root);
            // Room for the journal and the metadata, plus slack: guest writes go to QEMU's snapshot overlay anyway.
            var sizeMiB = (long)(bytes * 1.3 / (1 << 20)) + 64;
            progress?.Invoke($"standardvm: mke2fs -d ({bytes / 1e6:0} MB of files, {sizeMiB} MiB image)");
            var image = System.IO.Path.Combine(work, "disk.img");
            Run(["mke2fs", "-q", "-t", "ext4", "-L", "root", "-d", root, image, $"{sizeMiB}M"], log);
            Directory.CreateDirectory(directory);
            File.Move(image, disk);
            return Describe(disk, key);
        }
        finally
        {
            if (Directory.Exists(work))
            {
                Directory.Delete(work, recursive: true);
            }
        }
    }

    /// <summary>
    /// debootstrap downloads every package: a failure may be the network's, so it is tried up to three times (from an
    /// empty root each time), each failure shown; the last one is the error, with debootstrap's own last lines.
    /// </summary>
    private static void Debootstrap(IReadOnlyList<string> argv, string root, string log, Action<string>? progress)
    {
        var pauses = DownloadRetryPauses;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                Run(argv, log);
                return;
            }
            catch (LightNfvException e) when (e.Kind == ErrorKind.Host && attempt <= pauses.Count)
            {
                var pause = pauses[attempt - 1];
                progress?.Invoke($"standardvm: try {attempt}/{pauses.Count + 1} failed, again in {pause.TotalSeconds:0} s: {e.Message}");
                Thread.Sleep(pause);
                if (Directory.Exists(root))
                {
                    Directory.Delete(root, recursive: true);
                }
            }
            catch (LightNfvException e) when (e.Kind == ErrorKind.Host && attempt > 1)
            {
                throw new LightNfvException(ErrorKind.Host, $"{e.Message} (after {attempt} tries from {argv[^1]}; LIGHTNFV_DEBIAN_MIRROR picks another mirror)", e);
            }
        }
    }

    private static void Configure(string root, IReadOnlyList<string> argv)
    {
        string P(string path) => System.IO.Path.Combine(root, path.TrimStart('/'));
        File.WriteAllText(P("/etc/hostname"), "lightnfv\n");
        File.WriteAllText(P("/etc/fstab"), "LABEL=root / ext4 defaults 0 1\n");
        File.WriteAllText(P("/etc/systemd/system/lightnfv-vnf.service"), VnfUnit(argv));
        var wants = P("/etc/systemd/system/multi-user.target.wants");
        Directory.CreateDirectory(wants);
        Link(System.IO.Path.Combine(wants, "lightnfv-vnf.service"), "/etc/systemd/system/lightnfv-vnf.service");
        Link(System.IO.Path.Combine(wants, "systemd-networkd.service"), "/lib/systemd/system/systemd-networkd.service");
        // ip= on the kernel command line becomes a .network file in /run before networkd starts.
        Link(System.IO.Path.Combine(wants, "systemd-network-generator.service"), "/lib/systemd/system/systemd-network-generator.service");
        var sockets = P("/etc/systemd/system/sockets.target.wants");
        Directory.CreateDirectory(sockets);
        Link(System.IO.Path.Combine(sockets, "systemd-networkd.socket"), "/lib/systemd/system/systemd-networkd.socket");
        // Nothing waits on a login prompt or on periodic maintenance in a VNF.
        foreach (var unit in new[] { "getty.target", "systemd-timesyncd.service", "apt-daily.timer", "apt-daily-upgrade.timer", "e2scrub_all.timer", "e2scrub_reap.service", "fstrim.timer" })
        {
            Link(P("/etc/systemd/system/" + unit), "/dev/null");
        }
        // The Debian iperf3 daemon, if the package ships one, would take port 5201 before the VNF.
        Link(P("/etc/systemd/system/iperf3.service"), "/dev/null");
    }

    private static void Link(string path, string target)
    {
        if (File.Exists(path) || Directory.Exists(path) || new FileInfo(path).LinkTarget is not null)
        {
            File.Delete(path);
        }
        File.CreateSymbolicLink(path, target);
    }

    private static long DirectoryBytes(string root) =>
        new DirectoryInfo(root).EnumerateFiles("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0, IgnoreInaccessible = true })
            .Where(f => f.LinkTarget is null).Sum(f => f.Length);

    private static DebianDisk Describe(string disk, string key) =>
        new(disk, AllocatedBytes(disk), new FileInfo(disk).Length, key);

    /// <summary>st_blocks * 512 from `stat`, since the image is sparse.</summary>
    private static long AllocatedBytes(string path)
    {
        var start = new ProcessStartInfo("stat", ["-c", "%b %B", path]) { RedirectStandardOutput = true, UseShellExecute = false };
        using var p = HostProcess.Start(start);
        var parts = p.StandardOutput.ReadToEnd().Trim().Split(' ');
        p.WaitForExit();
        return parts.Length == 2 ? long.Parse(parts[0], CultureInfo.InvariantCulture) * long.Parse(parts[1], CultureInfo.InvariantCulture) : new FileInfo(path).Length;
    }

    private static void Run(IReadOnlyList<string> argv, string log)
    {
        var start = new ProcessStartInfo(argv[0], argv.Skip(1)) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.Environment["DEBIAN_FRONTEND"] = "noninteractive";
        try
        {
            using var p = HostProcess.Start(start);
            var err = p.StandardError.ReadToEndAsync();
            var output = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            File.AppendAllText(log, output + err.Result);
            if (p.ExitCode is 130 or 143)
            {
                // Ctrl-C or a stop reached the tool too: not a failure to retry or report, the caller is being interrupted.
                throw new OperationCanceledException($"{argv[0]} was interrupted (exit {p.ExitCode})");
            }
            if (p.ExitCode != 0)
            {
                var tail = string.Join(" | ", (output + err.Result).Split('\n', StringSplitOptions.RemoveEmptyEntries).TakeLast(8));
                throw new LightNfvException(ErrorKind.Host, $"{argv[0]} failed (exit {p.ExitCode}): {tail}");
            }
        }
        catch (System.ComponentModel.Win32Exception)
        {
            throw new LightNfvException(ErrorKind.Unavailable, $"'{argv[0]}' is needed for the standardvm image; apt-get install debootstrap e2fsprogs");
        }
    }
}
