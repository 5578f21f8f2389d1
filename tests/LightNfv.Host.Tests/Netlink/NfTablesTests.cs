using System.Buffers.Binary;
using System.Text;
using LightNfv.Host.Netlink;
using static LightNfv.Host.Netlink.NetlinkConstants;

namespace LightNfv.Host.Tests.Netlink;

public class NfTablesTests
{
    private static readonly byte[] Mac = [0x02, 0x4e, 0x29, 0x72, 0x04, 0x9c];

    /// <summary>The messages of a batch: (type, flags, seq, whole message).</summary>
    private static List<(ushort Type, ushort Flags, uint Seq, byte[] Bytes)> Split(byte[] batch)
    {
        var list = new List<(ushort, ushort, uint, byte[])>();
        var at = 0;
        while (at < batch.Length)
        {
            var len = (int)BinaryPrimitives.ReadUInt32LittleEndian(batch.AsSpan(at));
            list.Add((BinaryPrimitives.ReadUInt16LittleEndian(batch.AsSpan(at + 4)), BinaryPrimitives.ReadUInt16LittleEndian(batch.AsSpan(at + 6)),
                BinaryPrimitives.ReadUInt32LittleEndian(batch.AsSpan(at + 8)), batch[at..(at + len)]));
            at += NetlinkMessage.Align(len);
        }
        return list;
    }

    [Fact]
    public void Keys_pad_an_ifname_to_16_bytes_and_each_part_of_a_concatenation_to_4()
    {
        var name = NfTables.Key.Ifname("lnfv2972049cf7");
        name.Length.ShouldBe(16);
        Encoding.ASCII.GetString(name, 0, 14).ShouldBe("lnfv2972049cf7");
        name[14..].ShouldAllBe(b => b == 0);

        var key = NfTables.Key.Concat(name, Mac, [10, 81, 0, 2]);
        key.Length.ShouldBe(16 + 8 + 4); // the 6-byte MAC takes two registers
        key[16..22].ShouldBe(Mac);
        key[22..24].ShouldBe(new byte[2]);
        key[24..].ShouldBe(new byte[] { 10, 81, 0, 2 });

        Should.Throw<ArgumentException>(() => NfTables.Key.Ifname("sixteen-chars-xx")).Message.ShouldContain("longer than 15");
    }

    [Fact]
    public void A_batch_is_begin_one_acked_message_per_change_and_end_with_the_nftables_subsystem()
    {
        var seq = 100u;
        var key = NfTables.Key.Ifname("p1");
        var batch = NfTables.EncodeBatch(NFPROTO_BRIDGE, "t",
            [SetElementChange.Removing("guarded", key), SetElementChange.Adding("guarded", key, "hello")], NFT_MSG_DESTROYSETELEM, () => ++seq,
            out var first, out var last);

        var m = Split(batch);
        m.Select(x => x.Type).ShouldBe([NFNL_MSG_BATCH_BEGIN, (ushort)(10 << 8 | 30), (ushort)(10 << 8 | 12), NFNL_MSG_BATCH_END]);
        m.Select(x => x.Seq).ShouldBe([101u, 102u, 103u, 104u]);
        (first, last).ShouldBe((102u, 103u));
        // BEGIN and END: family AF_UNSPEC, resource id NFNL_SUBSYS_NFTABLES in network order, no ACK asked.
        foreach (var edge in new[] { m[0], m[3] })
        {
            edge.Bytes.Length.ShouldBe(20);
            edge.Flags.ShouldBe(NLM_F_REQUEST);
            edge.Bytes[16].ShouldBe((byte)0);
            BinaryPrimitives.ReadUInt16BigEndian(edge.Bytes.AsSpan(18)).ShouldBe((ushort)10);
        }
        m[1].Flags.ShouldBe((ushort)(NLM_F_REQUEST | NLM_F_ACK));
        m[2].Flags.ShouldBe((ushort)(NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE));
        m[2].Bytes[16].ShouldBe(NFPROTO_BRIDGE);
    }

