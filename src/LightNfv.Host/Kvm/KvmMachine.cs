using System.Text;
using LightNfv.Core.Errors;
using LightNfv.Host.Native;

namespace LightNfv.Host.Kvm;

/// <summary>A port-I/O exit as kvm_run reports it.</summary>
public readonly record struct IoExit(byte Direction, byte Size, ushort Port, uint Count, uint Value);

/// <summary>
/// One single-vCPU KVM virtual machine with one memory slot at guest-physical 0, entered directly in 64-bit long mode
/// (no firmware, no real mode): the monitor writes the page tables and GDT and sets the registers. All file
/// descriptors and mappings are SafeHandles, released by <see cref="Dispose"/>.
/// </summary>
public sealed unsafe class KvmMachine : IDisposable
{
    public const string DevicePath = "/dev/kvm";
    private static readonly object Gate = new();
    private static FileDescriptor? _kvm;
    private static int _runSize;

    private readonly FileDescriptor _vm, _vcpu;
    private readonly MappedMemory _run;

    private KvmMachine(FileDescriptor vm, FileDescriptor vcpu, MappedMemory memory, MappedMemory run)
    {
        _vm = vm;
        _vcpu = vcpu;
        Memory = memory;
        _run = run;
    }

    public MappedMemory Memory { get; }

    /// <summary>Bytes of the vCPU's shared kvm_run mapping (part of the monitor's per-guest memory).</summary>
    public ulong RunMappingBytes => _run.Length;

    /// <summary>
    /// Whether /dev/kvm is PVM's (kvm_pvm bound, no hardware-virtualization module): a nested, software module that
    /// emulates every instruction of a guest that does not speak its ABI, about 1 µs each. Guests boot, but their data
    /// path runs hundreds of times slower than natively.
    /// </summary>
    public static bool Emulated { get; } =
        Directory.Exists("/sys/module/kvm_pvm") && !Directory.Exists("/sys/module/kvm_intel") && !Directory.Exists("/sys/module/kvm_amd");

    /// <summary>Why KVM is unusable here, or null (checked once: the device, its API version).</summary>
    public static string? Problem()
    {
        if (!File.Exists(DevicePath))
        {
            return $"{DevicePath} is missing (no KVM: load kvm_intel/kvm_amd, or run on a host with virtualization)";
        }
        try
        {
            _ = System();
            return null;
        }
        catch (LightNfvException e)
        {
            return e.Message;
        }
    }

    /// <summary>The process-wide /dev/kvm descriptor (one for every machine; VM creation is the per-guest cost).</summary>
    private static FileDescriptor System()
    {
        lock (Gate)
        {
            if (_kvm is not null)
            {
                return _kvm;
            }
            var kvm = FileDescriptor.Open(DevicePath, Libc.O_RDWR);
            var version = Libc.ioctl(kvm, KvmUapi.KVM_GET_API_VERSION, 0);
            if (version != 12)
            {
                kvm.Dispose();
                throw new LightNfvException(ErrorKind.Unavailable, $"{DevicePath} speaks KVM API {version}, LightNFV needs 12");
            }
            _runSize = Errno.Check(Libc.ioctl(kvm, KvmUapi.KVM_GET_VCPU_MMAP_SIZE, 0), "KVM_GET_VCPU_MMAP_SIZE");
            _kvm = kvm;
            return kvm;
        }
    }

    /// <summary>Creates the VM, its memory (mapped lazily: untouched pages cost nothing) and its vCPU.</summary>
    public static KvmMachine Create(ulong memorySize)
    {
        var kvm = System();
        FileDescriptor? vm = null, vcpu = null;
        MappedMemory? memory = null, run = null;
        try
        {
            vm = new FileDescriptor(Errno.Check(Libc.ioctl(kvm, KvmUapi.KVM_CREATE_VM, 0), "KVM_CREATE_VM"));
            memory = MappedMemory.Anonymous(memorySize);
            var region = new KvmUapi.UserMemoryRegion { Slot = 0, GuestPhysAddr = 0, MemorySize = memorySize, UserspaceAddr = (ulong)memory.Pointer };
            Errno.Check(Libc.ioctl(vm, KvmUapi.KVM_SET_USER_MEMORY_REGION, &region), "KVM_SET_USER_MEMORY_REGION");
            vcpu = new FileDescriptor(Errno.Check(Libc.ioctl(vm, KvmUapi.KVM_CREATE_VCPU, 0), "KVM_CREATE_VCPU"));
            run = MappedMemory.OfDescriptor(vcpu, (ulong)_runSize);
            return new KvmMachine(vm, vcpu, memory, run);
        }
        catch
        {
            run?.Dispose();
            vcpu?.Dispose();
            memory?.Dispose();
            vm?.Dispose();
            throw;
        }
    }

    /// <summary>Guest memory as a span (guest-physical 0 at index 0).</summary>
    public Span<byte> GuestMemory => new(Memory.Pointer, (int)Memory.Length);

