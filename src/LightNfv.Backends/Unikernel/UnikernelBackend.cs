using System.Globalization;
using System.Net;
using LightNfv.Backends.Shared;
using LightNfv.Core.Backends;
using LightNfv.Core.Descriptors;
using LightNfv.Core.Errors;
using LightNfv.Core.Instances;
using LightNfv.Core.Networking;
using LightNfv.Host.Kvm;
using LightNfv.Host.Native;
using LightNfv.Host.Processes;

namespace LightNfv.Backends.Unikernel;

/// <summary>
/// Single-application unikernels: a freestanding guest (guest/unikernel, a few KB, its own ARP/ICMP/TCP and the VNF
/// compiled in) under one of two tenders, chosen by spec.accel (auto: KVM where it works, else the process tender).
/// KVM: LightNFV's own monitor, whose vCPUs live in one long-lived monitor host process (see
/// LightNfv.UnikernelMonitor); each instance is a VM with one vCPU. Process: lnfv-spt, one sandboxed process per guest
/// (UnikernelBackend.Process.cs). Either way memory is sized from spec.resources and the guest has a tap on the lab
/// bridge. Instances outlive the CLI that made them; `down` stops the monitor host.
/// </summary>
public sealed partial class UnikernelBackend(BackendContext host) : IBackend
{
    public const string HostExecutable = "lnfv-ukhost";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(20);

    private readonly object _gate = new();
    private bool _monitorUp;
    private readonly HashSet<string> _claimed = [];
    private readonly Lazy<long> _imageBytes = new(() => new FileInfo(GuestImages.Guest).Length);

    public Technology Technology => Technology.Unikernel;

    public IWarmPool WarmPool => _pool ??= new UnikernelWarmPool(this);

    private UnikernelWarmPool? _pool;

    public string MonitorDirectory => Path.Combine(host.Options.StateDirectory, "unikernel");
    public string SocketPath => Path.Combine(MonitorDirectory, "monitor.sock");
    public string LogPath => Path.Combine(MonitorDirectory, "monitor.log");
    private string PidPath => Path.Combine(MonitorDirectory, "monitor.pid");

    /// <summary>The memory a warm guest is prepared with (the bench's and the examples' 64 MiB).</summary>
    public const int WarmMemoryMiB = 64;

    public BackendProbe Probe()
    {
        if (!OperatingSystem.IsLinux())
        {
            return BackendProbe.Missing("needs Linux");
        }
        if (!LightNfv.Host.Processes.Privileges.IsRoot)
        {
            return BackendProbe.Missing("needs root (/dev/kvm, taps on the lab bridge); run as root or with sudo");
        }
        var kvm = KvmMachine.Problem() ?? (File.Exists(GuestImages.Guest) ? null
            : $"{GuestImages.Guest} is missing; rebuild LightNFV (the build compiles guest/unikernel with gcc: apt-get install gcc)")
            ?? (HostCommand() is null ? $"{Path.Combine(AppContext.BaseDirectory, HostExecutable)} is missing; rebuild LightNFV (src/LightNfv.UnikernelMonitor)" : null);
        if (kvm is null && AutoAccel() == AccelKvm)
        {
            return BackendProbe.Ok(("tender", "kvm (lnfv-ukhost: long mode, port-I/O hypercalls)"), ("monitor", "lnfv-ukhost (KVM, long mode, port-I/O hypercalls)"),
                ("auto", AutoReason()), ("image", GuestImages.Guest), ("imageBytes", new FileInfo(GuestImages.Guest).Length.ToString(CultureInfo.InvariantCulture)));
        }
        if (SptProblem() is { } spt)
        {
            return BackendProbe.Missing($"{kvm}; and the process tender cannot run either: {spt}");
        }
        return BackendProbe.Ok(("tender", "process (lnfv-spt, seccomp)"), ("auto", AutoReason()),
            ("kvm", kvm ?? "available (PVM, emulated): spec.accel: kvm runs the guest under lnfv-ukhost"), ("image", GuestImages.SptGuest),
            ("imageBytes", new FileInfo(GuestImages.SptGuest).Length.ToString(CultureInfo.InvariantCulture)));
    }

