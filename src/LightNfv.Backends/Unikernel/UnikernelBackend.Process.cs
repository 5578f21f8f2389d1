using System.Net;
using LightNfv.Core.Backends;
using LightNfv.Core.Errors;
using LightNfv.Core.Networking;
using LightNfv.Host.Cgroups;
using LightNfv.Host.Kvm;
using LightNfv.Host.Native;
using LightNfv.Host.Processes;
using LightNfv.Host.Spt;

namespace LightNfv.Backends.Unikernel;

/// <summary>
/// The process tender (spec.accel: process; auto where KVM cannot run the guest): each guest is its own lnfv-spt
/// process, the guest's spt build running natively under a seccomp filter, in the instance's cgroup, with a tap on
/// the lab bridge handed in as descriptor 3 (not persistent: it vanishes with the process). The console (and the
/// tender's own errors) go to the instance's log. Pid and start time are recorded for re-adoption.
/// </summary>
public sealed partial class UnikernelBackend
{
    public const string AccelKvm = "kvm", AccelProcess = "process";

    /// <summary>Memory the tender itself needs beside the guest's (its static image, stacks, page tables): the cgroup's headroom.</summary>
    internal const long TenderHeadroomBytes = 4L << 20;

    /// <summary>A test's misbehaving guest (the spt fault build and its app name) in place of the VNF image; null in production.</summary>
    internal (string Image, string App)? TestGuest { get; set; }

    /// <summary>Which tender runs a guest: KVM where it works here, else the process tender (pure but for the probes).</summary>
    public static string ChooseAccel(string? requested) => (requested ?? "auto") switch
    {
        AccelKvm => KvmMachine.Problem() is { } why
            ? throw new LightNfvException(ErrorKind.Unavailable, $"spec.accel: 'kvm' was asked for but {why}; use 'auto' or 'process'")
            : AccelKvm,
        AccelProcess => SptProblem() is { } why
            ? throw new LightNfvException(ErrorKind.Unavailable, $"spec.accel: 'process': {why}")
            : AccelProcess,
        "auto" => AutoAccel(),
        var other => throw new LightNfvException(ErrorKind.Invalid, $"spec.accel: '{other}' does not apply to unikernels; use auto, kvm or process"),
    };

    /// <summary>
    /// The tender auto picks: KVM where it runs guests natively; the process tender where KVM is missing or PVM (measured
    /// here in one bench run: KVM-under-PVM moved 0.03 Gb/s against the process tender's 10.9, for a cold start 2 ms
    /// shorter; a VNF is its data path), unless the process tender cannot run.
    /// </summary>
    public static string AutoAccel() => s_auto.Value;

    // Decided once per process (the device, the module and the built tender do not change under it): the warm claim
    // and the create of every instance ask.
    private static readonly Lazy<string> s_auto = new(() =>
        KvmMachine.Problem() is null && (!KvmMachine.Emulated || SptProblem() is not null) ? AccelKvm : AccelProcess);

    /// <summary>Why auto picks the tender it picks, in the operator's words (probe, bench notes).</summary>
    public static string AutoReason() => AutoAccel() == AccelKvm
        ? KvmMachine.Emulated ? "KVM is PVM (emulated) here but the process tender cannot run" : "KVM runs guests natively here"
        : KvmMachine.Problem() is { } why ? why : "/dev/kvm is PVM here, which emulates every guest instruction (data path ~300x slower than the process tender's); spec.accel: kvm still uses it";

    private static string? SptProblem() =>
        SptTender.Problem() ?? (File.Exists(GuestImages.SptGuest) ? null : $"{GuestImages.SptGuest} is missing; rebuild LightNFV (the build compiles guest/unikernel with gcc)");

    private static bool IsProcess(BackendInstance instance) => UnikernelState.Of(instance).Accel == AccelProcess;

    /// <summary>The process tender's warm guests (used where it is the tender auto picks: see <see cref="UnikernelWarmPool"/>).</summary>
    internal SptWarmPool SptPool => _sptPool ??= new SptWarmPool(host);

    private SptWarmPool? _sptPool;

    /// <summary>
    /// A guest claimed from <see cref="SptPool"/> becomes the instance: its cgroup, tap and run directory are already
    /// named after the id, and its tender, parked in its first wait, is recorded now; StartProcess hands it its identity.
    /// </summary>
    private BackendInstance WarmProcess(InstanceSpec spec, (ushort App, ushort Port) app, ulong memory, ProcessIdentity tender) =>
        new(spec.Id, Technology, new InstanceFacts
        {
            HostLink = TapName(spec.Id),
            Cgroup = host.CgroupPath(spec.Id),
            Address = spec.Network.Address,
            RunDirectory = spec.RunDirectory,
            Image = new ImageFacts(GuestImages.SptGuest, new FileInfo(GuestImages.SptGuest).Length, null),
            Process = tender,
        }, new UnikernelState { Accel = AccelProcess, MemoryBytes = memory, App = app.App, Port = app.Port });

