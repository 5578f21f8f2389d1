using System.Diagnostics;
using System.Globalization;
using LightNfv.Core.Errors;
using LightNfv.Host.Processes;

namespace LightNfv.Images.Kernel;

/// <summary>A guest kernel ready for QEMU's -kernel.</summary>
/// <param name="Path">The file QEMU loads: a bzImage (tinyx) or Debian's vmlinuz.</param>
/// <param name="Kind">"tinyx" for our tiny build, "debian-cloud" for the fallback (results say which).</param>
/// <param name="Description">One line for reports: source, fragment key, format.</param>
public sealed record KernelImage(string Path, string Kind, string Key, long Bytes, string Description)
{
    public bool IsFallback => Kind != KernelBuilder.TinyxKind;
}

/// <summary>
/// Builds the tinyx guest kernel once per (Debian linux-source version, fragment) and caches it outside the repository:
/// &lt;cache&gt;/kernel/&lt;version&gt;-&lt;fragment hash&gt;/{vmlinux, bzImage, config, build.log}. The unpacked source tree is kept
/// (&lt;cache&gt;/kernel/src-&lt;version&gt;) so a changed fragment rebuilds incrementally. A file lock serialises builders.
/// Without linux-source, Debian's cloud kernel is used instead (<see cref="KernelImage.IsFallback"/>).
/// </summary>
public sealed class KernelBuilder
{
    public const string TinyxKind = "tinyx";
    public const string SourceTarball = "/usr/src/linux-source-6.1.tar.xz";
    public const string SourcePackage = "linux-source-6.1";

    public KernelBuilder(string cacheDirectory, string? fragmentPath = null)
    {
        CacheDirectory = System.IO.Path.Combine(cacheDirectory, "kernel");
        FragmentPath = fragmentPath ?? DefaultFragmentPath;
    }

    /// <summary>Host-wide cache root: LIGHTNFV_CACHE_DIR or /var/cache/lightnfv (never inside the repository).</summary>
    public static string DefaultCacheRoot => Environment.GetEnvironmentVariable("LIGHTNFV_CACHE_DIR") is { Length: > 0 } d ? d : "/var/cache/lightnfv";

    /// <summary>guest/kernel/tinyx.config, copied beside the assemblies by the build.</summary>
    public static string DefaultFragmentPath => System.IO.Path.Combine(AppContext.BaseDirectory, "guest", "kernel", "tinyx.config");

    public string CacheDirectory { get; }
    public string FragmentPath { get; }

    /// <summary>The cached kernel for the current source and fragment, or null if it has not been built.</summary>
    public KernelImage? TryCached()
    {
        if (SourceVersion() is not { } version)
        {
            return null;
        }
        var key = KernelConfig.Key(version, File.ReadAllBytes(FragmentPath));
        var bzImage = System.IO.Path.Combine(CacheDirectory, key, "bzImage");
        return File.Exists(bzImage) ? Tinyx(bzImage, key) : null;
    }

    /// <summary>The tinyx kernel, built now if needed (minutes; <paramref name="progress"/> gets one line per step), or the fallback.</summary>
    public KernelImage Ensure(Action<string>? progress = null)
    {
        if (!File.Exists(FragmentPath))
        {
            throw new LightNfvException(ErrorKind.NotFound, $"kernel fragment {FragmentPath} is missing; rebuild LightNfv (it copies guest/kernel/tinyx.config)");
        }
        if (SourceVersion() is not { } version || !File.Exists(SourceTarball))
        {
            return CloudKernel() is { } cloud
                ? cloud with { Description = cloud.Description + $" (fallback: {SourcePackage} is not installed; apt-get install {SourcePackage} for the tiny kernel)" }
                : throw new LightNfvException(ErrorKind.Unavailable,
                    $"no guest kernel: install {SourcePackage} (LightNFV builds its tiny kernel from it) or linux-image-cloud-amd64 (fallback)");
        }
        var fragment = File.ReadAllBytes(FragmentPath);
        var key = KernelConfig.Key(version, fragment);
        var output = System.IO.Path.Combine(CacheDirectory, key);
        var bzImage = System.IO.Path.Combine(output, "bzImage");
        if (File.Exists(bzImage))
        {
            return Tinyx(bzImage, key);
        }
        Directory.CreateDirectory(CacheDirectory);
        using var _ = AcquireLock(System.IO.Path.Combine(CacheDirectory, ".lock"), progress);
        if (File.Exists(bzImage))
        {
            return Tinyx(bzImage, key); // another builder finished while we waited
        }
        Build(version, System.Text.Encoding.UTF8.GetString(fragment), output, progress ?? (_ => { }));
        return Tinyx(bzImage, key);
    }

