using System.Buffers.Binary;
using LightNfv.Host.Kvm;

namespace LightNfv.Host.Tests.Kvm;

public sealed class GuestLayoutTests
{
    private static ulong At(byte[] mem, ulong address) => BinaryPrimitives.ReadUInt64LittleEndian(mem.AsSpan((int)address));

    [Fact]
    public void The_identity_map_covers_guest_memory_in_2_MiB_pages_and_nothing_more()
    {
        var mem = new byte[1 << 20];
        GuestLayout.Write(mem, 64UL << 20);

        At(mem, GuestLayout.Pml4).ShouldBe(GuestLayout.Pdpt | 0x3, "PML4[0] -> PDPT, present and writable");
        At(mem, GuestLayout.Pml4 + 8).ShouldBe(0UL);
        At(mem, GuestLayout.Pdpt).ShouldBe(GuestLayout.PageDirectory | 0x3);
        for (ulong i = 0; i < 32; i++)
        {
            At(mem, GuestLayout.PageDirectory + i * 8).ShouldBe(i * GuestLayout.TwoMiB | 0x83, $"PD[{i}] maps {i * 2} MiB as a 2 MiB page");
        }
        At(mem, GuestLayout.PageDirectory + 32 * 8).ShouldBe(0UL, "memory past the guest's is not mapped: a stray access faults");
    }

    [Fact]
    public void The_gdt_has_a_flat_64_bit_code_segment_and_a_data_segment_at_the_selectors_the_registers_use()
    {
        var mem = new byte[1 << 20];
        GuestLayout.Write(mem, 2UL << 20);
        At(mem, GuestLayout.Gdt).ShouldBe(0UL, "entry 0 is the null descriptor");
        At(mem, GuestLayout.Gdt + GuestLayout.CodeSelector).ShouldBe(0x00AF9B000000FFFFUL, "present ring-0 code, L=1 (64-bit), G=1");
        At(mem, GuestLayout.Gdt + GuestLayout.DataSelector).ShouldBe(0x00CF93000000FFFFUL, "present ring-0 writable data, D/B=1, G=1");
    }

    [Fact]
    public void Special_registers_enter_long_mode_with_paging_on_those_tables()
    {
        var s = default(KvmUapi.Sregs);
        GuestLayout.Apply(ref s);
        (s.Cr0 & 0x80000001).ShouldBe(0x80000001UL, "PE and PG");
        (s.Cr4 & 0x20).ShouldBe(0x20UL, "PAE");
        (s.Efer & 0x500).ShouldBe(0x500UL, "LME and LMA");
        s.Cr3.ShouldBe(GuestLayout.Pml4);
        s.Cs.L.ShouldBe((byte)1);
        s.Cs.Selector.ShouldBe(GuestLayout.CodeSelector);
        s.Ss.Selector.ShouldBe(GuestLayout.DataSelector);
        s.Gdt.Base.ShouldBe(GuestLayout.Gdt);
        s.Idt.Limit.ShouldBe((ushort)0, "no IDT: any exception is a triple fault the monitor reports");
    }

    [Theory]
    [InlineData(1UL << 20)]
    [InlineData(3UL << 20)]
    [InlineData(2UL << 30)]
    public void Memory_sizes_the_layout_cannot_map_are_refused(ulong size) =>
        Should.Throw<ArgumentOutOfRangeException>(() => GuestLayout.Write(new byte[1 << 20], size));

    [Fact]
    public void Kvm_structures_have_the_kernel_abi_sizes() =>
        (System.Runtime.InteropServices.Marshal.SizeOf<KvmUapi.Regs>(), System.Runtime.InteropServices.Marshal.SizeOf<KvmUapi.Sregs>(),
            System.Runtime.InteropServices.Marshal.SizeOf<KvmUapi.Segment>()).ShouldBe((144, 312, 24));

    [Fact]
    public void Boot_info_is_laid_out_as_the_guest_reads_it()
    {
        var b = new BootInfo([10, 72, 0, 5], [10, 72, 0, 1], [2, 0x4e, 1, 2, 3, 4], 5201, 1).ToBytes(64UL << 20);
        b.Length.ShouldBe(BootInfo.Size);
        BinaryPrimitives.ReadUInt64LittleEndian(b).ShouldBe(BootInfo.Magic);
        BinaryPrimitives.ReadUInt64LittleEndian(b.AsSpan(8)).ShouldBe(64UL << 20);
        b.AsSpan(16, 4).ToArray().ShouldBe(new byte[] { 10, 72, 0, 5 });
        b.AsSpan(20, 4).ToArray().ShouldBe(new byte[] { 10, 72, 0, 1 });
        b.AsSpan(24, 6).ToArray().ShouldBe(new byte[] { 2, 0x4e, 1, 2, 3, 4 });
        BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(30)).ShouldBe((ushort)5201);
        BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(32)).ShouldBe((ushort)1);
    }
}