    /// <summary>Only the run directory: the cgroup and the tap are made by the start, beside the tender's own start-up.</summary>
    private BackendInstance CreateProcess(InstanceSpec spec, (ushort App, ushort Port) app, ulong memory)
    {
        var image = TestGuest?.Image ?? GuestImages.SptGuest;
        var instance = new BackendInstance(spec.Id, Technology, new InstanceFacts
        {
            HostLink = TapName(spec.Id),
            Cgroup = host.CgroupPath(spec.Id),
            Address = spec.Network.Address,
            RunDirectory = spec.RunDirectory,
            Image = new ImageFacts(image, new FileInfo(image).Length, null),
        }, new UnikernelState { Accel = AccelProcess, MemoryBytes = memory, App = app.App, Port = app.Port });
        try
        {
            Directories.Make(spec.RunDirectory);
            _ = host.Lab; // opened now so that start pays nothing for it
            return instance;
        }
        catch
        {
            TeardownProcess(instance);
            throw;
        }
    }

    private BackendInstance StartProcess(InstanceSpec spec, BackendInstance instance)
    {
        var state = UnikernelState.Of(instance);
        var address = instance.Facts.Address!;
        var mac = NetworkAttachment.MacForInstance(instance.Id);
        var macText = string.Join(':', mac.Select(b => b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture)));
        if (ProcessIdentity.From(instance.Facts.Process) is { } parked)
        {
            // A warm guest (WarmProcess): its neighbour entry, then one write of its identity wakes it. Nothing else.
            try
            {
                host.Lab.AddTapNeighbour(instance.Facts.HostLink ?? TapName(instance.Id), address, mac);
                SptTender.Claim(Path.Combine(instance.Facts.RunDirectory!, SptTender.ControlFileName), address, spec.Network.Gateway, state.Port, state.App);
                return instance with { State = state with { Tap = instance.Facts.HostLink, Mac = macText } };
            }
            catch (LightNfvException e) when (!parked.IsAlive)
            {
                // It died in the pool: take down what is left of it (the cgroup stays) and start cold instead.
                File.AppendAllText(spec.LogPath, $"lightnfv: the warm guest was gone at its claim ({e.Message}); starting cold\n");
                StopProcess(instance);
                File.Delete(Path.Combine(instance.Facts.RunDirectory!, SptTender.ControlFileName));
                instance = instance with { Facts = instance.Facts with { Process = null } };
            }
        }
        var app = TestGuest?.App ?? (state.App == 2 ? "echo" : "iperf3");
        var argv = SptTender.StartArguments(instance.Facts.Image!.Reference!, state.MemoryBytes, address, spec.Network.Gateway, mac, state.Port, app);
        var tapName = instance.Facts.HostLink!;
        var started = instance with { State = state with { Tap = tapName, Mac = macText } };
        // Cold, in halves: the tender is spawned first, on another CPU, and starts up (exec, libc: ~0.5 ms here) while
        // this thread makes its tap and cgroup; the go hands it both, and it loads the guest while the tap is plugged.
        using var channel = SptStartChannel.Open();
        var child = 0;
        CpuAffinity? affinity = null;
        try
        {
            child = NamespacedSpawner.SpawnDetachedChild(SptTender.Path, argv, spec.LogPath, [channel.TheirEnd]);
            affinity = CpuAffinity.AwayFromCaller(child);
            channel.ReleaseTheirEnd();
            // vnet header: the guest asks the kernel for TCP checksums and segmentation through it (bindings/spt.c).
            using (var tap = host.Lab.OpenTap(tapName, vnetHeader: true, nonBlocking: true))
            {
                // A restart finds the cgroup of its first start, with any live resize since.
                var cgroup = host.Cgroups.Open(instance.Facts.Cgroup!)
                    ?? host.Cgroups.Create(instance.Facts.Cgroup!, new CgroupLimits((long)state.MemoryBytes + TenderHeadroomBytes, spec.Resources.Vcpus, spec.Resources.Pids)
                    {
                        CpuSet = spec.Resources.CpuSet,
                    });
                // Its identity now: /proc/PID/stat waits for the end of its exec, which is over by now (see
                // SpawnDetachedChild). None: it has died already, and its log says why (below).
                if (ProcessIdentity.Of(child) is { } t)
                {
                    started = started with { Facts = started.Facts with { Process = t } };
                    child = 0;
                    channel.Go(cgroup.ProcsFiles, tap.Descriptor.Value);
                    // The tap is down and on no bridge until here: the guest's first frames wait in it.
                    host.Lab.PlugTap(tapName, address, mac);
                }
            }
            // Our copy of the tap descriptor is closed: the tender holds the last one, so the tap dies with it.
            var tender = ProcessIdentity.From(started.Facts.Process); // null: it died before its go
            // Then it says the guest is loaded and seals itself (seccomp) within microseconds: wait for the seal, so a
            // bad launch fails here with its message instead of as a readiness timeout.
            var deadline = Environment.TickCount64 + 5_000;
            var loaded = tender is not null && channel.WaitLoaded(TimeSpan.FromSeconds(5));
            affinity?.Restore();
            while (!loaded || !Sealed(tender!.Value.Pid))
            {
                if (!loaded || !tender!.Value.IsAlive || Environment.TickCount64 > deadline)
                {
                    if (tender is { } gone)
                    {
                        ProcessSignals.WaitForExit(gone, TimeSpan.FromMilliseconds(200)); // its last words reach the log first
                    }
                    var why = File.Exists(spec.LogPath) ? File.ReadAllText(spec.LogPath).Trim() : "";
                    throw new LightNfvException(ErrorKind.Host, $"lnfv-spt did not start instance {instance.Id}: {(why.Length > 0 ? why : "no output")}");
                }
                Thread.Yield();
            }
            return started;
        }
        catch
        {
            ChildReaper.Kill(child);
            TeardownProcess(started, keepRunDirectory: true);
            throw;
        }
    }

    /// <summary>Whether the process runs under its seccomp filter (the tender has handed over to the guest).</summary>
    private static bool Sealed(int pid)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("Seccomp:", StringComparison.Ordinal))
                {
                    return line.EndsWith('2');
                }
            }
        }
        catch (IOException)
        {
            // Gone.
        }
        return false;
    }

    /// <summary>SIGKILL: the guest has no shutdown protocol and holds nothing that needs flushing; the tap goes with it.</summary>
    private void StopProcess(BackendInstance instance)
    {
        if (ProcessIdentity.From(instance.Facts.Process) is { } p)
        {
            if (p.IsAlive)
            {
                ProcessSignals.Send(p, Libc_SIGKILL);
                ProcessSignals.WaitForExit(p, TimeSpan.FromSeconds(3));
            }
            ChildReaper.Reap(p, TimeSpan.FromMilliseconds(200));
        }
        host.Cgroups.Open(instance.Facts.Cgroup ?? "")?.KillAll(TimeSpan.FromSeconds(2));
        if (host.LabExists)
        {
            host.Lab.DeleteTap(instance.Facts.HostLink ?? TapName(instance.Id), instance.Facts.Address);
        }
    }

    private void TeardownProcess(BackendInstance instance, bool keepRunDirectory = false)
    {
        StopProcess(instance);
        host.Cgroups.Open(instance.Facts.Cgroup ?? host.CgroupPath(instance.Id))?.Remove();
        var runDir = instance.Facts.RunDirectory ?? host.RunDirectory(instance.Id);
        if (!keepRunDirectory && Directory.Exists(runDir))
        {
            Directory.Delete(runDir, recursive: true);
        }
    }

    private InstanceObservation InspectProcess(BackendInstance instance)
    {
        IPAddress[] addresses = instance.Facts.Address is { } a ? [a] : [];
        if (ProcessIdentity.From(instance.Facts.Process) is not { } p)
        {
            return new InstanceObservation(ObservedState.Stopped, null, null, addresses, null);
        }
        if (p.IsAlive)
        {
            return new InstanceObservation(ObservedState.Running, p.Pid, p.StartedAt, addresses, null);
        }
        return new InstanceObservation(ObservedState.Exited, null, p.StartedAt, addresses, ExitReason(instance.Facts.LogPath));
    }

    /// <summary>Why a tender ended, from the console log it shares with the guest (the tender names a forbidden call there).</summary>
    internal static string ExitReason(string? logPath)
    {
        var log = logPath is not null && File.Exists(logPath) ? File.ReadAllText(logPath) : "";
        if (SptTender.ForbiddenSystemCall(log) is { } nr)
        {
            return $"the guest made a forbidden system call ({nr}): SIGSYS from lnfv-spt's seccomp filter";
        }
        var tail = log.Trim();
        return "the guest's process (lnfv-spt) ended" + (tail.Length > 0 ? ": " + (tail.Length > 300 ? tail[^300..] : tail) : "");
    }

    /// <summary>
    /// CPU, limit and pids from the tender's cgroup, network from its tap. Memory is the tender's private resident
    /// memory (guest pages it touched, its stack and heap) read from /proc: memcg's statistics are flushed only every
    /// few seconds (a guest read 150 ms after start shows a few KB there), and the static tender image is shared page
    /// cache, reported apart as for the VMMs.
    /// </summary>
    private InstanceStats StatsProcess(BackendInstance instance)
    {
        var stats = host.StatsOf(instance.Facts.Cgroup ?? host.CgroupPath(instance.Id), instance.Facts.HostLink);
        if (ProcessIdentity.From(instance.Facts.Process) is { IsAlive: true } p && Vm.VmBackend.ReadProcess(p.Pid) is { PrivateBytes: > 0 } m)
        {
            stats = stats with { MemoryBytes = (ulong)m.PrivateBytes, SharedFileBytes = (ulong)m.FileBytes };
        }
        return stats;
    }
}