    private void Build(string version, string fragment, string output, Action<string> progress)
    {
        var started = Stopwatch.StartNew();
        var sourceRoot = System.IO.Path.Combine(CacheDirectory, "src-" + version);
        var tree = System.IO.Path.Combine(sourceRoot, "linux-source-6.1");
        if (!File.Exists(System.IO.Path.Combine(tree, "Makefile")))
        {
            progress($"kernel: unpacking {SourceTarball} (about 1 minute)");
            var unpacking = sourceRoot + ".tmp";
            if (Directory.Exists(unpacking))
            {
                Directory.Delete(unpacking, recursive: true);
            }
            Directory.CreateDirectory(unpacking);
            Run(["tar", "-xf", SourceTarball, "-C", unpacking], unpacking, null, progress);
            if (Directory.Exists(sourceRoot))
            {
                Directory.Delete(sourceRoot, recursive: true);
            }
            Directory.Move(unpacking, sourceRoot);
        }
        var log = System.IO.Path.Combine(CacheDirectory, $"build-{version}.log");
        File.WriteAllText(log, "");
        progress("kernel: make tinyconfig + guest/kernel/tinyx.config");
        Run(["make", "-s", "tinyconfig"], tree, log, progress);
        var configPath = System.IO.Path.Combine(tree, ".config");
        // allnoconfig with tinyconfig + fragment as KCONFIG_ALLCONFIG (how tinyconfig itself is made): symbols the
        // fragment brings into view (NET's dozens of default-y options, HID under INPUT, IPv6) stay off, where
        // olddefconfig would turn on every default and triple the kernel.
        var allConfig = System.IO.Path.Combine(tree, "lightnfv-tinyx.allconfig");
        File.WriteAllText(allConfig, KernelConfig.Merge(File.ReadAllText(configPath), fragment));
        Run(["make", "-s", "KCONFIG_ALLCONFIG=" + allConfig, "allnoconfig"], tree, log, progress);
        var missing = KernelConfig.Missing(fragment, File.ReadAllText(configPath));
        if (missing.Count > 0)
        {
            throw new LightNfvException(ErrorKind.Invalid,
                $"guest/kernel/tinyx.config: Kconfig dropped {string.Join(", ", missing)} (unmet dependencies or unknown symbols); fix the fragment");
        }
        var jobs = Environment.ProcessorCount.ToString(CultureInfo.InvariantCulture);
        progress($"kernel: make -j{jobs} vmlinux bzImage (about 4-5 minutes on 2 vCPUs; log {log})");
        Run(["make", "-j" + jobs, "vmlinux", "bzImage"], tree, log, progress, countCompiles: true);

        var temporary = output + ".tmp-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        Directory.CreateDirectory(temporary);
        // Stripped of symbols but not of its ELF notes: QEMU finds the PVH entry point in the note.
        Run(["strip", "-o", System.IO.Path.Combine(temporary, "vmlinux"), System.IO.Path.Combine(tree, "vmlinux")], tree, log, progress);
        File.Copy(System.IO.Path.Combine(tree, "arch/x86/boot/bzImage"), System.IO.Path.Combine(temporary, "bzImage"));
        File.Copy(configPath, System.IO.Path.Combine(temporary, "config"));
        File.Copy(log, System.IO.Path.Combine(temporary, "build.log"));
        if (Directory.Exists(output))
        {
            Directory.Delete(output, recursive: true);
        }
        Directory.Move(temporary, output);
        progress($"kernel: built in {started.Elapsed.TotalMinutes:0.0} min -> {output}");
    }

