using System.Globalization;
using System.Net;
using LightNfv.Backends.Shared;
using LightNfv.Core.Backends;
using LightNfv.Core.Descriptors;
using LightNfv.Core.Errors;
using LightNfv.Core.Networking;
using LightNfv.Host.Processes;
using LightNfv.Images.Kernel;

namespace LightNfv.Backends.Vm;

/// <summary>What a VM backend boots: kernel, initrd or disk, command line, machine, and the bytes it counts as its image.</summary>
/// <param name="TbSizeMiB">TCG translation cache: small for a tiny guest (RSS), larger for a full distribution's boot.</param>
public sealed record VmBoot(string Kernel, string? Initrd, string? Disk, string Append, string Machine, bool Acpi, long ImageBytes, int TbSizeMiB, string Description);

/// <summary>
/// The QEMU driver both VM backends share. Create prepares the images (cached) and picks the accelerator; start makes
/// a tap on the lab bridge and hands its descriptor to QEMU (fd 3), which runs in its own session and outlives the CLI;
/// the tap is not persistent, so it vanishes with QEMU. Control and status go through the QMP socket in the run
/// directory; the guest's serial console is the instance's log. Pid and start time are recorded for re-adoption.
/// </summary>
public abstract partial class VmBackend(BackendContext host) : IBackend
{
    protected BackendContext Host => host;

    public abstract Technology Technology { get; }

    /// <summary>Makes (or finds in the cache) what the guest boots.</summary>
    protected abstract VmBoot Prepare(InstanceSpec spec, Action<string>? progress);

    /// <summary>The least guest RAM the image boots in (measured here): below it the kernel panics before the VNF runs.</summary>
    protected abstract int MinimumMemoryMiB { get; }

    /// <summary>What a guest needs that no smaller amount gives: {MinimumMemoryMiB} and the reason, for the error.</summary>
    protected abstract string MemoryNeed { get; }

    /// <summary>Whether the guest handles ACPI power-button events (system_powerdown); a guest that cannot is stopped with quit.</summary>
    protected abstract bool GracefulPowerdown { get; }

    /// <summary>The accelerator probe, shared by the VM backends of one host.</summary>
    protected AccelProbe Accel => _accel ??= new AccelProbe(KernelBuilder.DefaultCacheRoot);

    private AccelProbe? _accel;

    /// <summary>Progress lines for long first-use builds (kernel, disk image).</summary>
    public Action<string>? Progress { get; set; }

    public virtual BackendProbe Probe()
    {
        if (!LightNfv.Host.Processes.Privileges.IsRoot)
        {
            return BackendProbe.Missing("needs root (tap devices on the lab bridge); run as root or with sudo");
        }
        if (!File.Exists("/usr/bin/" + QemuCommand.Binary))
        {
            return BackendProbe.Missing($"{QemuCommand.Binary} is not installed; apt-get install qemu-system-x86");
        }
        if (!File.Exists("/dev/net/tun"))
        {
            return BackendProbe.Missing("/dev/net/tun is missing (tap devices); modprobe tun");
        }
        return BackendProbe.Ok(("vmm", QemuCommand.Binary), ("kvm", File.Exists("/dev/kvm") ? "present (used when it boots Linux, probed on first use)" : "absent: TCG"));
    }