    private static string[]? HostCommand()
    {
        var apphost = Path.Combine(AppContext.BaseDirectory, HostExecutable);
        if (File.Exists(apphost))
        {
            return [apphost];
        }
        var dll = apphost + ".dll";
        var dotnet = NamespacedSpawner.Resolve("dotnet", NamespacedSpawner.DefaultEnvironment);
        return File.Exists(dll) && dotnet is not null ? [dotnet, dll] : null;
    }

    public Task<BackendInstance> CreateAsync(InstanceSpec spec, CancellationToken cancellationToken)
    {
        // A process-tender guest claimed for this id (UnikernelWarmPool.TryClaim) is used if the spec fits it; otherwise
        // it is taken down first (its objects carry the id), whatever this create does.
        var warm = SptPool.Take(spec.Id);
        try
        {
            return Task.FromResult(Create(spec, ref warm));
        }
        finally
        {
            if (warm is { } unused)
            {
                SptPool.Remove(spec.Id, unused);
            }
        }
    }

    private BackendInstance Create(InstanceSpec spec, ref ProcessIdentity? warm)
    {
        if (GuestImages.AppFor(spec.Argv) is not { } app)
        {
            throw new LightNfvException(ErrorKind.Invalid,
                $"spec.app: the unikernel runs only the VNFs compiled into its guest (builtin: iperf3-server or tcp-echo), not '{string.Join(' ', spec.Argv)}'; use app.builtin");
        }
        var memory = (ulong)spec.Resources.MemoryMiB << 20;
        if (memory < GuestLayout.MinMemory || memory > GuestLayout.MaxMemory)
        {
            throw new LightNfvException(ErrorKind.Invalid, $"spec.resources.memoryMiB: a unikernel takes 2 to 1024 MiB, not {spec.Resources.MemoryMiB}");
        }
        if (ChooseAccel(spec.Accel) == AccelProcess)
        {
            if (warm is { } tender && TestGuest is null && SptWarmPool.Fits(spec))
            {
                warm = null;
                return WarmProcess(spec, app, memory - memory % GuestLayout.TwoMiB, tender);
            }
            if (warm is { } unfit)
            {
                warm = null;
                SptPool.Remove(spec.Id, unfit);
            }
            return CreateProcess(spec, app, memory - memory % GuestLayout.TwoMiB);
        }
        if (warm is { } other)
        {
            warm = null;
            SptPool.Remove(spec.Id, other); // before the monitor's guest writes its console into the same run directory
        }
        EnsureMonitor();
        // No run directory yet: the monitor makes it with the console log, on the guest's first write (most never write).
        var image = GuestImages.Guest;
        return new BackendInstance(spec.Id, Technology, new InstanceFacts
        {
            Address = spec.Network.Address,
            RunDirectory = spec.RunDirectory,
            Image = new ImageFacts(image, _imageBytes.Value, null),
        }, new UnikernelState { Accel = AccelKvm, MemoryBytes = memory - memory % GuestLayout.TwoMiB, App = app.App, Port = app.Port });
    }

    public Task<BackendInstance> StartAsync(InstanceSpec spec, BackendInstance instance, CancellationToken cancellationToken)
    {
        var started = StartGuest(spec, instance);
        InstanceLimits.ApplyBandwidth(host, started, spec.Resources);
        return Task.FromResult(started);
    }

    /// <summary>
    /// Live, for the process tender: its cgroup's CPU quota, cpuset and pids, and the tap's bandwidth. The guest's memory
    /// is fixed when the tender maps it (the guest can neither take more nor give any back), so memoryMiB must stay; the
    /// KVM monitor holds every guest in one process, where no per-guest cgroup exists.
    /// </summary>
    public Task<BackendInstance> ResizeAsync(BackendInstance instance, ResourceSpec resources, CancellationToken cancellationToken)
    {
        if (!IsProcess(instance))
        {
            throw new LightNfvException(ErrorKind.Unavailable,
                $"instance {instance.Id} runs under the unikernel KVM monitor, which holds every guest in one process with no cgroup per guest: its limits cannot change live; change spec.resources and restart it");
        }
        var guest = UnikernelState.Of(instance).MemoryBytes;
        var asked = (ulong)resources.MemoryMiB << 20;
        if (asked - asked % GuestLayout.TwoMiB != guest)
        {
            throw new LightNfvException(ErrorKind.Unavailable,
                $"memoryMiB: a unikernel's memory is fixed when its tender maps it ({guest >> 20} MiB; the guest can neither take more nor give any back): keep memoryMiB at {guest >> 20} for a live resize, or change spec.resources and restart it");
        }
        return Task.FromResult(InstanceLimits.ResizeInCgroup(host, instance, resources, TenderHeadroomBytes + (long)guest - ((long)resources.MemoryMiB << 20)));
    }

