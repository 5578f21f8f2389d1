using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using LightNfv.Host.Native;
using LightNfv.Host.Network;

namespace LightNfv.Host.Kvm;

/// <summary>What a guest is doing, as its monitor sees it.</summary>
public enum GuestState
{
    Running,
    /// <summary>The guest asked to exit (HC_EXIT) or was stopped.</summary>
    Exited,
    /// <summary>Triple fault, emulation failure, bad hypercall: the guest is gone, its register dump is in the console log.</summary>
    Failed,
}

/// <summary>The boot info page's fields (guest/unikernel/abi.h struct boot_info).</summary>
public sealed record BootInfo(byte[] Address, byte[] Gateway, byte[] Mac, ushort Port, ushort App)
{
    public const ulong Magic = 0x31304b55564e4c4cUL;
    public const int Size = 40;

    public byte[] ToBytes(ulong memorySize)
    {
        var b = new byte[Size];
        BinaryPrimitives.WriteUInt64LittleEndian(b, Magic);
        BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(8), memorySize);
        Address.CopyTo(b, 16);
        Gateway.CopyTo(b, 20);
        Mac.CopyTo(b, 24);
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(30), Port);
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(32), App);
        return b;
    }
}

/// <summary>
/// One running unikernel: a <see cref="KvmMachine"/>, its tap, its console log and the one vCPU thread that runs it
/// and serves its hypercalls. Nothing is shared with other guests but the process: a guest that faults ends only
/// itself (its VM and tap are released, the reason and registers go to its console log).
/// </summary>
public sealed unsafe class UnikernelVm : IDisposable
{
    private const int MaxFrame = 1514;
    private const long MaxConsoleBytes = 1 << 20;

    private readonly KvmMachine _machine;
    private readonly TapDevice _tap;
    private readonly FileDescriptor _wake;
    private FileStream? _console;
    private readonly object _consoleGate = new();
    private readonly MemoryStream _earlyConsole = new();
    private string? _consolePath;

