using System.Buffers.Binary;
using LightNfv.Host.Netlink;

namespace LightNfv.Host.Tests.Netlink;

public class NetlinkMessageTests
{
    [Fact]
    public void Header_carries_length_type_flags_and_sequence()
    {
        var bytes = new NetlinkMessage(NetlinkConstants.RTM_NEWLINK, NetlinkConstants.NLM_F_REQUEST | NetlinkConstants.NLM_F_ACK)
            .IfInfo(index: 7, flags: 1, change: 1)
            .Finish(42).ToArray();

        bytes.Length.ShouldBe(16 + 16);
        BinaryPrimitives.ReadUInt32LittleEndian(bytes).ShouldBe(32u);
        BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(4)).ShouldBe(NetlinkConstants.RTM_NEWLINK);
        BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(6)).ShouldBe((ushort)(NetlinkConstants.NLM_F_REQUEST | NetlinkConstants.NLM_F_ACK));
        BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(8)).ShouldBe(42u);
        BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(20)).ShouldBe(7);
    }

    [Fact]
    public void String_attributes_are_nul_terminated_and_padded_to_four_bytes()
    {
        var bytes = new NetlinkMessage(NetlinkConstants.RTM_NEWLINK, 0).Attr(NetlinkConstants.IFLA_IFNAME, "eth0").Finish(1).ToArray();

        // header 16 + nlattr 4 + "eth0\0" 5 = 25, padded to 28
        bytes.Length.ShouldBe(28);
        BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(16)).ShouldBe((ushort)9); // nla_len counts the payload, not the padding
        bytes[24].ShouldBe((byte)0);
        bytes[25..28].ShouldAllBe(b => b == 0);
    }

    [Fact]
    public void Nested_attributes_cover_their_children_and_carry_the_nested_flag()
    {
        var bytes = new NetlinkMessage(NetlinkConstants.RTM_NEWLINK, 0)
            .BeginNested(NetlinkConstants.IFLA_LINKINFO)
                .Attr(NetlinkConstants.IFLA_INFO_KIND, "veth")
                .BeginNested(NetlinkConstants.IFLA_INFO_DATA)
                    .Attr(NetlinkConstants.IFLA_MTU, 1500u)
                .EndNested()
            .EndNested()
            .Finish(1).ToArray();

        var outer = bytes.AsSpan(16);
        var outerLen = BinaryPrimitives.ReadUInt16LittleEndian(outer);
        BinaryPrimitives.ReadUInt16LittleEndian(outer[2..]).ShouldBe((ushort)(NetlinkConstants.IFLA_LINKINFO | NetlinkConstants.NLA_F_NESTED));
        outerLen.ShouldBe((ushort)(bytes.Length - 16));
        // kind "veth\0" = 4 + 5 -> 12 padded; inner nest = 4 + (4 + 4) = 12
        var inner = outer[(4 + 12)..];
        BinaryPrimitives.ReadUInt16LittleEndian(inner).ShouldBe((ushort)12);
        BinaryPrimitives.ReadUInt16LittleEndian(inner[2..]).ShouldBe((ushort)(NetlinkConstants.IFLA_INFO_DATA | NetlinkConstants.NLA_F_NESTED));
        BinaryPrimitives.ReadUInt32LittleEndian(inner[8..]).ShouldBe(1500u);
    }

    [Fact]
    public void NextAttribute_walks_padded_attributes_and_stops_at_a_length_that_does_not_fit()
    {
        // A 5-byte payload (padded to 8) of type 1 with the nested flag set, a 4-byte one of type 2, then a header
        // claiming 64 bytes in a message that has 8 left.
        byte[] buffer = [9, 0, 0x01, 0x80, 1, 2, 3, 4, 5, 0, 0, 0, 8, 0, 2, 0, 0xa, 0, 0, 1, 64, 0, 3, 0, 0, 0, 0, 0];
        ReadOnlySpan<byte> attrs = buffer;

        NetlinkMessage.NextAttribute(ref attrs, out var type, out var payload).ShouldBeTrue();
        type.ShouldBe(1);
        payload.ToArray().ShouldBe(new byte[] { 1, 2, 3, 4, 5 });
        NetlinkMessage.NextAttribute(ref attrs, out type, out payload).ShouldBeTrue();
        type.ShouldBe(2);
        payload.ToArray().ShouldBe(new byte[] { 0xa, 0, 0, 1 });
        NetlinkMessage.NextAttribute(ref attrs, out _, out _).ShouldBeFalse();
    }
}