    private static void Run(IReadOnlyList<string> argv, string directory, string? log, Action<string> progress, bool countCompiles = false)
    {
        var start = new ProcessStartInfo(argv[0]) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in argv.Skip(1))
        {
            start.ArgumentList.Add(a);
        }
        using var process = HostProcess.Start(start);
        var gate = new object();
        var compiled = 0;
        var tail = new Queue<string>();
        void OnLine(string? line)
        {
            if (line is null)
            {
                return;
            }
            lock (gate)
            {
                if (log is not null)
                {
                    File.AppendAllText(log, line + "\n");
                }
                tail.Enqueue(line);
                if (tail.Count > 20)
                {
                    tail.Dequeue();
                }
                // Roughly 1,000 objects in a tinyconfig build: a line every 100 shows it moving.
                if (countCompiles && line.TrimStart().StartsWith("CC", StringComparison.Ordinal) && ++compiled % 100 == 0)
                {
                    progress($"kernel: {compiled} objects compiled");
                }
            }
        }
        process.OutputDataReceived += (_, e) => OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => OnLine(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new LightNfvException(ErrorKind.Host,
                $"kernel build step '{string.Join(' ', argv)}' failed (exit {process.ExitCode}): {string.Join(" | ", tail)}; install the build dependencies (apt-get install build-essential bc flex bison libelf-dev libssl-dev) and retry");
        }
    }

    private static FileStream AcquireLock(string path, Action<string>? progress)
    {
        var announced = false;
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException)
            {
                if (!announced)
                {
                    progress?.Invoke("kernel: another build is running; waiting for it");
                    announced = true;
                }
                Thread.Sleep(1000);
            }
        }
    }

    // The LZ4 bzImage, not the PVH vmlinux: the ELF is 11.8 MB on disk (2 MiB-aligned segments) against 1.5 MB, and
    // boots no faster under TCG (see guest/kernel/tinyx.config). The stripped vmlinux stays in the cache for KVM hosts.
    private static KernelImage Tinyx(string bzImage, string key) =>
        new(bzImage, TinyxKind, key, new FileInfo(bzImage).Length, $"tinyconfig + guest/kernel/tinyx.config ({key}), LZ4 bzImage");

    /// <summary>The version of the installed linux-source package, e.g. "6.1.192-2"; null if it is not installed.</summary>
    public static string? SourceVersion()
    {
        try
        {
            var start = new ProcessStartInfo("dpkg-query", ["-W", "-f=${Version}", SourcePackage]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            using var p = HostProcess.Start(start);
            var text = p.StandardOutput.ReadToEnd().Trim();
            p.WaitForExit();
            return p.ExitCode == 0 && text.Length > 0 ? text : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }

    /// <summary>Debian's cloud kernel and initrd in /boot (newest), or null.</summary>
    public static KernelImage? CloudKernel()
    {
        var vmlinuz = Directory.Exists("/boot")
            ? Directory.GetFiles("/boot", "vmlinuz-*-cloud-amd64").OrderDescending(StringComparer.Ordinal).FirstOrDefault()
            : null;
        return vmlinuz is null ? null
            : new KernelImage(vmlinuz, "debian-cloud", System.IO.Path.GetFileName(vmlinuz), new FileInfo(vmlinuz).Length, $"Debian cloud kernel {System.IO.Path.GetFileName(vmlinuz)}");
    }

    /// <summary>The initrd that belongs to a /boot/vmlinuz-VERSION file.</summary>
    public static string? InitrdFor(string vmlinuz) =>
        System.IO.Path.GetFileName(vmlinuz) is var name && name.StartsWith("vmlinuz-", StringComparison.Ordinal) &&
        System.IO.Path.Combine(System.IO.Path.GetDirectoryName(vmlinuz)!, "initrd.img-" + name["vmlinuz-".Length..]) is var initrd && File.Exists(initrd)
            ? initrd : null;
}
