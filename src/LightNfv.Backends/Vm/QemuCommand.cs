using System.Globalization;
using System.Net;

namespace LightNfv.Backends.Vm;

/// <summary>Everything one QEMU launch needs; <see cref="QemuCommand.Build"/> turns it into an argv.</summary>
public sealed record QemuLaunch
{
    public required string Name { get; init; }
    /// <summary>"microvm" (virtio-mmio, no firmware for a PVH kernel) or "q35" (PCI, SeaBIOS).</summary>
    public required string Machine { get; init; }
    /// <summary>"kvm" or "tcg".</summary>
    public required string Accel { get; init; }
    public int MemoryMiB { get; init; } = 128;
    public int Vcpus { get; init; } = 1;
    public required string Kernel { get; init; }
    public string? Initrd { get; init; }
    public required string Append { get; init; }
    /// <summary>A raw disk image attached read-only to the host: guest writes go to a discarded overlay (snapshot=on).</summary>
    public string? Disk { get; init; }
    /// <summary>The tap's descriptor number in QEMU's process (the spawner dup's it there).</summary>
    public int TapFd { get; init; } = 3;
    public required byte[] Mac { get; init; }
    public required string QmpSocket { get; init; }
    public required string ConsoleLog { get; init; }
    /// <summary>
    /// TCG translation cache in MiB. QEMU's default (1 GiB on 64-bit hosts) is reserved lazily but grows with the code
    /// the guest runs; a small cache keeps a VNF's RSS low and costs retranslation only for guests that run much code.
    /// </summary>
    public int TbSizeMiB { get; init; } = 32;
    /// <summary>
    /// TCG only: the host's TSC rate in kHz, handed to the guest as tsc_early_khz. A TCG guest's TSC is the host's, and
    /// without kvmclock the guest calibrates it against the emulated PIT, which fails when the vCPU thread is
    /// preempted; Debian's kernel then hangs before the console (about 1 boot in 20 here, most under load).
    /// </summary>
    public long? TscKhz { get; init; }
    /// <summary>microvm only: whether the guest gets ACPI (the standard VM's kernel uses it for the power button).</summary>
    public bool Acpi { get; init; }
    /// <summary>The unprivileged uid QEMU switches to (-runas) once it has opened its files, tap and accelerator; null keeps root.</summary>
    public uint? RunAsUid { get; init; }
}

/// <summary>Builds QEMU's command line for both VM backends (pure: unit-tested).</summary>
public static class QemuCommand
{
    public const string Binary = "qemu-system-x86_64";

    private const string RamId = "ram0";

    public static IReadOnlyList<string> Build(QemuLaunch l)
    {
        var microvm = l.Machine == "microvm";
        var args = new List<string>
        {
            Binary, "-name", l.Name,
            "-machine", microvm
                // No option ROMs (a PVH kernel needs none); keep the PIT and PIC: a TCG guest without kvmclock calibrates with them.
                // Keep the CMOS RTC too: without one, a guest whose TSC calibrated polls the absent clock's update flag
                // for a full second at boot ("Unable to read current time from RTC"), measured on TCG here.
                ? $"microvm,x-option-roms=off,isa-serial=on,rtc=on,acpi={(l.Acpi ? "on" : "off")},memory-backend={RamId}"
                : $"q35,memory-backend={RamId}",
            // Guest RAM from a memfd rather than anonymous memory: QEMU madvises anonymous guest RAM for transparent huge
            // pages, so every 2 MiB the guest touches becomes resident (a tinyx VM: 24 MiB resident, 20 MiB as 4 KiB pages).
            "-object", $"memory-backend-memfd,id={RamId},size={l.MemoryMiB.ToString(CultureInfo.InvariantCulture)}M",
            "-accel", l.Accel == "tcg" ? $"tcg,tb-size={l.TbSizeMiB.ToString(CultureInfo.InvariantCulture)}" : "kvm",
            "-cpu", l.Accel == "kvm" ? "host" : "max",
            "-smp", l.Vcpus.ToString(CultureInfo.InvariantCulture),
            "-m", l.MemoryMiB.ToString(CultureInfo.InvariantCulture) + "M",
            "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot",
            "-serial", "file:" + l.ConsoleLog,
            "-qmp", $"unix:{l.QmpSocket},server=on,wait=off",
            "-kernel", l.Kernel,
            "-append", l.Accel == "tcg" && l.TscKhz is { } khz ? $"{l.Append} tsc_early_khz={khz.ToString(CultureInfo.InvariantCulture)}" : l.Append,
        };
        if (l.Initrd is not null)
        {
            args.AddRange(["-initrd", l.Initrd]);
        }
        var bus = microvm ? "device" : "pci";
        if (l.Disk is not null)
        {
            args.AddRange(["-drive", $"file={l.Disk},format=raw,if=none,id=disk0,snapshot=on", "-device", $"virtio-blk-{bus},drive=disk0"]);
        }
        args.AddRange([
            "-netdev", $"tap,id=net0,fd={l.TapFd.ToString(CultureInfo.InvariantCulture)}",
            "-device", $"virtio-net-{bus},netdev=net0,mac={FormatMac(l.Mac)}",
        ]);
        // Least privilege, the jailer's habits where QEMU has them: its seccomp filter (no obsolete calls, no exec/fork,
        // no scheduler or affinity changes), then its own uid, which leaves it no capability. elevateprivileges stays
        // allowed: -runas itself is a setuid, made after the filter is in place (deny kills QEMU with SIGSYS here).
        args.AddRange(["-sandbox", "on,obsolete=deny,spawn=deny,resourcecontrol=deny"]);
        if (l.RunAsUid is { } uid)
        {
            var id = uid.ToString(CultureInfo.InvariantCulture);
            args.AddRange(["-runas", $"{id}:{id}"]);
        }
        return args;
    }

    /// <summary>The kernel's ip= parameter (Documentation/admin-guide/nfs/nfsroot.rst): static address, no autoconfiguration.</summary>
    public static string IpParameter(IPAddress address, IPAddress gateway, int prefixLength, string device = "eth0") =>
        $"ip={address}::{gateway}:{Netmask(prefixLength)}::{device}:off";

    public static string FormatMac(byte[] mac) => string.Join(':', mac.Select(b => b.ToString("x2", CultureInfo.InvariantCulture)));

    /// <summary>lnfv-init's parameters: lnfv.env=K=V per variable (sorted), lnfv.arg=WORD per argv word (see guest/init/lnfv-init.c).</summary>
    public static IEnumerable<string> InitParameters(IReadOnlyList<string> argv, IReadOnlyDictionary<string, string> env) =>
        env.OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => $"lnfv.env={e.Key}={e.Value}").Concat(argv.Select(a => "lnfv.arg=" + a));

    /// <summary>Joins words for the kernel command line, double-quoting those with spaces (the kernel's parser honours quotes).</summary>
    public static string KernelWords(IEnumerable<string> words) => string.Join(' ', words.Select(Quote));

    /// <summary>"name=value with spaces" becomes name="value with spaces", the form the kernel's parser unquotes.</summary>
    private static string Quote(string word)
    {
        if (!word.Contains(' '))
        {
            return word;
        }
        var eq = word.IndexOf('=');
        return eq > 0 ? $"{word[..(eq + 1)]}\"{word[(eq + 1)..]}\"" : $"\"{word}\"";
    }

    private static IPAddress Netmask(int prefixLength)
    {
        var bits = prefixLength == 0 ? 0u : uint.MaxValue << (32 - prefixLength);
        return new IPAddress([(byte)(bits >> 24), (byte)(bits >> 16), (byte)(bits >> 8), (byte)bits]);
    }
}