    /// <summary>Opens the console log, writing first what the guest wrote before it had one (its boot in the pool).</summary>
    private FileStream OpenConsole()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(_consolePath!)!);
        var console = new FileStream(_consolePath!, FileMode.Append, FileAccess.Write, FileShare.ReadWrite, 1, FileOptions.None);
        console.Write(_earlyConsole.ToArray());
        console.Flush();
        _earlyConsole.SetLength(0);
        _console = console;
        return console;
    }
    private readonly Thread _thread;
    private long _startTimestamp;
    // Set by Bind (or Stop); the parked vCPU thread is woken through the eventfd, so nothing waits on this flag itself.
    private volatile bool _bound;
    // Set when the guest reaches its first wait (or ends before it): a warm pool hands out only parked guests.
    private readonly ManualResetEventSlim _parked = new();
    private readonly ulong _memorySize;
    private readonly byte[] _frame = new byte[2048];
    private volatile bool _stopping;
    private int _tid;
    private long _consoleBytes;

    private UnikernelVm(KvmMachine machine, TapDevice tap, FileDescriptor wake, ulong memorySize, byte[] mac)
    {
        _machine = machine;
        _tap = tap;
        _wake = wake;
        _memorySize = memorySize;
        Mac = mac;
        _startTimestamp = Stopwatch.GetTimestamp();
        // Small stack: the loop needs little, and every guest pays for its thread.
        _thread = new Thread(Loop, 256 * 1024) { IsBackground = true, Name = "vcpu" };
    }

    /// <summary>The instance this guest serves; null while it waits in a warm pool.</summary>
    public string? Id { get; private set; }

    /// <summary>The guest's MAC (the tap's bridge FDB entry names it).</summary>
    public byte[] Mac { get; }

    /// <summary>Bytes of the monitor's own memory this guest costs (measured by the host when it prepared it).</summary>
    public ulong HostOverheadBytes { get; set; }
    public GuestState State { get; private set; } = GuestState.Running;
    public string? Detail { get; private set; }
    public DateTimeOffset StartedAt { get; private set; } = DateTimeOffset.UtcNow;
    public string TapName => _tap.Name;

    public ulong RxBytes, TxBytes, RxPackets, TxPackets;

    /// <summary>Raised on the vCPU thread when the guest ends by itself (exit or failure).</summary>
    public event Action<UnikernelVm>? Ended;

    /// <summary>
    /// Creates the VM, loads the image and starts the vCPU thread, which runs the guest's boot up to its first network
    /// wait and parks there until <see cref="Bind"/> gives it an identity (what a warm pool keeps ready). Takes
    /// ownership of <paramref name="tap"/> (closed if this fails).
    /// </summary>
    public static UnikernelVm Prepare(ElfImage image, ulong memorySize, TapDevice tap, byte[] mac)
    {
        KvmMachine? machine = null;
        FileDescriptor? wake = null;
        try
        {
            machine = KvmMachine.Create(memorySize);
            // The boot info page is filled by Bind; the guest reads it only after its first wait returns.
            machine.Boot(image, new BootInfo(new byte[4], new byte[4], mac, 0, 0).ToBytes(memorySize));
            wake = new FileDescriptor(Errno.Check(Libc.eventfd(0, Libc.EFD_CLOEXEC | Libc.EFD_NONBLOCK), "eventfd"));
            var vm = new UnikernelVm(machine, tap, wake, memorySize, mac);
            vm._thread.Start();
            return vm;
        }
        catch
        {
            wake?.Dispose();
            machine?.Dispose();
            tap.Dispose();
            throw;
        }
    }

    /// <summary>Gives a prepared guest its instance, address and console log, and lets it run.</summary>
    public void Bind(string id, BootInfo boot, string consolePath)
    {
        if (Id is not null)
        {
            throw new InvalidOperationException($"guest already serves instance {Id}");
        }
        Id = id;
        lock (_consoleGate)
        {
            // Opened on the guest's first write (most never write): no file work on the instantiation path.
            _consolePath = consolePath;
            if (_earlyConsole.Length > 0)
            {
                OpenConsole();
            }
        }
        lock (_lifecycle)
        {
            // A guest that already failed (in the pool, or at once) has no memory left to write to.
            if (_released == 0)
            {
                (boot with { Mac = Mac }).ToBytes(_memorySize).CopyTo(_machine.GuestMemory[(int)GuestLayout.BootInfo..]);
            }
        }
        StartedAt = DateTimeOffset.UtcNow;
        _bound = true;
        lock (_lifecycle)
        {
            if (_released == 0)
            {
                ulong one = 1;
                Libc.write(_wake.Value, &one, 8); // the parked vCPU thread waits on this eventfd
            }
        }
    }

    /// <summary>Prepare and bind at once: everything on the caller's clock (a cold start).</summary>
    public static UnikernelVm Start(string id, ElfImage image, ulong memorySize, BootInfo boot, TapDevice tap, string consolePath)
    {
        var vm = Prepare(image, memorySize, tap, boot.Mac);
        try
        {
            vm.Bind(id, boot, consolePath);
            return vm;
        }
        catch
        {
            vm.Dispose();
            throw;
        }
    }

    /// <summary>Nanoseconds since the guest started: the guest's only clock.</summary>
    private ulong Now => (ulong)((Stopwatch.GetTimestamp() - _startTimestamp) * (1_000_000_000.0 / Stopwatch.Frequency));

    /// <summary>CPU time of the vCPU thread (emulation included), from the scheduler's accounting.</summary>
    public ulong CpuNanoseconds
    {
        get
        {
            try
            {
                var text = File.ReadAllText($"/proc/self/task/{_tid}/schedstat");
                return ulong.Parse(text.AsSpan(0, text.IndexOf(' ')), CultureInfo.InvariantCulture);
            }
            catch (Exception e) when (e is IOException or FormatException or ArgumentException)
            {
                return 0;
            }
        }
    }

    /// <summary>Guest pages in RAM plus the vCPU's kvm_run mapping; 0 once the guest is gone.</summary>
    public ulong ResidentBytes
    {
        get
        {
            lock (_lifecycle)
            {
                return _released == 0 && State == GuestState.Running ? _machine.Memory.ResidentBytes() + _machine.RunMappingBytes : 0;
            }
        }
    }

    private void Loop()
    {
        _tid = Libc.gettid();
        string? failure = null;
        try
        {
            while (!_stopping)
            {
                var exit = _machine.Run();
                switch (exit)
                {
                    case KvmExit.Io:
                        var io = _machine.Io;
                        if (Hypercall.Decode(io.Direction, io.Size, io.Port, io.Count, io.Value) is not { } call)
                        {
                            failure = $"unexpected port I/O: {(io.Direction == 1 ? "out" : "in")} size {io.Size} count {io.Count} port 0x{io.Port:x}";
                            break;
                        }
                        failure = Serve(call);
                        break;
                    case KvmExit.Intr:
                        continue;
                    case KvmExit.Shutdown:
                        failure = "triple fault (the guest took an exception it could not handle)";
                        break;
                    case KvmExit.Hlt:
                        failure = "halted with nothing to wake it";
                        break;
                    default:
                        failure = $"unexpected exit {exit} ({(uint)exit}) {_machine.ExitDetail(exit)}".TrimEnd();
                        break;
                }
                if (failure is not null || State != GuestState.Running)
                {
                    break;
                }
            }
        }
        catch (Exception e)
        {
            failure = "monitor error: " + e.Message;
        }
        _parked.Set(); // nobody waits for a park that will not come
        if (_stopping && failure is null)
        {
            return;
        }
        if (failure is not null)
        {
            var dump = _machine.DumpRegisters();
            Detail = "guest failed: " + failure;
            WriteConsole(Encoding.UTF8.GetBytes($"\nlightnfv monitor: guest {Id} failed: {failure}\n{dump}"));
            State = GuestState.Failed;
        }
        // The guest is over: give back its memory and tap now, not when someone destroys the instance.
        Release();
        Ended?.Invoke(this);
    }

    private string? Serve(Hypercall call)
    {
        var mem = _machine.GuestMemory;
        var size = Hypercall.ArgumentSize(call.Kind);
        if (call.Argument + (ulong)size > (ulong)mem.Length)
        {
            return $"hypercall {call.Kind} with its argument block at 0x{call.Argument:x}, outside guest memory";
        }
        var arg = mem.Slice((int)call.Argument, size);
        var memLength = (ulong)mem.Length;
        // Read on demand from the argument block (no allocation: this runs once per frame).
        static ulong Field(ReadOnlySpan<byte> block, int i) => BinaryPrimitives.ReadUInt64LittleEndian(block[(i * 8)..]);
        bool InMemory(ulong address, ulong length) => length <= memLength && address <= memLength - length;
        switch (call.Kind)
        {
            case HypercallKind.Console:
            {
                var (buf, len) = (Field(arg, 0), Math.Min(Field(arg, 1), 4096));
                if (!InMemory(buf, len))
                {
                    return "console write outside guest memory";
                }
                WriteConsole(mem.Slice((int)buf, (int)len));
                return null;
            }
            case HypercallKind.Send:
                return SendFrames(mem, Field(arg, 0), Field(arg, 1));
            case HypercallKind.Wait:
            {
                var (buf, cap, deadline) = (Field(arg, 0), Math.Min(Field(arg, 1), 65536), Field(arg, 2));
                if (!InMemory(buf, cap))
                {
                    return "receive buffer outside guest memory";
                }
                if (SendFrames(mem, Field(arg, 5), Field(arg, 6)) is { } sendFailure)
                {
                    return sendFailure;
                }
                _parked.Set();
                if (!_bound)
                {
                    // Parked in the warm pool: the guest has booted and waits for its identity.
                    ParkUntilBound();
                    if (_stopping)
                    {
                        return null;
                    }
                    _startTimestamp = Stopwatch.GetTimestamp();
                }
                var n = Receive(mem.Slice((int)buf, (int)cap), deadline);
                BinaryPrimitives.WriteUInt64LittleEndian(arg[24..], (ulong)n);
                BinaryPrimitives.WriteUInt64LittleEndian(arg[32..], Now);
                return null;
            }
            case HypercallKind.Exit:
                Detail = $"exited with code {Field(arg, 0)}";
                State = GuestState.Exited;
                return null;
            default:
                return $"unknown hypercall {call.Kind}";
        }
    }

    /// <summary>Sends the guest's queued frames (struct tx_desc array), filling checksums where asked.</summary>
    private string? SendFrames(Span<byte> mem, ulong descriptors, ulong count)
    {
        if (count == 0)
        {
            return null;
        }
        var memLength = (ulong)mem.Length;
        bool InMemory(ulong address, ulong length) => length <= memLength && address <= memLength - length;
        if (count > Hypercall.MaxTxFrames || !InMemory(descriptors, count * Hypercall.TxDescriptorSize))
        {
            return $"{count} transmit descriptors at 0x{descriptors:x}: over {Hypercall.MaxTxFrames} or outside guest memory";
        }
        for (var i = 0UL; i < count; i++)
        {
            var d = mem.Slice((int)(descriptors + i * Hypercall.TxDescriptorSize), Hypercall.TxDescriptorSize);
            ulong F(ReadOnlySpan<byte> block, int k) => BinaryPrimitives.ReadUInt64LittleEndian(block[(k * 8)..]);
            var (head, headLen, data, dataLen, flags) = (F(d, 0), F(d, 1), F(d, 2), F(d, 3), F(d, 4));
            if (headLen + dataLen > MaxFrame || !InMemory(head, headLen) || !InMemory(data, dataLen))
            {
                return $"send of {headLen}+{dataLen} bytes outside guest memory or over {MaxFrame}";
            }
            var frame = _frame.AsSpan(0, (int)(headLen + dataLen));
            mem.Slice((int)head, (int)headLen).CopyTo(frame);
            mem.Slice((int)data, (int)dataLen).CopyTo(frame[(int)headLen..]);
            if ((flags & 1) != 0)
            {
                FrameChecksums.Fill(frame);
            }
            try
            {
                _tap.Write(frame);
                TxBytes += (ulong)frame.Length;
                TxPackets++;
            }
            catch (Core.Errors.LightNfvException)
            {
                // A full or downed link drops the frame, as a NIC would; TCP retransmits.
            }
        }
        return null;
    }

    /// <summary>
    /// Blocks the vCPU thread in the kernel on the wake eventfd until <see cref="Bind"/> (or Stop) writes it. A managed
    /// wait here (ManualResetEventSlim) sometimes slept through the claim: a sched_switch trace showed the thread
    /// woken by a timer 5 ms after it parked instead of by the bind, in one warm claim of four or five.
    /// </summary>
    private void ParkUntilBound()
    {
        var fd = new Libc.PollFd { Fd = _wake.Value, Events = Libc.POLLIN };
        while (!_bound && !_stopping)
        {
            Libc.ppoll(&fd, 1, null, null);
        }
        ulong count;
        Libc.read(_wake.Value, &count, 8); // consumed (non-blocking eventfd): the guest's first receive blocks again
    }

    /// <summary>One frame into the guest's buffer: at once if one is queued, else after waiting until the deadline.</summary>
    private int Receive(Span<byte> buffer, ulong deadline)
    {
        var tapFd = _tap.Descriptor.Value;
        fixed (byte* p = buffer)
        {
            var n = Libc.read(tapFd, p, (nuint)buffer.Length);
            if (n > 0)
            {
                RxBytes += (ulong)n;
                RxPackets++;
                return (int)n;
            }
            var now = Now;
            if (deadline <= now || _stopping)
            {
                return 0;
            }
            var fds = stackalloc Libc.PollFd[2];
            fds[0] = new Libc.PollFd { Fd = tapFd, Events = Libc.POLLIN };
            fds[1] = new Libc.PollFd { Fd = _wake.Value, Events = Libc.POLLIN };
            Libc.TimeSpec ts;
            Libc.TimeSpec* timeout = null;
            if (deadline != ulong.MaxValue)
            {
                var wait = deadline - now;
                ts = new Libc.TimeSpec { Seconds = (long)(wait / 1_000_000_000), Nanoseconds = (long)(wait % 1_000_000_000) };
                timeout = &ts;
            }
            // Blocks the vCPU thread, not a core: an idle guest costs no CPU.
            if (Libc.ppoll(fds, 2, timeout, null) <= 0 || _stopping)
            {
                return 0;
            }
            n = Libc.read(tapFd, p, (nuint)buffer.Length);
            if (n > 0)
            {
                RxBytes += (ulong)n;
                RxPackets++;
                return (int)n;
            }
            return 0;
        }
    }

    private void WriteConsole(ReadOnlySpan<byte> bytes)
    {
        if (_consoleBytes + bytes.Length > MaxConsoleBytes)
        {
            return; // a chatty guest cannot fill the host's disk
        }
        _consoleBytes += bytes.Length;
        try
        {
            lock (_consoleGate)
            {
                if (_console is null && _consolePath is null)
                {
                    _earlyConsole.Write(bytes);
                    return;
                }
                _console ??= OpenConsole();
                _console.Write(bytes);
                _console.Flush();
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
        }
    }

    private int _released;
    // Orders Release (on the vCPU thread) against other threads touching guest memory, kvm_run or the eventfd.
    private readonly object _lifecycle = new();

    private void Release()
    {
        lock (_lifecycle)
        {
            if (Interlocked.Exchange(ref _released, 1) == 1)
            {
                return;
            }
        }
        _machine.Dispose();
        _tap.Dispose();
        _wake.Dispose();
        lock (_consoleGate)
        {
            _console?.Dispose();
        }
    }

    /// <summary>
    /// Waits until the guest has booted to its first network wait (the point a warm guest is parked at), so that a
    /// claim never pays for the rest of a boot. False if it did not get there in time or ended first.
    /// </summary>
    public bool WaitParked(TimeSpan timeout) => _parked.Wait(timeout) && State == GuestState.Running;

    /// <summary>Stops the vCPU (wakes it from a wait, or makes KVM_RUN return) and waits for its thread.</summary>
    public bool Stop(TimeSpan timeout)
    {
        _stopping = true;
        _bound = true;
        lock (_lifecycle)
        {
            if (_released == 0)
            {
                ulong one = 1;
                Libc.write(_wake.Value, &one, 8);
                _machine.RequestExit();
            }
        }
        if (_thread.ThreadState == System.Threading.ThreadState.Unstarted)
        {
            return true;
        }
        if (_thread.Join(TimeSpan.FromMilliseconds(50)))
        {
            return true;
        }
        // A guest that makes no hypercall never leaves KVM_RUN by itself: a signal makes KVM_RUN return EINTR
        // (immediate_exit, set above, keeps it from re-entering). The runtime's own activation signal is used: its
        // handler ignores a thread that is in native code, so nothing else happens.
        var deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        do
        {
            if (_tid != 0)
            {
                Libc.tgkill(Environment.ProcessId, _tid, ActivationSignal);
            }
        }
        while (!_thread.Join(TimeSpan.FromMilliseconds(20)) && Environment.TickCount64 < deadline);
        return !_thread.IsAlive;
    }

    /// <summary>SIGRTMIN as glibc defines it (32 and 33 are NPTL's): .NET's thread activation signal.</summary>
    private const int ActivationSignal = 34;

    public void Dispose()
    {
        if (Stop(TimeSpan.FromSeconds(2)))
        {
            if (State == GuestState.Running)
            {
                State = GuestState.Exited;
                Detail = "stopped";
            }
            Release();
        }
    }
}