    public Task<BackendInstance> CreateAsync(InstanceSpec spec, CancellationToken cancellationToken)
    {
        var runDir = spec.RunDirectory;
        var instance = new BackendInstance(spec.Id, Technology, new InstanceFacts
        {
            HostLink = BackendContext.HostLinkName(spec.Id),
            Address = spec.Network.Address,
            RunDirectory = runDir,
        }, new VmState());
        if (spec.Resources.MemoryMiB < MinimumMemoryMiB)
        {
            throw new LightNfvException(ErrorKind.Invalid,
                $"spec.resources.memoryMiB: {spec.Resources.MemoryMiB} MiB is too little for {Technology.ToName()} ({MemoryNeed}); give it at least {MinimumMemoryMiB}");
        }
        try
        {
            Directory.CreateDirectory(runDir);
            var boot = Prepare(spec, Progress);
            cancellationToken.ThrowIfCancellationRequested();
            var accel = AccelProbe.Decide(spec.Accel, () => Accel.Verdict(boot.Kernel, runDir));
            _ = host.Lab; // opened now so that start pays nothing for it
            return Task.FromResult(instance with
            {
                Facts = instance.Facts with { Image = new ImageFacts(null, boot.ImageBytes, null) },
                State = new VmState
                {
                    Accel = accel,
                    Machine = boot.Machine,
                    Kernel = boot.Kernel,
                    Initrd = boot.Initrd,
                    Disk = boot.Disk,
                    Append = boot.Append,
                    Acpi = boot.Acpi,
                    Boot = boot.Description,
                    TbSizeMiB = boot.TbSizeMiB,
                    MemoryMiB = spec.Resources.MemoryMiB,
                    Vcpus = spec.Resources.Vcpus,
                },
            });
        }
        catch
        {
            Teardown(instance);
            throw;
        }
    }

    public Task<BackendInstance> StartAsync(InstanceSpec spec, BackendInstance instance, CancellationToken cancellationToken)
    {
        var runDir = instance.Facts.RunDirectory!;
        var qmp = QmpPath(runDir);
        File.Delete(qmp);
        var address = instance.Facts.Address!;
        var state = VmState.Of(instance);
        var mac = NetworkAttachment.MacForInstance(instance.Id);
        var launch = new QemuLaunch
        {
            Name = "lightnfv-" + instance.Id,
            Machine = state.Machine!,
            Accel = state.Accel!,
            MemoryMiB = state.MemoryMiB,
            Vcpus = state.Vcpus,
            Kernel = state.Kernel!,
            Initrd = state.Initrd,
            Disk = state.Disk,
            Append = state.Append!,
            Acpi = state.Acpi,
            TbSizeMiB = state.TbSizeMiB ?? 32,
            TscKhz = HostTsc.Khz,
            Mac = mac,
            QmpSocket = qmp,
            ConsoleLog = spec.LogPath,
            RunAsUid = InstanceUser.UidOf(instance.Id),
        };
        ProcessIdentity qemu;
        // vnet header: QEMU's virtio-net passes checksum/segmentation offloads through it.
        using (var tap = host.Lab.CreateTap(instance.Facts.HostLink!, address, mac, vnetHeader: true))
        {
            qemu = NamespacedSpawner.SpawnDetached("/usr/bin/" + QemuCommand.Binary, QemuCommand.Build(launch), VmmLogPath(runDir), [tap.Descriptor.Value]);
        }
        // Our copy of the tap descriptor is closed: QEMU holds the last one, so the tap dies with QEMU.
        var started = instance with { Facts = instance.Facts with { Process = qemu } };
        // QEMU validates its arguments and opens the QMP socket in its first tens of ms: wait for that, so a bad launch
        // fails here with QEMU's message instead of as a readiness timeout.
        var deadline = Environment.TickCount64 + 10_000;
        while (!File.Exists(qmp))
        {
            if (!qemu.IsAlive || Environment.TickCount64 > deadline)
            {
                var why = File.Exists(VmmLogPath(runDir)) ? File.ReadAllText(VmmLogPath(runDir)).Trim() : "";
                Teardown(started, keepRunDirectory: true);
                throw new LightNfvException(ErrorKind.Host, $"QEMU did not start for instance {instance.Id}: {(why.Length > 0 ? why : "no output")}");
            }
            Thread.Sleep(1);
        }
        InstanceLimits.ApplyBandwidth(host, started, spec.Resources);
        return Task.FromResult(started);
    }

