using System.Buffers.Binary;

namespace LightNfv.Host.Netlink;

/// <summary>Traffic-control requests (RTM_*QDISC): the tcmsg family struct.</summary>
internal sealed partial class NetlinkMessage
{
    /// <summary>struct tcmsg: family, ifindex, handle, parent, info.</summary>
    public NetlinkMessage TcMsg(int index, uint handle, uint parent)
    {
        var s = Reserve(20);
        BinaryPrimitives.WriteInt32LittleEndian(s[4..], index);
        BinaryPrimitives.WriteUInt32LittleEndian(s[8..], handle);
        BinaryPrimitives.WriteUInt32LittleEndian(s[12..], parent);
        return this;
    }

    public NetlinkMessage Attr(ushort type, ulong value)
    {
        Span<byte> v = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(v, value);
        return Attr(type, v);
    }
}
