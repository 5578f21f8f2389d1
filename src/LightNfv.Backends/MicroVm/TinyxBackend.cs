using LightNfv.Backends.Shared;
using LightNfv.Backends.Vm;
using LightNfv.Core.Backends;
using LightNfv.Core.Descriptors;
using LightNfv.Images.Initramfs;
using LightNfv.Images.Kernel;

namespace LightNfv.Backends.MicroVm;

/// <summary>
/// The draft's Tinyx: a tinyconfig Linux (guest/kernel/tinyx.config, built once and cached) booted directly by QEMU
/// -M microvm through its PVH entry, with the VNF's root filesystem as an initramfs and lnfv-init as PID 1. The kernel
/// configures eth0 from ip= (CONFIG_IP_PNP); the VNF's argv follows "--" on the command line.
/// </summary>
public sealed partial class TinyxBackend(BackendContext host) : VmBackend(host)
{
    public override Technology Technology => Technology.Tinyx;

    // No ACPI in the tiny kernel: QMP quit is the stop (the guest holds no state worth a shutdown).
    protected override bool GracefulPowerdown => false;

    public KernelBuilder Kernels { get; } = new(KernelBuilder.DefaultCacheRoot);

    public override BackendProbe Probe()
    {
        var probe = base.Probe();
        if (!probe.Available)
        {
            return probe;
        }
        if (!File.Exists(TinyxImageBuilder.DefaultInitPath))
        {
            return BackendProbe.Missing($"{TinyxImageBuilder.DefaultInitPath} is missing; rebuild LightNfv (it compiles guest/init with gcc)");
        }
        var kernel = Kernels.TryCached() is { } k ? $"cached ({k.Key})"
            : KernelBuilder.SourceVersion() is { } v ? $"built on first use from linux-source {v} (about 5 minutes)"
            // The cloud kernel has virtio-net as a module and no ip= support: it boots the initramfs, but the VNF gets
            // no network until lnfv-init learns to load modules and configure eth0 (not in this version).
            : KernelBuilder.CloudKernel() is not null ? "linux-source missing: Debian cloud kernel fallback (boots, but no guest network yet)" : null;
        return kernel is null
            ? BackendProbe.Missing($"no guest kernel: apt-get install {KernelBuilder.SourcePackage} (or linux-image-cloud-amd64 as a fallback)")
            : new BackendProbe(true, "available", new Dictionary<string, string>(probe.Details) { ["kernel"] = kernel });
    }

    // 28 MiB stops before the console (the kernel and its unpacked initramfs do not fit); 32 boots to the VNF.
    protected override int MinimumMemoryMiB => 32;

    protected override string MemoryNeed => "the kernel and the unpacked initramfs";

    protected override VmBoot Prepare(InstanceSpec spec, Action<string>? progress)
    {
        var kernel = Kernels.Ensure(progress);
        var image = new TinyxImageBuilder(Host.Images).Build(spec.Argv, spec.Files);
        var append = QemuCommand.KernelWords([
            "console=ttyS0", "quiet", "panic=-1", "reboot=t",
            QemuCommand.IpParameter(spec.Network.Address, spec.Network.Gateway, spec.Network.PrefixLength),
            .. QemuCommand.InitParameters(spec.Argv, spec.Env)]);
        var stubs = image.StubbedLibraries.Count > 0 ? $"; stubbed {string.Join(", ", image.StubbedLibraries.Select(Path.GetFileName))}" : "";
        return new VmBoot(kernel.Path, image.InitramfsPath, null, append, "microvm", Acpi: false, kernel.Bytes + image.Bytes,
            // 3 MiB of translation cache: measured here, each MiB less saves ~1 MB of RSS, and 2 MiB doubles the boot time.
            TbSizeMiB: 3,
            $"kernel {kernel.Description}, {kernel.Bytes / 1e6:0.00} MB + initramfs {image.Bytes / 1e6:0.00} MB (cpio newc, gzip{stubs})");
    }
}