    /// <summary>
    /// Only the tap's bandwidth changes live. QEMU runs without a cgroup of its own here, and its guest's vCPUs and RAM
    /// are fixed at launch (no balloon or hotplug in these guests; a cgroup limit below what the guest holds would only
    /// get QEMU OOM-killed): vcpus, memoryMiB, pids and cpuset are refused with the way to change them.
    /// </summary>
    public Task<BackendInstance> ResizeAsync(BackendInstance instance, ResourceSpec resources, CancellationToken cancellationToken)
    {
        var state = VmState.Of(instance);
        if (resources.Vcpus != state.Vcpus || resources.MemoryMiB != state.MemoryMiB)
        {
            throw new LightNfvException(ErrorKind.Unavailable,
                $"{(resources.Vcpus != state.Vcpus ? "vcpus" : "memoryMiB")}: a {Technology.ToName()} guest's vCPUs and memory are fixed when QEMU starts it ({state.Vcpus} vCPU, {state.MemoryMiB} MiB; no balloon or CPU hotplug in its guest): only bandwidthMbps changes live; change spec.resources and restart it for the rest");
        }
        if (ProcessIdentity.From(instance.Facts.Process) is not { IsAlive: true } || instance.Facts.HostLink is not { } tap)
        {
            throw new LightNfvException(ErrorKind.State, $"instance {instance.Id} is not running; start it first");
        }
        host.Lab.SetPortBandwidth(tap, resources.BandwidthMbps);
        return Task.FromResult(instance);
    }

    public Task<BackendInstance> StopAsync(BackendInstance instance, TimeSpan grace, CancellationToken cancellationToken)
    {
        if (ProcessIdentity.From(instance.Facts.Process) is { } p && p.IsAlive)
        {
            ShutDown(instance, p, grace);
        }
        if (host.LabExists)
        {
            host.Lab.DeleteTap(instance.Facts.HostLink!, instance.Facts.Address);
        }
        return Task.FromResult(instance with { Facts = instance.Facts with { Process = null } });
    }

    /// <summary>
    /// Graceful first through QMP: system_powerdown for a guest that handles ACPI (systemd shuts down cleanly), quit
    /// otherwise (QEMU exits at once, the tap closes); SIGKILL if QEMU does not answer or outlives the grace.
    /// </summary>
    private void ShutDown(BackendInstance instance, ProcessIdentity qemu, TimeSpan grace)
    {
        try
        {
            using var qmp = QmpClient.Connect(QmpPath(instance.Facts.RunDirectory!), TimeSpan.FromSeconds(2));
            if (GracefulPowerdown && grace > TimeSpan.Zero)
            {
                qmp.Execute("system_powerdown");
                if (ProcessSignals.WaitForExit(qemu, grace))
                {
                    ChildReaper.Reap(qemu, TimeSpan.FromMilliseconds(200));
                    return;
                }
            }
            qmp.Execute("quit");
        }
        catch (Exception e) when (e is LightNfvException or IOException or System.Net.Sockets.SocketException)
        {
            // No answer: the signal below ends it.
        }
        if (!ProcessSignals.WaitForExit(qemu, TimeSpan.FromSeconds(3)))
        {
            ProcessSignals.Send(qemu, 9);
            ProcessSignals.WaitForExit(qemu, TimeSpan.FromSeconds(3));
        }
        ChildReaper.Reap(qemu, TimeSpan.FromMilliseconds(200));
    }

    public Task DestroyAsync(BackendInstance instance, CancellationToken cancellationToken)
    {
        Teardown(instance);
        return Task.CompletedTask;
    }

    private void Teardown(BackendInstance instance, bool keepRunDirectory = false)
    {
        if (ProcessIdentity.From(instance.Facts.Process) is { } p && p.IsAlive)
        {
            ShutDown(instance, p, TimeSpan.Zero);
        }
        var tap = instance.Facts.HostLink ?? BackendContext.HostLinkName(instance.Id);
        if (host.LabExists)
        {
            host.Lab.DeleteTap(tap, instance.Facts.Address);
        }
        var runDir = instance.Facts.RunDirectory ?? host.RunDirectory(instance.Id);
        if (!keepRunDirectory && Directory.Exists(runDir))
        {
            Directory.Delete(runDir, recursive: true);
        }
    }

