using System.Text.Json;
using LightNfv.Backends.Shared;
using LightNfv.Core.Backends;

namespace LightNfv.Backends.Unikernel;

/// <summary>
/// The unikernel backend's own record of a guest: which tender runs it and what that tender reported back. Under KVM
/// the guest has no main process of its own (its vCPU is a thread of the shared monitor host), so the shared process
/// fact stays empty; under the process tender it is the lnfv-spt process.
/// </summary>
public sealed record UnikernelState : BackendState
{
    /// <summary>The tender: "kvm" (the monitor host; also a record from before the choice existed) or "process" (lnfv-spt).</summary>
    public string? Accel { get; init; }

    /// <summary>The VNF compiled into the guest, and its port.</summary>
    public int App { get; init; }

    public int Port { get; init; }

    /// <summary>Guest memory, rounded down to 2 MiB.</summary>
    public ulong MemoryBytes { get; init; }

    /// <summary>The guest's tap on the lab bridge (a warm guest keeps its pre-made one), while it runs.</summary>
    public string? Tap { get; init; }

    public string? Mac { get; init; }

    /// <summary>The pid of the monitor host that runs the guest, while it runs.</summary>
    public int? Monitor { get; init; }

    public override string? Summary => Accel == UnikernelBackend.AccelProcess
        ? "tender: process (lnfv-spt, seccomp)"
        : "tender: kvm (lnfv-ukhost)";

    public override string ToJson() => JsonSerializer.Serialize(this, BackendStateJson.Default.UnikernelState);

    internal static UnikernelState Of(BackendInstance instance) => Read(instance.State, BackendStateJson.Default.UnikernelState);
}
