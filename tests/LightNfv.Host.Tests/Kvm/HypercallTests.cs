using System.Buffers.Binary;
using LightNfv.Host.Kvm;

namespace LightNfv.Host.Tests.Kvm;

public sealed class HypercallTests
{
    [Theory]
    [InlineData(0x500, HypercallKind.Console)]
    [InlineData(0x501, HypercallKind.Send)]
    [InlineData(0x502, HypercallKind.Wait)]
    [InlineData(0x503, HypercallKind.Exit)]
    public void A_4_byte_out_to_a_hypercall_port_carries_the_argument_address(ushort port, HypercallKind kind) =>
        Hypercall.Decode(direction: 1, size: 4, port, count: 1, value: 0x1234).ShouldBe(new Hypercall(kind, 0x1234));

    [Theory]
    [InlineData(0, 4, 0x500, 1)]   // in, not out
    [InlineData(1, 1, 0x500, 1)]   // outb
    [InlineData(1, 4, 0x504, 1)]   // unknown port
    [InlineData(1, 4, 0x3f8, 1)]   // a serial port
    [InlineData(1, 4, 0x501, 2)]   // rep outs
    public void Any_other_port_io_is_not_a_hypercall(byte direction, byte size, ushort port, uint count) =>
        Hypercall.Decode(direction, size, port, count, 0).ShouldBeNull();

    [Fact]
    public void Argument_blocks_have_the_abi_sizes() =>
        (Hypercall.ArgumentSize(HypercallKind.Console), Hypercall.ArgumentSize(HypercallKind.Send), Hypercall.ArgumentSize(HypercallKind.Wait), Hypercall.ArgumentSize(HypercallKind.Exit))
            .ShouldBe((16, 16, 56, 8));

    [Fact]
    public void Checksum_offload_fills_ip_and_tcp_checksums_that_verify()
    {
        var f = new byte[14 + 20 + 20 + 5];
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(12), 0x0800);
        f[14] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(16), 45);
        f[22] = 64; f[23] = 6;
        new byte[] { 10, 72, 0, 5, 10, 72, 0, 1 }.CopyTo(f, 26);
        f[14 + 20 + 12] = 0x50;
        "hello"u8.CopyTo(f.AsSpan(54));
        FrameChecksums.Fill(f);

        FrameChecksums.Finish(FrameChecksums.Sum(f.AsSpan(14, 20), 0)).ShouldBe((ushort)0, "the IPv4 header sums to all ones");
        var pseudo = FrameChecksums.Sum(f.AsSpan(26, 8), 0) + 6u + 25u;
        FrameChecksums.Finish(FrameChecksums.Sum(f.AsSpan(34), pseudo)).ShouldBe((ushort)0, "the TCP segment with its pseudo header sums to all ones");
    }

    [Fact]
    public void Checksum_offload_leaves_non_ip_frames_alone()
    {
        var arp = new byte[42];
        BinaryPrimitives.WriteUInt16BigEndian(arp.AsSpan(12), 0x0806);
        arp[20] = 7;
        FrameChecksums.Fill(arp);
        arp.Count(b => b != 0).ShouldBe(3, "the EtherType (2 bytes) and the one byte set; no checksum written");
    }
}
