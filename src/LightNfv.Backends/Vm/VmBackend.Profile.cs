using LightNfv.Core.Backends;
using LightNfv.Core.Descriptors;

namespace LightNfv.Backends.Vm;

public abstract partial class VmBackend
{
    /// <summary>Both VMs boot a kernel under QEMU: what the bench says of their image and memory is the same.</summary>
    protected static readonly BenchProfile VmBench = new()
    {
        ProbeStepNote = "; for VMs the step is 1 ms for tinyx and 20 ms for standardvm (a SYN flood starves an emulated guest)",
        ImageNote = (_, vmNote, _) => "bytes on disk of what the VM boots (kernel + initramfs, or kernel + initrd + allocated disk blocks); " + (vmNote ?? ""),
        MemoryNote = (settleMs, sharedMb, _) =>
            $"QEMU's private resident memory (RssAnon + RssShmem: guest RAM touched, TCG cache, heap) with the VM idle, {settleMs:0} ms after its VNF answered; " +
            $"not counted: {sharedMb:0.#} MB resident from shared files (the QEMU binary and its libraries, shared by every QEMU, like a container's libraries), so VmRSS is that much higher",
    };

    public abstract BackendProfile Profile { get; }

    public void ReportBuildProgress(Action<string> progress) => Progress ??= progress;

    /// <summary>Takes spec.accel (auto, kvm or tcg; "process" is the unikernel's tender); no OCI runtime; at least the guest's minimum memory.</summary>
    public void Validate(VnfSpec spec)
    {
        SpecRules.RejectRuntime(spec);
        if (spec.Accel == "process")
        {
            throw new Core.Errors.DescriptorException("spec.accel", $"'process' is the unikernel's process tender, not an accelerator for {Technology.ToName()}; use auto, kvm or tcg");
        }
        if (spec.Resources.CpuSet is { } cpuset)
        {
            throw new Core.Errors.DescriptorException("spec.resources.cpuset",
                $"'{cpuset}': {Technology.ToName()} runs QEMU without a cgroup of its own here, so it cannot be pinned; remove the field (process, container, docker and the unikernel's process tender take it)");
        }
        if (spec.Resources.MemoryMiB < MinimumMemoryMiB)
        {
            throw new Core.Errors.DescriptorException("spec.resources.memoryMiB",
                $"{spec.Resources.MemoryMiB} MiB is too little for {Technology.ToName()} ({MemoryNeed}); give it at least {MinimumMemoryMiB}");
        }
    }
}