    private BackendInstance StartGuest(InstanceSpec spec, BackendInstance instance)
    {
        if (IsProcess(instance))
        {
            return StartProcess(spec, instance);
        }
        bool warm;
        lock (_gate)
        {
            warm = _claimed.Remove(spec.Id);
        }
        var state = UnikernelState.Of(instance);
        var reply = Request(MonitorMessage.Of("create",
            ("id", spec.Id), ("image", instance.Facts.Image?.Reference), ("memory", state.MemoryBytes),
            ("ip", spec.Network.Address), ("gateway", spec.Network.Gateway),
            ("mac", string.Join(':', NetworkAttachment.MacForInstance(spec.Id).Select(b => b.ToString("x2", CultureInfo.InvariantCulture)))),
            ("port", state.Port), ("app", state.App), ("tap", TapName(spec.Id)), ("console", spec.LogPath),
            ("warm", warm ? "1" : "0")));
        return instance with
        {
            State = state with { Tap = reply["tap"], Mac = reply["mac"], Monitor = (int)reply.Number("pid") },
        };
    }

    public static string TapName(string id) => "lnfuk" + id[..10];

    public Task<BackendInstance> StopAsync(BackendInstance instance, TimeSpan grace, CancellationToken cancellationToken)
    {
        if (IsProcess(instance))
        {
            StopProcess(instance);
            return Task.FromResult(instance with { Facts = instance.Facts with { Process = null }, State = UnikernelState.Of(instance) with { Tap = null } });
        }
        if (MonitorRunning())
        {
            Request(MonitorMessage.Of("destroy", ("id", instance.Id)));
        }
        return Task.FromResult(instance with { State = UnikernelState.Of(instance) with { Tap = null, Monitor = null } });
    }

    public Task DestroyAsync(BackendInstance instance, CancellationToken cancellationToken)
    {
        if (IsProcess(instance))
        {
            TeardownProcess(instance);
            return Task.CompletedTask;
        }
        if (MonitorRunning())
        {
            Request(MonitorMessage.Of("destroy", ("id", instance.Id)));
        }
        var runDir = instance.Facts.RunDirectory ?? host.RunDirectory(instance.Id);
        if (Directory.Exists(runDir))
        {
            Directory.Delete(runDir, recursive: true);
        }
        return Task.CompletedTask;
    }

    public InstanceObservation Inspect(BackendInstance instance)
    {
        if (IsProcess(instance))
        {
            return InspectProcess(instance);
        }
        IPAddress[] addresses = instance.Facts.Address is { } a ? [a] : [];
        if (UnikernelState.Of(instance).Monitor is null)
        {
            return new InstanceObservation(ObservedState.Stopped, null, null, addresses, null);
        }
        var s = MonitorRunning() ? MonitorClient.TrySend(SocketPath, MonitorMessage.Of("stats", ("id", instance.Id))) : null;
        if (s is null || s["state"] is null or "missing")
        {
            return new InstanceObservation(ObservedState.Missing, null, null, addresses, s is null ? "the unikernel monitor host is not running" : "the monitor host does not know this guest");
        }
        var started = DateTimeOffset.FromUnixTimeMilliseconds((long)s.Number("started"));
        var pid = (int)s.Number("pid");
        return s["state"] == nameof(GuestState.Running)
            ? new InstanceObservation(ObservedState.Running, pid, started, addresses, null)
            : new InstanceObservation(ObservedState.Exited, null, started, addresses, s["detail"] ?? "ended");
    }

