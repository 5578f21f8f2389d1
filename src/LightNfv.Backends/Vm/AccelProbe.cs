using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using LightNfv.Core.Errors;
using LightNfv.Host.Processes;

namespace LightNfv.Backends.Vm;

/// <summary>What a probe boot under KVM showed.</summary>
public enum KvmVerdict
{
    /// <summary>No usable /dev/kvm.</summary>
    Absent,
    /// <summary>/dev/kvm opens but a Linux guest does not boot under it (PVM here: "KVM internal error ... emulation failure").</summary>
    CannotBootLinux,
    BootsLinux,
}

/// <summary>
/// Chooses QEMU's accelerator. KVM where it boots a Linux guest, TCG otherwise: /dev/kvm existing is not enough
/// (on this machine kind it is PVM, which runs freestanding guests but kills unmodified Linux). The probe boots the
/// guest kernel without a root under -accel kvm and waits, within a bound, for the kernel to get as far as
/// mounting a root; the verdict is cached per host kernel and QEMU, so only the first VM on a host pays for it.
/// </summary>
public sealed class AccelProbe(string cacheDirectory)
{
    public static readonly TimeSpan Bound = TimeSpan.FromSeconds(8);

    /// <summary>The accelerator for a request ("auto", "kvm", "tcg"; null = auto) given the probe's verdict (pure).</summary>
    public static string Decide(string? requested, Func<KvmVerdict> verdict) => (requested ?? "auto") switch
    {
        "tcg" => "tcg",
        "kvm" => verdict() == KvmVerdict.Absent
            ? throw new LightNfvException(ErrorKind.Unavailable, "spec.accel: 'kvm' was asked for but /dev/kvm is missing or not usable; use 'auto' or 'tcg'")
            : "kvm",
        "auto" => verdict() == KvmVerdict.BootsLinux ? "kvm" : "tcg",
        var other => throw new LightNfvException(ErrorKind.Invalid, $"spec.accel: '{other}' is not an accelerator; use auto, kvm or tcg"),
    };

    /// <summary>Whether a console log shows a kernel that booted far enough to look for its root or init.</summary>
    public static bool ShowsBootedKernel(string console) =>
        console.Contains("Kernel panic", StringComparison.Ordinal) || console.Contains("Run /init", StringComparison.Ordinal) ||
        console.Contains("Freeing unused kernel", StringComparison.Ordinal);

    /// <summary>The cached verdict for this kernel, or a probe boot now.</summary>
    public KvmVerdict Verdict(string kernel, string workDirectory)
    {
        if (!File.Exists("/dev/kvm"))
        {
            return KvmVerdict.Absent;
        }
        // Whether KVM boots Linux is the host's property (its kernel, its KVM module, QEMU), not the guest kernel's.
        var key = $"{Environment.OSVersion.Version}|{File.GetLastWriteTimeUtc("/usr/bin/" + QemuCommand.Binary).Ticks}";
        var cacheFile = Path.Combine(cacheDirectory, "accel-probe.json");
        try
        {
            if (File.Exists(cacheFile) && JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllText(cacheFile)) is { } cached &&
                cached.TryGetValue("key", out var k) && k == key && Enum.TryParse<KvmVerdict>(cached["verdict"], out var v))
            {
                return v;
            }
        }
        catch (Exception e) when (e is JsonException or IOException or KeyNotFoundException)
        {
            // A damaged cache only costs a probe.
        }
        var verdict = ProbeBoot(kernel, workDirectory);
        Directory.CreateDirectory(cacheDirectory);
        File.WriteAllText(cacheFile, JsonSerializer.Serialize(new Dictionary<string, string>
        {
            ["key"] = key,
            ["verdict"] = verdict.ToString(),
            ["at"] = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture),
        }));
        return verdict;
    }

    private static KvmVerdict ProbeBoot(string kernel, string workDirectory)
    {
        Directory.CreateDirectory(workDirectory);
        var console = Path.Combine(workDirectory, $"accel-probe-{Environment.ProcessId}.log");
        var output = console + ".qemu";
        ProcessIdentity? qemu = null;
        try
        {
            var argv = new List<string>
            {
                QemuCommand.Binary, "-machine", "microvm,x-option-roms=off,isa-serial=on,rtc=off,acpi=off", "-accel", "kvm", "-cpu", "host",
                "-m", "64M", "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot",
                "-serial", "file:" + console, "-kernel", kernel, "-append", "console=ttyS0 panic=-1",
            };
            qemu = NamespacedSpawner.SpawnDetached("/usr/bin/" + QemuCommand.Binary, argv, output, []);
            var watch = Stopwatch.StartNew();
            while (watch.Elapsed < Bound)
            {
                if (File.Exists(console) && ShowsBootedKernel(ReadShared(console)))
                {
                    return KvmVerdict.BootsLinux;
                }
                if (!qemu.Value.IsAlive || (File.Exists(output) && ReadShared(output).Contains("KVM internal error", StringComparison.Ordinal)))
                {
                    break;
                }
                Thread.Sleep(50);
            }
            return File.Exists(console) && ShowsBootedKernel(ReadShared(console)) ? KvmVerdict.BootsLinux : KvmVerdict.CannotBootLinux;
        }
        finally
        {
            if (qemu is { } q)
            {
                ProcessSignals.Send(q, 9);
                ProcessSignals.WaitForExit(q, TimeSpan.FromSeconds(2));
                ChildReaper.Reap(q, TimeSpan.FromSeconds(1));
            }
            File.Delete(console);
            File.Delete(output);
        }
    }

    private static string ReadShared(string path)
    {
        using var f = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var r = new StreamReader(f);
        return r.ReadToEnd();
    }
}
