using System.Runtime.InteropServices;

namespace LightNfv.Host.Kvm;

/// <summary>
/// The /dev/kvm ioctl numbers and the structures they pass and mmap, as the kernel's uapi (linux/kvm.h, x86-64) lays
/// them out. The calls themselves (ioctl, mmap) are in Native/Libc.cs with every other libc call.
/// </summary>
internal static unsafe class KvmUapi
{
    // _IO(0xAE, n) and _IOW/_IOR with the structure's size encoded in bits 16-29.
    public const ulong KVM_GET_API_VERSION = 0xAE00, KVM_CREATE_VM = 0xAE01, KVM_GET_VCPU_MMAP_SIZE = 0xAE04, KVM_CHECK_EXTENSION = 0xAE03;
    public const ulong KVM_CREATE_VCPU = 0xAE41, KVM_SET_USER_MEMORY_REGION = 0x4020AE46, KVM_RUN = 0xAE80;
    public const ulong KVM_GET_REGS = 0x8090AE81, KVM_SET_REGS = 0x4090AE82, KVM_GET_SREGS = 0x8138AE83, KVM_SET_SREGS = 0x4138AE84;

    [StructLayout(LayoutKind.Sequential)]
    public struct UserMemoryRegion
    {
        public uint Slot, Flags;
        public ulong GuestPhysAddr, MemorySize, UserspaceAddr;
    }

    /// <summary>struct kvm_regs (144 bytes).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Regs
    {
        public ulong Rax, Rbx, Rcx, Rdx, Rsi, Rdi, Rsp, Rbp, R8, R9, R10, R11, R12, R13, R14, R15, Rip, Rflags;
    }

    /// <summary>struct kvm_segment (24 bytes).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Segment
    {
        public ulong Base;
        public uint Limit;
        public ushort Selector;
        public byte Type, Present, Dpl, Db, S, L, G, Avl, Unusable, Padding;
    }

    /// <summary>struct kvm_dtable (16 bytes).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct DTable
    {
        public ulong Base;
        public ushort Limit;
        public ushort Pad0, Pad1, Pad2;
    }

    /// <summary>struct kvm_sregs (312 bytes).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Sregs
    {
        public Segment Cs, Ds, Es, Fs, Gs, Ss, Tr, Ldt;
        public DTable Gdt, Idt;
        public ulong Cr0, Cr2, Cr3, Cr4, Cr8, Efer, ApicBase;
        public fixed ulong InterruptBitmap[4];
    }

    // kvm_run: exit_reason at 8, the exit's union at 32.
    public const int RunImmediateExit = 1, RunExitReason = 8, RunUnion = 32;
}

/// <summary>Why KVM_RUN returned (linux/kvm.h KVM_EXIT_*).</summary>
public enum KvmExit : uint
{
    Unknown = 0, Exception = 1, Io = 2, Hypercall = 3, Debug = 4, Hlt = 5, Mmio = 6, IrqWindowOpen = 7, Shutdown = 8,
    FailEntry = 9, Intr = 10, SetTpr = 11, TprAccess = 12, Nmi = 16, InternalError = 17, SystemEvent = 24,
}
