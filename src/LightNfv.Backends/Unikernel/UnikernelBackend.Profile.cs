using LightNfv.Core.Backends;
using LightNfv.Core.Descriptors;
using LightNfv.Core.Errors;
using LightNfv.Host.Kvm;

namespace LightNfv.Backends.Unikernel;

public sealed partial class UnikernelBackend
{
    internal static readonly BackendProfile Known = new()
    {
        StartBound = TimeSpan.FromSeconds(30),
        Bench = new()
        {
            // The emulated guest answers slower than a 50 µs flood on a busy host; the other rows keep 50 µs.
            PaceDownWhenSilent = true,
            // One text for both tenders' warm rows (the profile has one): each names what its pool keeps ready.
            WarmStart = "from a pre-created guest booted and parked at its first network wait, like the draft's pre-created taps "
                + "(kvm: VM, memory, image, tap on the bridge, vCPU thread in the monitor host; process: an lnfv-spt process sealed "
                + "under its seccomp filter and blocked in epoll_pwait, in its own cgroup, with its tap on the bridge and its console log); ",
            // The bench measures each tender this host has (Variants), named by spec.accel; null is auto (ChooseAccel).
            CreateCall = variant => ChooseAccel(variant) == AccelKvm
                ? "store, one request to the long-lived monitor host: tap, KVM VM, long-mode entry, vCPU thread (cold) or a parked guest's identity (warm); "
                    + "on a PVM host every guest instruction is emulated (~1 µs each), which bounds the data path but barely instantiation: the guest boots in a few dozen instructions"
                : "store, then cold: cgroup, tap on the bridge (virtio-net header, TSO), spawn of lnfv-spt: ELF load, "
                    + "seccomp seal, jump to the guest, whose instructions run natively; "
                    + "warm: the parked guest's neighbour entry and one 16-byte write of its identity (address, gateway, port, app) "
                    + "to its control FIFO, which wakes it (nothing renamed: its cgroup, tap and run directory carry the id already)",
            ImageNote = (_, _, variant) => ChooseAccel(variant) == AccelKvm
                ? "the guest ELF (freestanding C: ARP, ICMP, TCP and the iperf3 server; built by the project's build), all the instance needs besides the shared monitor host"
                : "the guest ELF, spt build (freestanding C: ARP, ICMP, TCP and the iperf3 server; built by the project's build), all the instance needs besides lnfv-spt (a ~0.9 MB static tender shared by every guest)",
            MemoryNote = (settleMs, _, variant) => ChooseAccel(variant) == AccelKvm
                ? $"guest RAM resident in the host (mincore of its memory slot: pages it touched) plus the vCPU's kvm_run mapping plus the monitor host's RSS growth when the guest was prepared (thread, buffers), {settleMs:0} ms after it answered; the monitor host's shared runtime (~30 MB .NET, for all guests) is not counted"
                : $"private resident memory of the guest's lnfv-spt process (guest pages it touched, stack, heap; /proc RssAnon), {settleMs:0} ms after it answered; the tender's static image (page cache, shared by every guest) is not counted",
        },
    };

    public BackendProfile Profile => Known;

    /// <summary>
    /// The tenders this host has, measured apart by the bench: KVM's monitor and the process tender. The warm pool serves
    /// the tender auto picks (UnikernelWarmPool, <see cref="AutoAccel"/>), so only that one has a warm row: the other's
    /// would start cold.
    /// </summary>
    public IReadOnlyList<BackendVariant> Variants()
    {
        var variants = new List<BackendVariant>();
        var auto = AutoAccel();
        if (KvmMachine.Problem() is null)
        {
            variants.Add(new BackendVariant(AccelKvm, KvmMachine.Emulated ? "lnfv-ukhost (KVM monitor, PVM: emulated)" : "lnfv-ukhost (KVM monitor)", "accel", Warm: auto == AccelKvm));
        }
        if (SptProblem() is null)
        {
            variants.Add(new BackendVariant(AccelProcess, "lnfv-spt (seccomp process tender)", "accel", Warm: auto == AccelProcess));
        }
        return variants;
    }

    /// <summary>No runtime, a tender (auto, kvm or process; not tcg), and guest memory within what the guest layout maps.</summary>
    public void Validate(VnfSpec spec)
    {
        SpecRules.RejectRuntime(spec);
        if (spec.Accel is { } accel && accel is not ("auto" or AccelKvm or AccelProcess))
        {
            throw new DescriptorException("spec.accel", $"'{accel}' does not apply to unikernels; use auto (KVM where it runs, the process tender otherwise), kvm or process");
        }
        var memory = (ulong)spec.Resources.MemoryMiB << 20;
        if (memory < GuestLayout.MinMemory || memory > GuestLayout.MaxMemory)
        {
            throw new DescriptorException("spec.resources.memoryMiB", $"a unikernel takes 2 to 1024 MiB, not {spec.Resources.MemoryMiB}");
        }
    }

    /// <summary>The guest the monitor host or a tender still runs for the id (its tap goes with it); the run directory is the inventory's.</summary>
    public IReadOnlyList<string> RemoveOrphan(string id)
    {
        if (host.Cgroups.Open(host.CgroupPath(id)) is { } cgroup)
        {
            // A process-tender guest: its cgroup holds the tender (and nothing else).
            cgroup.KillAll(TimeSpan.FromSeconds(2));
            cgroup.Remove();
            if (host.LabExists)
            {
                host.Lab.DeleteTap(TapName(id), null);
            }
            return [$"unikernel guest {id} (lnfv-spt)"];
        }
        if (!MonitorRunning())
        {
            return [];
        }
        Request(MonitorMessage.Of("destroy", ("id", id)));
        return [$"unikernel guest {id}"];
    }
}