    /// <summary>
    /// Memory is the guest's resident RAM (pages it touched, by mincore) plus what preparing it added to the monitor
    /// host's RSS (vCPU thread, kvm_run, buffers): what this instance costs the host, without the monitor's shared runtime.
    /// </summary>
    public InstanceStats Stats(BackendInstance instance)
    {
        if (IsProcess(instance))
        {
            return StatsProcess(instance);
        }
        var s = MonitorRunning() ? MonitorClient.TrySend(SocketPath, MonitorMessage.Of("stats", ("id", instance.Id))) : null;
        if (s is null)
        {
            return new InstanceStats(DateTimeOffset.UtcNow, 0, 0, null, 0, 0, 0, 0, 0);
        }
        var running = s["state"] == nameof(GuestState.Running);
        return new InstanceStats(DateTimeOffset.UtcNow, s.Number("cpu"), s.Number("guestMemory") + s.Number("hostMemory"),
            UnikernelState.Of(instance) is { MemoryBytes: > 0 } state ? state.MemoryBytes : null, running ? 1UL : 0,
            s.Number("rxBytes"), s.Number("txBytes"), s.Number("rxPackets"), s.Number("txPackets"))
        {
            SpoofedFramesDropped = host.SpoofedFramesDropped(UnikernelState.Of(instance).Tap ?? instance.Facts.HostLink),
        };
    }

    public IReadOnlyList<string> ShutdownHostServices()
    {
        var removed = new List<string>();
        var pid = ReadPid();
        if (MonitorClient.TrySend(SocketPath, MonitorMessage.Of("shutdown")) is { } reply)
        {
            removed.Add($"unikernel monitor host (pid {pid?.Pid.ToString(CultureInfo.InvariantCulture) ?? "?"}, {reply["guests"]} guest(s), {reply["pooled"]} warm)");
        }
        if (pid is { } p)
        {
            if (!ProcessSignals.WaitForExit(p, TimeSpan.FromSeconds(5)))
            {
                ProcessSignals.Send(p, Libc_SIGKILL);
                ProcessSignals.WaitForExit(p, TimeSpan.FromSeconds(2));
            }
            ChildReaper.Reap(p, TimeSpan.FromSeconds(1));
        }
        lock (_gate)
        {
            _monitorUp = false;
        }
        if (Directory.Exists(MonitorDirectory))
        {
            Directory.Delete(MonitorDirectory, recursive: true);
        }
        return removed;
    }

    private const int Libc_SIGKILL = 9;

    private ProcessIdentity? ReadPid() =>
        File.Exists(PidPath) ? ProcessIdentity.Parse(File.ReadAllText(PidPath).Trim()) : null;

    private bool MonitorRunning() => File.Exists(SocketPath);

    internal MonitorMessage Request(MonitorMessage message)
    {
        EnsureMonitor();
        return MonitorClient.Send(SocketPath, message);
    }

    /// <summary>Starts the monitor host on first use (in the lab namespace, in its own session), once per state directory.</summary>
    internal void EnsureMonitor()
    {
        lock (_gate)
        {
            if (_monitorUp && File.Exists(SocketPath))
            {
                return;
            }
            Directory.CreateDirectory(MonitorDirectory);
            using var lockFile = RunLock.AcquireOn(MonitorDirectory);
            if (MonitorClient.TrySend(SocketPath, MonitorMessage.Of("ping")) is not null)
            {
                _monitorUp = true;
                return;
            }
            var command = HostCommand() ?? throw new LightNfvException(ErrorKind.Unavailable, $"{HostExecutable} is missing beside the LightNFV assemblies; rebuild LightNFV");
            var setsid = NamespacedSpawner.Resolve("setsid", NamespacedSpawner.DefaultEnvironment);
            string[] argv = [.. setsid is null ? [] : new[] { setsid }, .. command, "--socket", SocketPath, "--lab", host.Options.LabNamespace, "--subnet", host.Options.Subnet];
            var pid = NamespacedSpawner.SpawnTo(argv[0], argv, LogPath, host.Lab.Namespace);
            var identity = ProcessIdentity.Of(pid) ?? new ProcessIdentity(pid, 0);
            File.WriteAllText(PidPath, identity.ToString());
            var deadline = Environment.TickCount64 + (long)StartTimeout.TotalMilliseconds;
            while (MonitorClient.TrySend(SocketPath, MonitorMessage.Of("ping")) is null)
            {
                if (!identity.IsAlive || Environment.TickCount64 > deadline)
                {
                    var log = File.Exists(LogPath) ? File.ReadAllText(LogPath).Trim() : "";
                    throw new LightNfvException(ErrorKind.Host, $"the unikernel monitor host did not start; {LogPath} says: {(log.Length > 500 ? log[^500..] : log)}");
                }
                Thread.Sleep(10);
            }
            _monitorUp = true;
        }
    }

    internal string ClaimId()
    {
        var id = InstanceId.New();
        lock (_gate)
        {
            _claimed.Add(id);
        }
        return id;
    }
}