    [Fact]
    public void An_element_message_nests_table_set_and_key_and_carries_the_comment_as_nft_writes_it()
    {
        var key = NfTables.Key.Ifname("p1");
        var bytes = NfTables.ElementMessage((ushort)(10 << 8 | NFT_MSG_NEWSETELEM), NLM_F_REQUEST, NFPROTO_BRIDGE, "tbl", "guarded", key, "02:4e:00:00:00:09").Finish(1).ToArray();

        var attrs = (ReadOnlySpan<byte>)bytes.AsSpan(20);
        NetlinkMessage.NextAttribute(ref attrs, out var t, out var v).ShouldBeTrue();
        t.ShouldBe(NFTA_SET_ELEM_LIST_TABLE);
        Encoding.ASCII.GetString(v).ShouldBe("tbl\0");
        NetlinkMessage.NextAttribute(ref attrs, out t, out v).ShouldBeTrue();
        t.ShouldBe(NFTA_SET_ELEM_LIST_SET);
        Encoding.ASCII.GetString(v).ShouldBe("guarded\0");
        NetlinkMessage.NextAttribute(ref attrs, out t, out _).ShouldBeTrue();
        t.ShouldBe(NFTA_SET_ELEM_LIST_ELEMENTS);
        BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(20 + 8 + 12 + 2)).ShouldBe((ushort)(NFTA_SET_ELEM_LIST_ELEMENTS | NLA_F_NESTED));

        // nft(8) writes an element comment as user data TLV type 0, length with the NUL: the bytes it printed in --debug=netlink.
        NfTables.CommentUserData("x").ShouldBe(new byte[] { 0, 2, (byte)'x', 0 });

        // What the kernel echoes back has the same layout: parsing it returns the key and the comment.
        var parsed = new List<SetElement>();
        NfTables.ParseElements(bytes, parsed);
        parsed.Count.ShouldBe(1);
        parsed[0].Key.ShouldBe(key);
        parsed[0].Comment.ShouldBe("02:4e:00:00:00:09");
        parsed[0].Counter.ShouldBeNull();
    }

    [Fact]
    public void A_dumped_elements_counter_expression_is_read_in_network_order()
    {
        Span<byte> packets = stackalloc byte[8], bytes = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(packets, 5);
        BinaryPrimitives.WriteUInt64BigEndian(bytes, 420);
        var reply = new NetlinkMessage((ushort)(10 << 8 | NFT_MSG_NEWSETELEM), 0x2 /* NLM_F_MULTI */).NfGen(NFPROTO_BRIDGE)
            .Attr(NFTA_SET_ELEM_LIST_TABLE, "tbl")
            .Attr(NFTA_SET_ELEM_LIST_SET, "guarded")
            .BeginNested(NFTA_SET_ELEM_LIST_ELEMENTS)
                .BeginNested(NFTA_LIST_ELEM)
                    .BeginNested(NFTA_SET_ELEM_KEY).Attr(NFTA_DATA_VALUE, NfTables.Key.Ifname("a")).EndNested()
                    .BeginNested(NFTA_SET_ELEM_EXPR).Attr(NFTA_EXPR_NAME, "counter")
                        .BeginNested(NFTA_EXPR_DATA).Attr(NFTA_COUNTER_BYTES, bytes).Attr(NFTA_COUNTER_PACKETS, packets).EndNested()
                    .EndNested()
                .EndNested()
                .BeginNested(NFTA_LIST_ELEM)
                    .BeginNested(NFTA_SET_ELEM_KEY).Attr(NFTA_DATA_VALUE, NfTables.Key.Ifname("b")).EndNested()
                    .BeginNested(NFTA_SET_ELEM_EXPRESSIONS).BeginNested(NFTA_LIST_ELEM).Attr(NFTA_EXPR_NAME, "counter")
                        .BeginNested(NFTA_EXPR_DATA).Attr(NFTA_COUNTER_PACKETS, packets).EndNested()
                    .EndNested().EndNested()
                .EndNested()
            .EndNested()
            .Finish(7).ToArray();

        var parsed = new List<SetElement>();
        NfTables.ParseElements(reply, parsed);
        parsed.Select(e => Encoding.ASCII.GetString(e.Key).TrimEnd('\0')).ShouldBe(["a", "b"]);
        parsed[0].Counter.ShouldBe(new ElementCounter(5, 420));
        parsed[1].Counter.ShouldBe(new ElementCounter(5, 0));

        // Another message type (an error, a DONE) holds no elements.
        var done = new NetlinkMessage(NLMSG_DONE, 0).Finish(7).ToArray();
        NfTables.ParseElements(done, parsed);
        parsed.Count.ShouldBe(2);
    }
}
