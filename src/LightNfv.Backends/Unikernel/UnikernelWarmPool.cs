using System.Globalization;
using LightNfv.Core.Backends;

namespace LightNfv.Backends.Unikernel;

/// <summary>
/// Warm guests of the tender auto picks. KVM: guests the monitor host keeps ready: VM created, memory mapped, page
/// tables and image written, tap on the bridge, vCPU thread started and the guest booted up to its first network wait,
/// where it is parked. A claimed guest only gets its identity (address, MAC, neighbour entry, console) and is released:
/// the draft's pre-created taps, carried as far as a unikernel allows. Without KVM: the process tender's parked guests
/// (<see cref="SptWarmPool"/>). Prepared with <see cref="UnikernelBackend.WarmMemoryMiB"/>; other sizes start cold.
/// </summary>
internal sealed class UnikernelWarmPool(UnikernelBackend backend) : IWarmPool
{
    private static string Memory => ((ulong)UnikernelBackend.WarmMemoryMiB << 20).ToString(CultureInfo.InvariantCulture);

    /// <summary>Whether the KVM monitor's pool serves claims (auto picks KVM here), else the process tender's.</summary>
    private static bool Kvm => UnikernelBackend.AutoAccel() == UnikernelBackend.AccelKvm;

    public int Available => !Kvm ? backend.SptPool.Available
        : File.Exists(backend.SocketPath) && MonitorClient.TrySend(backend.SocketPath, MonitorMessage.Of("available", ("image", GuestImages.Guest), ("memory", Memory))) is { } r
            ? (int)r.Number("count")
            : 0;

    // Guests this process knows are ready (-1: unknown, ask the monitor): a claim costs no request on the timed path.
    // If the count is stale (another process claimed one), the monitor starts the guest cold instead.
    private int _known = -1;

    public string? TryClaim()
    {
        if (!Kvm)
        {
            return backend.SptPool.TryClaim();
        }
        var known = Interlocked.CompareExchange(ref _known, 0, 0);
        if (known < 0)
        {
            known = Available;
        }
        if (known <= 0)
        {
            return null;
        }
        Interlocked.Exchange(ref _known, known - 1);
        return backend.ClaimId();
    }

    public int Refill(int target, CancellationToken cancellationToken = default)
    {
        if (!Kvm)
        {
            return backend.SptPool.Refill(target, cancellationToken);
        }
        var r = backend.Request(MonitorMessage.Of("prepare", ("image", GuestImages.Guest), ("memory", Memory), ("count", target)));
        Interlocked.Exchange(ref _known, (int)r.Number("count"));
        return (int)r.Number("made");
    }

    /// <summary>The process tender's pooled guests carry instance ids (cgroup, tap, run directory); the monitor's do not.</summary>
    public IReadOnlyCollection<string> ShellIds() => backend.SptPool.ShellIds();

    public int Drain()
    {
        Interlocked.Exchange(ref _known, 0);
        var monitor = File.Exists(backend.SocketPath) && MonitorClient.TrySend(backend.SocketPath, MonitorMessage.Of("drain")) is { } r ? (int)r.Number("count") : 0;
        return monitor + backend.SptPool.Drain();
    }
}