    public InstanceObservation Inspect(BackendInstance instance)
    {
        IPAddress[] addresses = instance.Facts.Address is { } a ? [a] : [];
        var runDir = instance.Facts.RunDirectory;
        if (runDir is null || !Directory.Exists(runDir))
        {
            return new InstanceObservation(ObservedState.Missing, null, null, addresses, "its run directory is gone");
        }
        if (ProcessIdentity.From(instance.Facts.Process) is { } p)
        {
            if (p.IsAlive)
            {
                return new InstanceObservation(ObservedState.Running, p.Pid, p.StartedAt, addresses, null);
            }
            var log = VmmLogPath(runDir);
            var why = File.Exists(log) ? File.ReadAllText(log).Trim() : "";
            var console = InstanceSpec.LogPathIn(runDir);
            var panic = File.Exists(console) ? PanicIn(File.ReadAllText(console)) : null;
            return new InstanceObservation(ObservedState.Exited, null, p.StartedAt, addresses,
                (panic is not null ? $"the guest kernel panicked: {panic}" : "QEMU exited (the guest powered off or its VNF ended)") + (why.Length > 0 ? ": " + why : ""));
        }
        return new InstanceObservation(ObservedState.Stopped, null, null, addresses, null);
    }

    /// <summary>The reason of the first kernel panic in a console log ("System is deadlocked on memory"), or null (pure).</summary>
    public static string? PanicIn(string console)
    {
        const string marker = "Kernel panic - not syncing: ";
        var at = console.IndexOf(marker, StringComparison.Ordinal);
        if (at < 0)
        {
            return null;
        }
        var end = console.IndexOf('\n', at);
        return console[(at + marker.Length)..(end < 0 ? console.Length : end)].Trim();
    }

    /// <summary>
    /// QEMU's own counters. Memory is its private resident memory (RssAnon + RssShmem: guest RAM the guest touched,
    /// the TCG translation cache, QEMU's heap); the pages it maps from the QEMU binary and its libraries (~24 MB,
    /// shared by every QEMU on the host, like a container's shared libraries) are reported apart.
    /// </summary>
    public InstanceStats Stats(BackendInstance instance)
    {
        var memory = new ProcessMemory(0, 0, 0, 0);
        if (ProcessIdentity.From(instance.Facts.Process) is { } p && p.IsAlive)
        {
            memory = ReadProcess(p.Pid);
        }
        var link = host.LabExists ? host.Lab.HostLinkStats(instance.Facts.HostLink!) : null;
        // The tap counts in the opposite direction: what it transmits, the guest receives.
        return new InstanceStats(DateTimeOffset.UtcNow, (ulong)memory.CpuNanoseconds, (ulong)memory.PrivateBytes, null, 1,
            RxBytes: link?.TxBytes ?? 0, TxBytes: link?.RxBytes ?? 0, RxPackets: link?.TxPackets ?? 0, TxPackets: link?.RxPackets ?? 0)
        {
            SharedFileBytes = (ulong)memory.FileBytes,
            SpoofedFramesDropped = host.SpoofedFramesDropped(instance.Facts.HostLink),
        };
    }

    /// <summary>Resident memory of a process from /proc/PID/status, and its CPU time.</summary>
    public readonly record struct ProcessMemory(long RssBytes, long PrivateBytes, long FileBytes, long CpuNanoseconds);

    public static ProcessMemory ReadProcess(int pid)
    {
        long rss = 0, anon = 0, shmem = 0, file = 0, cpu = 0;
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                var c = line.IndexOf(':');
                if (c <= 0 || !line.EndsWith(" kB", StringComparison.Ordinal))
                {
                    continue;
                }
                var kb = long.Parse(line[(c + 1)..^3].Trim(), CultureInfo.InvariantCulture) * 1024;
                switch (line[..c])
                {
                    case "VmRSS": rss = kb; break;
                    case "RssAnon": anon = kb; break;
                    case "RssShmem": shmem = kb; break;
                    case "RssFile": file = kb; break;
                }
            }
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            cpu = (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) * 10_000_000;
        }
        catch (Exception e) when (e is IOException or FormatException)
        {
            // Gone between the check and the read.
        }
        return new ProcessMemory(rss, anon + shmem, file, cpu);
    }

    public static string QmpPath(string runDir) => Path.Combine(runDir, "qmp.sock");

    public static string VmmLogPath(string runDir) => Path.Combine(runDir, "qemu.log");
}
