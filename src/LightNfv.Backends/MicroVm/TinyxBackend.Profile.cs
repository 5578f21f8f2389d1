using LightNfv.Core.Backends;

namespace LightNfv.Backends.MicroVm;

public sealed partial class TinyxBackend
{
    internal static readonly BackendProfile Known = new()
    {
        // Boots a kernel under TCG in seconds here.
        StartBound = TimeSpan.FromSeconds(60),
        Bench = VmBench with
        {
            // 1 ms resolution (DESIGN's bound), so the probe does not starve an emulated guest.
            ProbeStep = TimeSpan.FromMilliseconds(1),
            MinReadyTimeout = TimeSpan.FromSeconds(60),
            CreateCall = _ => "store, kernel + initramfs (built once, then cached), accelerator (probed once, cached), tap on the bridge, QEMU launch; guest boot",
        },
    };

    public override BackendProfile Profile => Known;
}
