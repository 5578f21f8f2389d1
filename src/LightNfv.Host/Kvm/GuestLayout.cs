using System.Buffers.Binary;

namespace LightNfv.Host.Kvm;

/// <summary>
/// Where the monitor puts what a long-mode guest needs before its first instruction (guest-physical addresses),
/// and the code that writes it. Mirrors guest/unikernel/abi.h. Everything below 1 MiB except the boot info page is
/// the guest's stack; the guest image is linked at 1 MiB.
/// </summary>
public static class GuestLayout
{
    public const ulong Gdt = 0x1000, Pml4 = 0x2000, Pdpt = 0x3000, PageDirectory = 0x4000, BootInfo = 0x5000;
    public const ulong StackTop = 0x100000, ImageBase = 0x100000;
    public const ulong TwoMiB = 2UL << 20;
    /// <summary>One page directory maps 1 GiB in 2 MiB pages: the most guest memory this layout supports.</summary>
    public const ulong MaxMemory = 1UL << 30;
    public const ulong MinMemory = 2UL << 20;

    public const ushort CodeSelector = 0x08, DataSelector = 0x10;

    // Page-table entry bits: present, writable, page size (2 MiB leaf).
    private const ulong Present = 1, Writable = 2, PageSize = 0x80;

    // CR0.PE|ET|NE|WP|PG, CR4.PAE, EFER.LME|LMA.
    public const ulong Cr0 = 0x1 | 0x10 | 0x20 | 0x10000 | 0x80000000, Cr4 = 0x20, Efer = 0x100 | 0x400;

    /// <summary>
    /// Writes the identity map of <paramref name="memorySize"/> bytes (PML4 -> one PDPT entry -> 2 MiB pages) and a
    /// three-entry GDT (null, 64-bit code, data). Writes only 3 pages plus 8 bytes per 2 MiB, into zeroed memory.
    /// </summary>
    public static void Write(Span<byte> memory, ulong memorySize)
    {
        if (memorySize < MinMemory || memorySize > MaxMemory || memorySize % TwoMiB != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(memorySize), $"guest memory must be a multiple of 2 MiB between 2 MiB and 1 GiB, not {memorySize}");
        }
        BinaryPrimitives.WriteUInt64LittleEndian(memory[(int)Pml4..], Pdpt | Present | Writable);
        BinaryPrimitives.WriteUInt64LittleEndian(memory[(int)Pdpt..], PageDirectory | Present | Writable);
        for (ulong i = 0; i < memorySize / TwoMiB; i++)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(memory[(int)(PageDirectory + i * 8)..], i * TwoMiB | Present | Writable | PageSize);
        }
        BinaryPrimitives.WriteUInt64LittleEndian(memory[(int)(Gdt + CodeSelector)..], GdtEntry(code: true));
        BinaryPrimitives.WriteUInt64LittleEndian(memory[(int)(Gdt + DataSelector)..], GdtEntry(code: false));
    }

    /// <summary>A flat descriptor: base 0, limit 4 GiB, present, ring 0; code is 64-bit (L), data is writable.</summary>
    public static ulong GdtEntry(bool code)
    {
        ulong limitLow = 0xFFFF, limitHigh = 0xF;
        var access = code ? 0x9BUL : 0x93UL; // P | S | type (code: execute/read, accessed; data: read/write, accessed)
        var flags = code ? 0xAUL : 0xCUL;   // G | L for code, G | D/B for data
        return limitLow | (access << 40) | (limitHigh << 48) | (flags << 52);
    }

    /// <summary>The special registers for direct entry into long mode with the tables <see cref="Write"/> made.</summary>
    internal static void Apply(ref KvmUapi.Sregs s)
    {
        var code = new KvmUapi.Segment { Base = 0, Limit = 0xFFFFFFFF, Selector = CodeSelector, Type = 0xB, Present = 1, Dpl = 0, Db = 0, S = 1, L = 1, G = 1 };
        var data = new KvmUapi.Segment { Base = 0, Limit = 0xFFFFFFFF, Selector = DataSelector, Type = 0x3, Present = 1, Dpl = 0, Db = 1, S = 1, L = 0, G = 1 };
        s.Cs = code;
        s.Ds = s.Es = s.Fs = s.Gs = s.Ss = data;
        s.Gdt = new KvmUapi.DTable { Base = Gdt, Limit = 3 * 8 - 1 };
        // No IDT: any exception becomes a triple fault, which the monitor reports as the guest's failure.
        s.Idt = new KvmUapi.DTable { Base = 0, Limit = 0 };
        s.Cr0 = Cr0;
        s.Cr3 = Pml4;
        s.Cr4 = Cr4;
        s.Efer = Efer;
    }
}
