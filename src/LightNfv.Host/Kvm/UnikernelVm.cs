using System.Diagnostics;
using System.Globalization;
using LightNfv.Host.Native;
using LightNfv.Host.Network;

namespace LightNfv.Host.Kvm;

/// <summary>
/// One running unikernel: a <see cref="KvmMachine"/>, its tap, its console log and the one vCPU thread that runs it
/// and serves its hypercalls. Nothing is shared with other guests but the process: a guest that faults ends only
/// itself (its VM and tap are released, the reason and registers go to its console log).
/// </summary>
public sealed unsafe partial class UnikernelVm : IDisposable
{
    private const int MaxFrame = 1514;
    private const long MaxConsoleBytes = 1 << 20;

    private readonly KvmMachine _machine;
    private readonly TapDevice _tap;
    private readonly FileDescriptor _wake;
    private FileStream? _console;
    private Logs.LogIndexWriter? _consoleIndex;
    private readonly object _consoleGate = new();
    private readonly MemoryStream _earlyConsole = new();
    private string? _consolePath;

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
            _consoleIndex?.Dispose();
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
