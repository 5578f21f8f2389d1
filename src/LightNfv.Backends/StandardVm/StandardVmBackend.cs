using System.Diagnostics;
using LightNfv.Backends.Shared;
using LightNfv.Backends.Vm;
using LightNfv.Core.Backends;
using LightNfv.Core.Descriptors;
using LightNfv.Core.Errors;
using LightNfv.Host.Processes;
using LightNfv.Images.Kernel;
using LightNfv.Images.Rootfs;
using LightNfv.Images.StandardVm;

namespace LightNfv.Backends.StandardVm;

/// <summary>
/// The draft's standard VM: Debian bookworm with systemd on a raw ext4 disk (debootstrap, cached), Debian's cloud
/// kernel and initrd, the VNF as a systemd unit, the address from ip= through systemd-networkd. Machine: microvm
/// with ACPI (virtio-mmio, no firmware to emulate) by default; q35 (SeaBIOS, PCI) through LIGHTNFV_STANDARDVM_MACHINE
/// for comparison. Stop is an ACPI power button press (systemd shuts down), then quit.
/// </summary>
public sealed partial class StandardVmBackend(BackendContext host) : VmBackend(host)
{
    public override Technology Technology => Technology.StandardVm;

    protected override bool GracefulPowerdown => true;

    // 128 MiB panics ("System is deadlocked on memory") while unpacking Debian's 14 MB initrd; 160 boots to the VNF.
    protected override int MinimumMemoryMiB => 160;

    protected override string MemoryNeed => "Debian's kernel unpacks a 14 MB initrd, then systemd starts";

    public DebianDiskBuilder Disks { get; } = new(KernelBuilder.DefaultCacheRoot);

    /// <summary>microvm (measured faster here: no SeaBIOS, no PCI enumeration) unless overridden.</summary>
    public static string Machine => Environment.GetEnvironmentVariable("LIGHTNFV_STANDARDVM_MACHINE") is "q35" ? "q35" : "microvm";

    public override BackendProbe Probe()
    {
        var probe = base.Probe();
        if (!probe.Available)
        {
            return probe;
        }
        if (KernelBuilder.CloudKernel() is not { } kernel || KernelBuilder.InitrdFor(kernel.Path) is null)
        {
            return BackendProbe.Missing("Debian's cloud kernel and initrd are missing from /boot; apt-get install linux-image-cloud-amd64");
        }
        if (!File.Exists("/usr/sbin/debootstrap"))
        {
            return BackendProbe.Missing("debootstrap is not installed (it builds the Debian disk on first use); apt-get install debootstrap");
        }
        return new BackendProbe(true, "available", new Dictionary<string, string>(probe.Details) { ["kernel"] = kernel.Key, ["machine"] = Machine });
    }

    protected override VmBoot Prepare(InstanceSpec spec, Action<string>? progress)
    {
        var kernel = KernelBuilder.CloudKernel() ?? throw new LightNfvException(ErrorKind.Unavailable, "Debian's cloud kernel is missing; apt-get install linux-image-cloud-amd64");
        var initrd = KernelBuilder.InitrdFor(kernel.Path)!;
        var program = VnfImages.ResolveProgram(spec.Argv[0]);
        var disk = Disks.Ensure(PackagesOf(program, spec.Files), [program, .. spec.Argv.Skip(1)], progress);
        var append = QemuCommand.KernelWords([
            "console=ttyS0", "root=/dev/vda", "rw", "quiet", "panic=-1", "net.ifnames=0", "systemd.show_status=0",
            QemuCommand.IpParameter(spec.Network.Address, spec.Network.Gateway, spec.Network.PrefixLength)]);
        var initrdBytes = new FileInfo(initrd).Length;
        var bytes = kernel.Bytes + initrdBytes + disk.AllocatedBytes;
        return new VmBoot(kernel.Path, initrd, disk.Path, append, Machine, Acpi: true, bytes, TbSizeMiB: 32,
            $"{kernel.Description} {kernel.Bytes / 1e6:0.0} MB + initrd {initrdBytes / 1e6:0.0} MB + ext4 disk {disk.AllocatedBytes / 1e6:0} MB allocated ({disk.ApparentBytes / 1e6:0} MB apparent), Debian {DebianDiskBuilder.Suite} minbase + systemd");
    }

    /// <summary>The Debian packages owning the program and extra files (dpkg -S), which debootstrap installs with their dependencies.</summary>
    private static IReadOnlyList<string> PackagesOf(string program, IReadOnlyList<string> files)
    {
        var packages = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var path in files.Prepend(program))
        {
            var real = new FileInfo(path).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? path;
            var owner = Owner(path) ?? Owner(real) ?? throw new LightNfvException(ErrorKind.Invalid,
                $"spec.app.command: '{path}' belongs to no Debian package; the standardvm image installs VNFs from Debian packages");
            packages.Add(owner);
        }
        return packages.ToList();
    }

    private static string? Owner(string path)
    {
        var start = new ProcessStartInfo("dpkg", ["-S", path]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        using var p = HostProcess.Start(start);
        var line = p.StandardOutput.ReadToEnd().Split('\n').FirstOrDefault() ?? "";
        p.WaitForExit();
        var colon = line.IndexOf(':');
        return p.ExitCode == 0 && colon > 0 ? line[..colon].Split(',')[0].Trim() : null;
    }
}
