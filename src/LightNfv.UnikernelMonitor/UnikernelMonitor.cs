using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using LightNfv.Backends.Unikernel;
using LightNfv.Core.Errors;
using LightNfv.Core.Networking;
using LightNfv.Host.Kvm;
using LightNfv.Host.Network;
using LightNfv.Host.Processes;

namespace LightNfv.UnikernelMonitor;

/// <summary>
/// The long-lived process that hosts every unikernel's vCPU (`lnfv-ukhost`): a .NET process start costs ~30 ms
/// here, so the monitor is started once, on first use (like the docker backend's private dockerd), and then serves
/// create/destroy/stats requests over a unix socket in about a tenth of a millisecond. It runs inside the lab network
/// namespace, so it makes taps directly. Each guest is its own VM, tap and vCPU thread: one guest's fault ends only
/// that guest. Requests are served one at a time on one thread (they are short), so no state needs a lock.
/// </summary>
internal sealed class UnikernelMonitor : IDisposable
{
    private sealed record Guest(UnikernelVm Vm, IPAddress Address, string Tap);

    private readonly LabNetwork _lab;
    private readonly Socket _listener;
    private readonly string _socketPath;
    private readonly Dictionary<string, Guest> _guests = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Image, ulong Memory), Queue<(UnikernelVm Vm, string Tap)>> _pool = new();
    private readonly Dictionary<string, (DateTime Stamp, ElfImage Image)> _images = new(StringComparer.Ordinal);
    private int _tapCounter;

    /// <summary>
    /// Frames a tap holds for its guest. Under a readiness probe's SYN flood (128 SYNs in flight, paced down to one per
    /// ms) an emulated guest on a busy host may take a millisecond per frame; with at most 48 frames queued the SYN it
    /// answers is always one whose socket is still open. 48 holds the guest's whole 32 KB receive window of segments
    /// (22), so iperf3 loses nothing to it.
    /// </summary>
    private const int TapQueueFrames = 48;
    private static readonly TimeSpan ParkTimeout = TimeSpan.FromSeconds(5);
    private bool _running = true;

    private UnikernelMonitor(LabNetwork lab, Socket listener, string socketPath)
    {
        _lab = lab;
        _listener = listener;
        _socketPath = socketPath;
    }

    /// <summary>The entry point of lnfv-ukhost: --socket PATH --lab NAME --subnet CIDR.</summary>
    public static int Main(string[] args)
    {
        string? Arg(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
        var socketPath = Arg("--socket");
        var labName = Arg("--lab");
        var subnet = Arg("--subnet");
        if (socketPath is null || labName is null || subnet is null)
        {
            Console.Error.WriteLine("usage: lnfv-ukhost --socket PATH --lab NAME --subnet CIDR (started by the unikernel backend)");
            return 2;
        }
        MemoryLock.KeepTouchedPagesResident(); // it hosts vCPUs for hours: its code must not be paged out between claims
        try
        {
            using var host = Open(socketPath, labName, subnet);
            Console.Error.WriteLine($"lnfv-ukhost {Environment.ProcessId}: serving {socketPath} for lab {labName}");
            host.Serve();
            return 0;
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"lnfv-ukhost: {e.Message}");
            return 1;
        }
    }

    public static UnikernelMonitor Open(string socketPath, string labName, string subnet)
    {
        var lab = LabNetwork.Open(labName, AddressPool.Parse(subnet));
        Socket? listener = null;
        try
        {
            File.Delete(socketPath);
            listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            listener.Bind(new UnixDomainSocketEndPoint(socketPath));
            listener.Listen(64);
            return new UnikernelMonitor(lab, listener, socketPath);
        }
        catch
        {
            listener?.Dispose();
            lab.Dispose();
            throw;
        }
    }

    public void Serve()
    {
        var buffer = new byte[4096];
        while (_running)
        {
            using var connection = _listener.Accept();
            try
            {
                var n = 0;
                while (n < buffer.Length && (n == 0 || buffer[n - 1] != (byte)'\n'))
                {
                    var r = connection.Receive(buffer.AsSpan(n));
                    if (r == 0)
                    {
                        break;
                    }
                    n += r;
                }
                if (n == 0)
                {
                    continue;
                }
                MonitorMessage reply;
                try
                {
                    reply = Handle(MonitorMessage.Parse(Encoding.UTF8.GetString(buffer, 0, n)));
                }
                catch (Exception e) when (e is LightNfvException or FormatException or IOException or InvalidDataException or ArgumentException or InvalidOperationException)
                {
                    reply = MonitorMessage.Of("error", ("kind", e is LightNfvException l ? l.Kind.ToString() : nameof(ErrorKind.Invalid)), ("message", e.Message));
                }
                connection.Send(Encoding.UTF8.GetBytes(reply + "\n"));
            }
            catch (SocketException)
            {
                // The client went away mid-request: nothing to answer.
            }
        }
    }

    private MonitorMessage Handle(MonitorMessage request) => request.Verb switch
    {
        "ping" => Ping(request["collect"] == "1"),
        "create" => Create(request),
        "destroy" => Destroy(request.Require("id")),
        "stats" => Stats(request.Require("id")),
        "prepare" => Prepare(request),
        "available" => MonitorMessage.Of("ok", ("count", Available(request.Require("image"), request.Number("memory")))),
        "drain" => MonitorMessage.Of("ok", ("count", Drain())),
        "shutdown" => Shutdown(),
        _ => throw new FormatException($"unknown request '{request.Verb}'"),
    };

    /// <summary>Liveness, and with collect=1 a full garbage collection first (leak checks compare RSS).</summary>
    private MonitorMessage Ping(bool collect)
    {
        if (collect)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
        }
        return MonitorMessage.Of("ok", ("pid", Environment.ProcessId), ("guests", _guests.Count), ("pooled", _pool.Values.Sum(q => q.Count)));
    }

    private ElfImage Image(string path)
    {
        var stamp = File.GetLastWriteTimeUtc(path);
        if (_images.TryGetValue(path, out var cached) && cached.Stamp == stamp)
        {
            return cached.Image;
        }
        var image = ElfImage.Read(path);
        _images[path] = (stamp, image);
        return image;
    }

    private static byte[] ParseMac(string text) => text.Split(':').Select(h => byte.Parse(h, NumberStyles.HexNumber, CultureInfo.InvariantCulture)).ToArray();

    private static string FormatMac(byte[] mac) => string.Join(':', mac.Select(b => b.ToString("x2", CultureInfo.InvariantCulture)));

    private static ulong RssBytes()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                return ulong.Parse(line.AsSpan(6).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture) * 1024;
            }
        }
        return 0;
    }

    /// <summary>Makes a tap and a VM parked at its first wait, and records what it cost the monitor's own memory.</summary>
    private (UnikernelVm Vm, string Tap) NewGuest(ElfImage image, ulong memory, string tapName, IPAddress? address, byte[] mac)
    {
        var before = RssBytes();
        var tap = _lab.CreateTap(tapName, address, mac, nonBlocking: true, callerInLab: true);
        try
        {
            tap.SetQueueLength(TapQueueFrames);
        }
        catch
        {
            tap.Dispose();
            throw;
        }
        var vm = UnikernelVm.Prepare(image, memory, tap, mac);
        var after = RssBytes();
        vm.HostOverheadBytes = after > before ? after - before : 0;
        return (vm, tapName);
    }

    private MonitorMessage Create(MonitorMessage r)
    {
        var id = r.Require("id");
        if (_guests.ContainsKey(id))
        {
            throw new LightNfvException(ErrorKind.Conflict, $"unikernel {id} already runs in this monitor");
        }
        var imagePath = r.Require("image");
        var memory = r.Number("memory");
        var address = IPAddress.Parse(r.Require("ip"));
        var boot = new BootInfo(address.GetAddressBytes(), IPAddress.Parse(r.Require("gateway")).GetAddressBytes(),
            ParseMac(r.Require("mac")), (ushort)r.Number("port"), (ushort)r.Number("app"));
        var warm = r["warm"] == "1" && _pool.TryGetValue((imagePath, memory), out var q) && q.Count > 0 ? q.Dequeue() : ((UnikernelVm, string)?)null;
        UnikernelVm vm;
        string tap;
        if (warm is { } w)
        {
            // The tap and the VM exist already: the guest needs only its neighbour entry and identity.
            (vm, tap) = w;
            try
            {
                _lab.AddTapNeighbour(tap, address, vm.Mac);
            }
            catch
            {
                vm.Dispose();
                throw;
            }
        }
        else
        {
            (vm, tap) = NewGuest(Image(imagePath), memory, r.Require("tap"), address, boot.Mac);
        }
        try
        {
            vm.Bind(id, boot, r.Require("console"));
        }
        catch
        {
            vm.Dispose();
            _lab.DeleteTap(tap, address);
            throw;
        }
        _guests[id] = new Guest(vm, address, tap);
        return MonitorMessage.Of("ok", ("tap", tap), ("mac", FormatMac(vm.Mac)), ("warm", warm is null ? "0" : "1"), ("pid", Environment.ProcessId));
    }

    private MonitorMessage Destroy(string id)
    {
        if (_guests.Remove(id, out var g))
        {
            var vm = g.Vm;
            // One line per guest in the monitor's log (not on any timed path): how it ended and what it did.
            Console.Error.WriteLine($"guest {id}: {vm.State} {vm.Detail} rx {vm.RxPackets} tx {vm.TxPackets} frames, cpu {vm.CpuNanoseconds / 1e6:0.0} ms");
            g.Vm.Dispose();
            _lab.DeleteTap(g.Tap, g.Address);
        }
        return MonitorMessage.Of("ok", ("removed", g is null ? "0" : "1"));
    }

    private MonitorMessage Stats(string id)
    {
        if (!_guests.TryGetValue(id, out var g))
        {
            return MonitorMessage.Of("ok", ("state", "missing"), ("pid", Environment.ProcessId));
        }
        var vm = g.Vm;
        return MonitorMessage.Of("ok",
            ("state", vm.State.ToString()), ("pid", Environment.ProcessId), ("started", vm.StartedAt.ToUnixTimeMilliseconds()),
            ("cpu", vm.CpuNanoseconds), ("guestMemory", vm.ResidentBytes), ("hostMemory", vm.State == GuestState.Running ? vm.HostOverheadBytes : 0),
            ("rxBytes", vm.RxBytes), ("txBytes", vm.TxBytes), ("rxPackets", vm.RxPackets), ("txPackets", vm.TxPackets),
            ("tap", g.Tap), ("detail", vm.Detail));
    }

    private MonitorMessage Prepare(MonitorMessage r)
    {
        var imagePath = r.Require("image");
        var memory = r.Number("memory");
        var target = (int)Math.Min(r.Number("count", 1), 64);
        var image = Image(imagePath);
        if (!_pool.TryGetValue((imagePath, memory), out var q))
        {
            _pool[(imagePath, memory)] = q = new Queue<(UnikernelVm, string)>();
        }
        var made = 0;
        while (q.Count < target)
        {
            var n = Interlocked.Increment(ref _tapCounter);
            // Locally administered MAC and a tap name unique to this monitor and slot.
            var mac = new byte[] { 0x02, 0x4c, (byte)(Environment.ProcessId >> 8), (byte)Environment.ProcessId, (byte)(n >> 8), (byte)n };
            var guest = NewGuest(image, memory, $"lnfuk{Environment.ProcessId % 100000:x5}{n % 0xFFFFF:x5}", null, mac);
            // Pooled only once booted to its first wait: a claim must not pay for the rest of a boot.
            if (!guest.Vm.WaitParked(ParkTimeout))
            {
                var detail = guest.Vm.Detail;
                guest.Vm.Dispose();
                _lab.DeleteTap(guest.Tap, null);
                throw new LightNfvException(ErrorKind.Host, $"a warm unikernel guest did not boot to its first wait within {ParkTimeout.TotalSeconds:0} s: {detail ?? "no detail"}");
            }
            q.Enqueue(guest);
            made++;
        }
        if (made > 0)
        {
            // Preparing is off the instantiation path: collect now, so that no pause of this process (which stops
            // every vCPU thread) lands on a claim's few milliseconds because preparing filled the young generation.
            GC.Collect();
        }
        return MonitorMessage.Of("ok", ("made", made), ("count", q.Count));
    }

    private int Available(string image, ulong memory) => _pool.TryGetValue((image, memory), out var q) ? q.Count : 0;

    private int Drain()
    {
        var n = 0;
        foreach (var q in _pool.Values)
        {
            while (q.TryDequeue(out var slot))
            {
                slot.Vm.Dispose();
                _lab.DeleteTap(slot.Tap, null);
                n++;
            }
        }
        return n;
    }

    private MonitorMessage Shutdown()
    {
        var guests = _guests.Count;
        foreach (var id in _guests.Keys.ToList())
        {
            Destroy(id);
        }
        var pooled = Drain();
        _running = false;
        return MonitorMessage.Of("ok", ("guests", guests), ("pooled", pooled));
    }

    public void Dispose()
    {
        foreach (var id in _guests.Keys.ToList())
        {
            Destroy(id);
        }
        Drain();
        _listener.Dispose();
        File.Delete(_socketPath);
        _lab.Dispose();
    }
}
