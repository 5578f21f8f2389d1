using LightNfv.Core.Backends;

namespace LightNfv.Backends.StandardVm;

public sealed partial class StandardVmBackend
{
    internal static readonly BackendProfile Known = new()
    {
        // The first one may build its Debian disk (about a minute), then boots systemd under TCG.
        StartBound = TimeSpan.FromSeconds(180),
        Bench = VmBench with
        {
            // It boots for tens of seconds under TCG; with a SYN every 1 ms it did not answer within 240 s in the bench
            // (answered in 18-30 s when probed every 0.5 s): every SYN is an interrupt an emulated Debian kernel handles
            // slowly while it boots. 20 ms is 0.1% of its boot time.
            ProbeStep = TimeSpan.FromMilliseconds(20),
            MinReadyTimeout = TimeSpan.FromSeconds(240),
            // A boot takes about 20 s here: 20 runs would take longer than everything else.
            RunCap = 5,
            QuickRunCap = 2,
            // Debian's 14 MB zstd initrd does not unpack in 128 MiB (the kernel panics).
            MemoryMiB = 256,
            CreateCall = _ => "store, Debian disk (debootstrap once, then cached), accelerator (probed once, cached), tap on the bridge, QEMU launch; guest boot with systemd",
        },
    };

    public override BackendProfile Profile => Known;
}