    /// <summary>
    /// Writes page tables, GDT, the image and the boot info page, then points the vCPU at the image's entry in long
    /// mode with RDI = boot info and RSP just under 1 MiB.
    /// </summary>
    public void Boot(ElfImage image, ReadOnlySpan<byte> bootInfo)
    {
        var mem = GuestMemory;
        GuestLayout.Write(mem, Memory.Length);
        image.Load(mem);
        bootInfo.CopyTo(mem[(int)GuestLayout.BootInfo..]);

        KvmUapi.Sregs s;
        Errno.Check(Libc.ioctl(_vcpu, KvmUapi.KVM_GET_SREGS, &s), "KVM_GET_SREGS");
        GuestLayout.Apply(ref s);
        Errno.Check(Libc.ioctl(_vcpu, KvmUapi.KVM_SET_SREGS, &s), "KVM_SET_SREGS");
        var r = new KvmUapi.Regs { Rip = image.Entry, Rsp = GuestLayout.StackTop - 8, Rdi = GuestLayout.BootInfo, Rflags = 2 };
        Errno.Check(Libc.ioctl(_vcpu, KvmUapi.KVM_SET_REGS, &r), "KVM_SET_REGS");
    }

    /// <summary>Runs the vCPU until its next exit. A signal (or <see cref="RequestExit"/>) returns <see cref="KvmExit.Intr"/>.</summary>
    public KvmExit Run()
    {
        if (Libc.ioctl(_vcpu, KvmUapi.KVM_RUN, 0) < 0)
        {
            var e = Errno.Last;
            if (e is Libc.EINTR or Libc.EAGAIN)
            {
                _run.Pointer[KvmUapi.RunImmediateExit] = 0;
                return KvmExit.Intr;
            }
            throw Errno.Error("KVM_RUN", e);
        }
        return (KvmExit)(*(uint*)(_run.Pointer + KvmUapi.RunExitReason));
    }

    /// <summary>The current exit's port I/O (valid after <see cref="KvmExit.Io"/>).</summary>
    public IoExit Io
    {
        get
        {
            var u = _run.Pointer + KvmUapi.RunUnion;
            var offset = *(ulong*)(u + 8);
            var value = offset + 4 <= _run.Length ? *(uint*)(_run.Pointer + offset) : 0;
            return new IoExit(u[0], u[1], *(ushort*)(u + 2), *(uint*)(u + 4), value);
        }
    }

    /// <summary>Makes the next (or the current, once signalled) KVM_RUN return at once.</summary>
    public void RequestExit() => Volatile.Write(ref _run.Pointer[KvmUapi.RunImmediateExit], 1);

    /// <summary>Extra words kvm_run carries for an internal error or a failed entry.</summary>
    public string ExitDetail(KvmExit exit)
    {
        var u = _run.Pointer + KvmUapi.RunUnion;
        return exit switch
        {
            KvmExit.InternalError => $"suberror {*(uint*)u}, data [{string.Join(", ", Enumerable.Range(0, (int)Math.Min(*(uint*)(u + 4), 16)).Select(i => "0x" + (*(ulong*)(u + 8 + 8 * i)).ToString("x", null)))}]",
            KvmExit.FailEntry => $"hardware entry failure reason 0x{*(ulong*)u:x}",
            _ => "",
        };
    }

    /// <summary>The vCPU's registers as a readable dump (for the console log of a failed guest).</summary>
    public string DumpRegisters()
    {
        var sb = new StringBuilder();
        KvmUapi.Regs r;
        KvmUapi.Sregs s;
        if (Libc.ioctl(_vcpu, KvmUapi.KVM_GET_REGS, &r) < 0 || Libc.ioctl(_vcpu, KvmUapi.KVM_GET_SREGS, &s) < 0)
        {
            return $"registers unavailable: {Errno.Describe(Errno.Last)}";
        }
        sb.Append(FormattableString.Invariant($"RIP={r.Rip:x16} RSP={r.Rsp:x16} RFLAGS={r.Rflags:x8}\n"));
        sb.Append(FormattableString.Invariant($"RAX={r.Rax:x16} RBX={r.Rbx:x16} RCX={r.Rcx:x16} RDX={r.Rdx:x16}\n"));
        sb.Append(FormattableString.Invariant($"RSI={r.Rsi:x16} RDI={r.Rdi:x16} RBP={r.Rbp:x16} R8 ={r.R8:x16}\n"));
        sb.Append(FormattableString.Invariant($"R9 ={r.R9:x16} R10={r.R10:x16} R11={r.R11:x16} R12={r.R12:x16}\n"));
        sb.Append(FormattableString.Invariant($"R13={r.R13:x16} R14={r.R14:x16} R15={r.R15:x16}\n"));
        sb.Append(FormattableString.Invariant($"CR0={s.Cr0:x16} CR2={s.Cr2:x16} CR3={s.Cr3:x16} CR4={s.Cr4:x16} EFER={s.Efer:x}\n"));
        sb.Append(FormattableString.Invariant($"CS={s.Cs.Selector:x4} SS={s.Ss.Selector:x4} GDT={s.Gdt.Base:x}/{s.Gdt.Limit:x} IDT={s.Idt.Base:x}/{s.Idt.Limit:x}\n"));
        return sb.ToString();
    }

    public void Dispose()
    {
        _run.Dispose();
        _vcpu.Dispose();
        Memory.Dispose();
        _vm.Dispose();
    }
}
