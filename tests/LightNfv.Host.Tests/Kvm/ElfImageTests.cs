using System.Buffers.Binary;
using LightNfv.Host.Kvm;

namespace LightNfv.Host.Tests.Kvm;

public sealed class ElfImageTests
{
    /// <summary>A minimal static x86-64 executable: one PT_LOAD of 4 code bytes at 1 MiB with 16 bytes of .bss.</summary>
    private static byte[] Elf(ushort machine = 62, ulong paddr = 0x100000, ulong memsz = 20)
    {
        var b = new byte[64 + 56 + 4];
        b[0] = 0x7F; b[1] = (byte)'E'; b[2] = (byte)'L'; b[3] = (byte)'F';
        b[4] = 2; b[5] = 1; b[6] = 1;
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(16), 2);
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(18), machine);
        BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(24), paddr + 1);
        BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(32), 64);
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(54), 56);
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(56), 1);
        var ph = b.AsSpan(64);
        BinaryPrimitives.WriteUInt32LittleEndian(ph, 1);
        BinaryPrimitives.WriteUInt64LittleEndian(ph[8..], 120);
        BinaryPrimitives.WriteUInt64LittleEndian(ph[16..], paddr);
        BinaryPrimitives.WriteUInt64LittleEndian(ph[24..], paddr);
        BinaryPrimitives.WriteUInt64LittleEndian(ph[32..], 4);
        BinaryPrimitives.WriteUInt64LittleEndian(ph[40..], memsz);
        b[120] = 0xF4; b[121] = 0xEB; b[122] = 0xFE; b[123] = 0x90;
        return b;
    }

    [Fact]
    public void A_static_executable_loads_its_segment_at_its_physical_address()
    {
        var image = ElfImage.Parse(Elf());
        image.Entry.ShouldBe(0x100001UL);
        image.Segments.ShouldHaveSingleItem().ShouldBe(new ElfSegment(0x100000, 120, 4, 20));
        image.End.ShouldBe(0x100014UL);
        var mem = new byte[2 << 20];
        image.Load(mem);
        mem.AsSpan(0x100000, 5).ToArray().ShouldBe(new byte[] { 0xF4, 0xEB, 0xFE, 0x90, 0 });
    }

    [Fact]
    public void Files_that_are_not_x86_64_executables_are_refused_with_the_reason()
    {
        Should.Throw<InvalidDataException>(() => ElfImage.Parse(new byte[100])).Message.ShouldContain("no ELF magic");
        Should.Throw<InvalidDataException>(() => ElfImage.Parse(Elf(machine: 183))).Message.ShouldContain("machine 183");
    }

    [Fact]
    public void A_segment_over_the_monitors_tables_or_past_memory_is_refused()
    {
        Should.Throw<InvalidDataException>(() => ElfImage.Parse(Elf(paddr: 0x2000)).Load(new byte[2 << 20])).Message.ShouldContain("outside");
        Should.Throw<InvalidDataException>(() => ElfImage.Parse(Elf(memsz: 4 << 20)).Load(new byte[2 << 20])).Message.ShouldContain("outside");
    }
}
