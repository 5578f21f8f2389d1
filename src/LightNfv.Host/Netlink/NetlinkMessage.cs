using System.Buffers.Binary;
using System.Text;

namespace LightNfv.Host.Netlink;

/// <summary>Builds one rtnetlink request: header, fixed family struct, then attributes (nested ones by scope).</summary>
internal sealed partial class NetlinkMessage
{
    private byte[] _buf = new byte[256];
    private int _len;
    private readonly Stack<int> _nests = new();

    public NetlinkMessage(ushort type, ushort flags)
    {
        _len = 16; // nlmsghdr; length and seq are patched in Finish
        BinaryPrimitives.WriteUInt16LittleEndian(_buf.AsSpan(4), type);
        BinaryPrimitives.WriteUInt16LittleEndian(_buf.AsSpan(6), flags);
    }

    public ReadOnlySpan<byte> Finish(uint seq)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(_buf, (uint)_len);
        BinaryPrimitives.WriteUInt32LittleEndian(_buf.AsSpan(8), seq);
        return _buf.AsSpan(0, _len);
    }

    private Span<byte> Reserve(int n)
    {
        var aligned = Align(n);
        if (_len + aligned > _buf.Length)
        {
            Array.Resize(ref _buf, Math.Max(_buf.Length * 2, _len + aligned));
        }
        var span = _buf.AsSpan(_len, aligned);
        span.Clear();
        _len += aligned;
        return span[..n];
    }

    public static int Align(int n) => (n + 3) & ~3;

    /// <summary>
    /// Takes the next rtattr off the front of <paramref name="attrs"/>: its type (flag bits masked) and payload.
    /// False at the end or at a length that does not fit, which ends the walk rather than reading past the message.
    /// </summary>
    public static bool NextAttribute(ref ReadOnlySpan<byte> attrs, out int type, out ReadOnlySpan<byte> payload)
    {
        type = 0;
        payload = default;
        if (attrs.Length < 4)
        {
            return false;
        }
        var alen = System.Buffers.Binary.BinaryPrimitives.ReadUInt16LittleEndian(attrs);
        if (alen < 4 || alen > attrs.Length)
        {
            return false;
        }
        type = System.Buffers.Binary.BinaryPrimitives.ReadUInt16LittleEndian(attrs[2..]) & 0x3fff;
        payload = attrs[4..alen];
        attrs = attrs[Math.Min(Align(alen), attrs.Length)..];
        return true;
    }

    /// <summary>struct ifinfomsg.</summary>
    public NetlinkMessage IfInfo(int index = 0, uint flags = 0, uint change = 0, byte family = 0)
    {
        var s = Reserve(16);
        s[0] = family;
        BinaryPrimitives.WriteInt32LittleEndian(s[4..], index);
        BinaryPrimitives.WriteUInt32LittleEndian(s[8..], flags);
        BinaryPrimitives.WriteUInt32LittleEndian(s[12..], change);
        return this;
    }

    /// <summary>struct ifaddrmsg.</summary>
    public NetlinkMessage IfAddr(byte family, byte prefixLength, int index)
    {
        var s = Reserve(8);
        s[0] = family;
        s[1] = prefixLength;
        BinaryPrimitives.WriteInt32LittleEndian(s[4..], index);
        return this;
    }

    /// <summary>struct ndmsg.</summary>
    public NetlinkMessage Nd(byte family, int index, ushort state, byte flags = 0)
    {
        var s = Reserve(12);
        s[0] = family;
        BinaryPrimitives.WriteInt32LittleEndian(s[4..], index);
        BinaryPrimitives.WriteUInt16LittleEndian(s[8..], state);
        s[10] = flags;
        return this;
    }

    /// <summary>struct nfgenmsg: family, version 0, resource id (big-endian; a batch's subsystem).</summary>
    public NetlinkMessage NfGen(byte family, ushort resourceId = 0)
    {
        var s = Reserve(4);
        s[0] = family;
        BinaryPrimitives.WriteUInt16BigEndian(s[2..], resourceId);
        return this;
    }

    public NetlinkMessage Attr(ushort type, ReadOnlySpan<byte> value)
    {
        var s = Reserve(4 + value.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(s, (ushort)(4 + value.Length));
        BinaryPrimitives.WriteUInt16LittleEndian(s[2..], type);
        value.CopyTo(s[4..]);
        return this;
    }

    public NetlinkMessage Attr(ushort type, uint value)
    {
        Span<byte> v = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(v, value);
        return Attr(type, v);
    }

    /// <summary>A NUL-terminated string attribute (IFLA_IFNAME, IFLA_INFO_KIND).</summary>
    public NetlinkMessage Attr(ushort type, string value)
    {
        Span<byte> v = stackalloc byte[Encoding.ASCII.GetByteCount(value) + 1];
        Encoding.ASCII.GetBytes(value, v);
        v[^1] = 0;
        return Attr(type, v);
    }

    public NetlinkMessage BeginNested(ushort type)
    {
        _nests.Push(_len);
        var s = Reserve(4);
        BinaryPrimitives.WriteUInt16LittleEndian(s[2..], (ushort)(type | NetlinkConstants.NLA_F_NESTED));
        return this;
    }

    public NetlinkMessage EndNested()
    {
        var start = _nests.Pop();
        BinaryPrimitives.WriteUInt16LittleEndian(_buf.AsSpan(start), (ushort)(_len - start));
        return this;
    }
}
