using System.Buffers.Binary;
using System.Text;
using static LightNfv.Host.Netlink.NetlinkConstants;

namespace LightNfv.Host.Netlink;

/// <summary>A set element to add or remove in a batch: the set's name and the element's key (see <see cref="NfTables.Key"/>).</summary>
/// <paramref name="Comment"/>: text kept with an added element (nft(8) shows it as the element's comment).
public readonly record struct SetElementChange(string Set, byte[] Key, bool Add, string? Comment = null)
{
    public static SetElementChange Adding(string set, byte[] key, string? comment = null) => new(set, key, true, comment);
    public static SetElementChange Removing(string set, byte[] key) => new(set, key, false);
}

/// <summary>An element counter's value (the `counter` statement of a set declared with one).</summary>
public readonly record struct ElementCounter(ulong Packets, ulong Bytes);

/// <summary>A set element as the kernel reports it: its key, its counter (null without one), its comment (null without one).</summary>
public readonly record struct SetElement(byte[] Key, ElementCounter? Counter, string? Comment);

/// <summary>
/// An nfnetlink socket speaking nf_tables, bound to the network namespace of the thread that opened it. It changes and
/// reads the elements of named sets of a ruleset made elsewhere (with nft -f): per-port state as set elements, sent as
/// one transaction (batch) of a few messages, costs microseconds where spawning nft(8) costs tens of milliseconds.
/// </summary>
public sealed class NfTables : NetlinkSocket
{
    private const ushort ENOENT = 2, EOPNOTSUPP = 95, EINVAL = 22;

    private NfTables(Native.FileDescriptor fd) : base(fd) { }

    /// <summary>Opens a socket in the calling thread's current network namespace.</summary>
    public static NfTables Open() => new(OpenSocket(NETLINK_NETFILTER));

    private static ushort Type(ushort nftMessage) => (ushort)((NFNL_SUBSYS_NFTABLES << 8) | nftMessage);

    /// <summary>Whether table <paramref name="table"/> of <paramref name="family"/> exists (one get request).</summary>
    public bool TableExists(byte family, string table)
    {
        var m = new NetlinkMessage(Type(NFT_MSG_GETTABLE), NLM_F_REQUEST | NLM_F_ACK).NfGen(family).Attr(NFTA_TABLE_NAME, table);
        var err = TryExecute(m);
        if (err == -ENOENT)
        {
            return false;
        }
        ThrowIf(err, $"get nftables table {table}");
        return true;
    }

    /// <summary>
    /// Adds and removes elements of table <paramref name="table"/>'s sets in one transaction: all or none. Adding an
    /// element that exists already and removing one that does not are no errors (retries and repairs are idempotent).
    /// </summary>
    public void Apply(byte family, string table, IReadOnlyList<SetElementChange> changes)
    {
        var err = TryBatch(EncodeBatch(family, table, changes, NFT_MSG_DESTROYSETELEM, NextSequence, out var first, out var last), first, last);
        if (err is -EOPNOTSUPP or -EINVAL && changes.Any(c => !c.Add))
        {
            // A kernel before 6.3 has no DESTROYSETELEM: the same changes one at a time, an absent element skipped.
            foreach (var c in changes)
            {
                var one = EncodeBatch(family, table, [c], NFT_MSG_DELSETELEM, NextSequence, out first, out last);
                var e = TryBatch(one, first, last);
                ThrowIf(e == -ENOENT && !c.Add ? 0 : e, $"{(c.Add ? "add" : "delete")} element of nftables set {table} {c.Set}");
            }
            return;
        }
        ThrowIf(err, $"change elements of nftables table {table} ({string.Join(", ", changes.Select(c => (c.Add ? "+" : "-") + c.Set).Distinct())})");
    }

    /// <summary>
    /// Encodes a batch: BATCH_BEGIN, one NEWSETELEM or <paramref name="removeType"/> message per change (each asking an
    /// ACK, so the reader knows when the kernel is done), BATCH_END. <paramref name="first"/>..<paramref name="last"/>
    /// are the sequence numbers of the messages whose replies to wait for.
    /// </summary>
    internal static byte[] EncodeBatch(byte family, string table, IReadOnlyList<SetElementChange> changes, ushort removeType, Func<uint> nextSeq,
        out uint first, out uint last)
    {
        var bytes = new List<byte>(64 + changes.Count * 96);
        bytes.AddRange(new NetlinkMessage(NFNL_MSG_BATCH_BEGIN, NLM_F_REQUEST).NfGen(AF_UNSPEC, NFNL_SUBSYS_NFTABLES).Finish(nextSeq()));
        first = 0;
        last = 0;
        foreach (var c in changes)
        {
            var type = c.Add ? NFT_MSG_NEWSETELEM : removeType;
            var flags = (ushort)(NLM_F_REQUEST | NLM_F_ACK | (c.Add ? NLM_F_CREATE : 0));
            var seq = nextSeq();
            first = first == 0 ? seq : first;
            last = seq;
            bytes.AddRange(ElementMessage(Type(type), flags, family, table, c.Set, c.Key, c.Add ? c.Comment : null).Finish(seq));
        }
        bytes.AddRange(new NetlinkMessage(NFNL_MSG_BATCH_END, NLM_F_REQUEST).NfGen(AF_UNSPEC, NFNL_SUBSYS_NFTABLES).Finish(nextSeq()));
        return [.. bytes];
    }

    /// <summary>One set-element message: table, set, and a list of one element (its key), or none for a whole-set request.</summary>
    internal static NetlinkMessage ElementMessage(ushort type, ushort flags, byte family, string table, string set, ReadOnlySpan<byte> key, string? comment = null)
    {
        var m = new NetlinkMessage(type, flags).NfGen(family)
            .Attr(NFTA_SET_ELEM_LIST_TABLE, table)
            .Attr(NFTA_SET_ELEM_LIST_SET, set);
        if (!key.IsEmpty)
        {
            m.BeginNested(NFTA_SET_ELEM_LIST_ELEMENTS)
                    .BeginNested(NFTA_LIST_ELEM)
                        .BeginNested(NFTA_SET_ELEM_KEY).Attr(NFTA_DATA_VALUE, key).EndNested();
            if (comment is not null)
            {
                m.Attr(NFTA_SET_ELEM_USERDATA, CommentUserData(comment));
            }
            m.EndNested().EndNested();
        }
        return m;
    }

    /// <summary>
    /// An element's user data in libnftnl's layout (what nft(8) writes and shows as a comment): TLVs of one byte type,
    /// one byte length; type 0 is the comment, a NUL-terminated string.
    /// </summary>
    internal static byte[] CommentUserData(string comment)
    {
        var text = Encoding.UTF8.GetBytes(comment);
        if (text.Length > 127)
        {
            throw new ArgumentException("an nftables element comment holds at most 127 bytes", nameof(comment));
        }
        var data = new byte[text.Length + 3];
        data[0] = NFTNL_UDATA_SET_ELEM_COMMENT;
        data[1] = (byte)(text.Length + 1);
        text.CopyTo(data, 2);
        return data;
    }

    private static string? CommentOf(ReadOnlySpan<byte> userData)
    {
        while (userData.Length >= 2 && userData[1] + 2 <= userData.Length)
        {
            if (userData[0] == NFTNL_UDATA_SET_ELEM_COMMENT)
            {
                return Encoding.UTF8.GetString(userData.Slice(2, userData[1])).TrimEnd('\0');
            }
            userData = userData[(userData[1] + 2)..];
        }
        return null;
    }

    /// <summary>Sends a batch and waits for the reply of every message in it; the first error (negative errno) or 0.</summary>
    private int TryBatch(byte[] batch, uint first, uint last)
    {
        if (first == 0)
        {
            return 0;
        }
        var pending = (int)(last - first + 1);
        var error = 0;
        SendBytes(batch);
        // BATCH_BEGIN's sequence number is first - 1: the kernel answers it only when it refuses the whole batch.
        ReadReplies(first - 1, last, (seq, type, msg) =>
        {
            if (type != NLMSG_ERROR)
            {
                return false;
            }
            var e = BinaryPrimitives.ReadInt32LittleEndian(msg[16..]);
            error = error == 0 ? e : error;
            return seq == first - 1 || --pending == 0;
        });
        return error;
    }

    /// <summary>Every element of a set with its counter and comment, from one dump request.</summary>
    public IReadOnlyList<SetElement> Elements(byte family, string table, string set)
    {
        var list = new List<SetElement>();
        var error = 0;
        var m = ElementMessage(Type(NFT_MSG_GETSETELEM), NLM_F_REQUEST | NLM_F_DUMP, family, table, set, default);
        ReadReplies(Send(m), (type, msg) =>
        {
            if (type is NLMSG_ERROR or NLMSG_DONE)
            {
                error = type == NLMSG_ERROR ? BinaryPrimitives.ReadInt32LittleEndian(msg[16..]) : 0;
                return true;
            }
            ParseElements(msg, list);
            return false; // a dump's elements come in several messages: keep reading until NLMSG_DONE
        });
        ThrowIf(error, $"list elements of nftables set {table} {set}");
        return list;
    }

    /// <summary>One element (one get request); null if the set has no such element.</summary>
    public SetElement? Element(byte family, string table, string set, byte[] key)
    {
        var list = new List<SetElement>();
        var error = 0;
        var m = ElementMessage(Type(NFT_MSG_GETSETELEM), NLM_F_REQUEST | NLM_F_ACK, family, table, set, key);
        ReadReplies(Send(m), (type, msg) =>
        {
            if (type == NLMSG_ERROR)
            {
                error = BinaryPrimitives.ReadInt32LittleEndian(msg[16..]);
                return true;
            }
            ParseElements(msg, list);
            return false;
        });
        if (error == -ENOENT)
        {
            return null;
        }
        ThrowIf(error, $"get element of nftables set {table} {set}");
        return list.Count > 0 ? list[0] : null;
    }

    /// <summary>The elements of one NEWSETELEM message (header included): each key, and its counter expression if any.</summary>
    internal static void ParseElements(ReadOnlySpan<byte> msg, List<SetElement> into)
    {
        if (msg.Length < 20 || BinaryPrimitives.ReadUInt16LittleEndian(msg[4..]) != Type(NFT_MSG_NEWSETELEM))
        {
            return;
        }
        var attrs = msg[20..]; // nlmsghdr, nfgenmsg
        while (NetlinkMessage.NextAttribute(ref attrs, out var type, out var payload))
        {
            if (type != NFTA_SET_ELEM_LIST_ELEMENTS)
            {
                continue;
            }
            while (NetlinkMessage.NextAttribute(ref payload, out var listType, out var element))
            {
                if (listType != NFTA_LIST_ELEM)
                {
                    continue;
                }
                byte[]? key = null;
                ElementCounter? counter = null;
                string? comment = null;
                while (NetlinkMessage.NextAttribute(ref element, out var etype, out var value))
                {
                    if (etype == NFTA_SET_ELEM_KEY && Find(value, NFTA_DATA_VALUE) is { } k)
                    {
                        key = k;
                    }
                    else if (etype == NFTA_SET_ELEM_USERDATA)
                    {
                        comment = CommentOf(value);
                    }
                    else if (etype == NFTA_SET_ELEM_EXPR)
                    {
                        counter ??= CounterOf(value);
                    }
                    else if (etype == NFTA_SET_ELEM_EXPRESSIONS)
                    {
                        // Several expressions on one element: a list of them.
                        while (NetlinkMessage.NextAttribute(ref value, out var xtype, out var expr))
                        {
                            if (xtype == NFTA_LIST_ELEM)
                            {
                                counter ??= CounterOf(expr);
                            }
                        }
                    }
                }
                if (key is not null)
                {
                    into.Add(new SetElement(key, counter, comment));
                }
            }
        }
    }

    /// <summary>The value of a `counter` expression (name, then data with big-endian packets and bytes); null for another expression.</summary>
    private static ElementCounter? CounterOf(ReadOnlySpan<byte> expr)
    {
        var named = false;
        ulong packets = 0, bytes = 0;
        while (NetlinkMessage.NextAttribute(ref expr, out var type, out var value))
        {
            if (type == NFTA_EXPR_NAME)
            {
                named = Encoding.ASCII.GetString(value).TrimEnd('\0') == "counter";
            }
            else if (type == NFTA_EXPR_DATA)
            {
                while (NetlinkMessage.NextAttribute(ref value, out var ctype, out var v))
                {
                    if (v.Length == 8 && ctype == NFTA_COUNTER_PACKETS)
                    {
                        packets = BinaryPrimitives.ReadUInt64BigEndian(v);
                    }
                    else if (v.Length == 8 && ctype == NFTA_COUNTER_BYTES)
                    {
                        bytes = BinaryPrimitives.ReadUInt64BigEndian(v);
                    }
                }
            }
        }
        return named ? new ElementCounter(packets, bytes) : null;
    }

    private static byte[]? Find(ReadOnlySpan<byte> attrs, int wanted)
    {
        while (NetlinkMessage.NextAttribute(ref attrs, out var type, out var value))
        {
            if (type == wanted)
            {
                return value.ToArray();
            }
        }
        return null;
    }

    /// <summary>Set keys as nf_tables stores them: each part of a concatenation padded to 4 bytes (the register size).</summary>
    public static class Key
    {
        /// <summary>IFNAMSIZ: an ifname key is the name zero-padded to 16 bytes.</summary>
        public const int IfnameSize = 16;

        /// <summary>An `ifname` value (an interface name, at most 15 characters).</summary>
        public static byte[] Ifname(string name)
        {
            var bytes = Encoding.ASCII.GetBytes(name);
            if (bytes.Length >= IfnameSize)
            {
                throw new ArgumentException($"interface name '{name}' is longer than {IfnameSize - 1} characters", nameof(name));
            }
            var key = new byte[IfnameSize];
            bytes.CopyTo(key, 0);
            return key;
        }

        /// <summary>A concatenation (`a . b . c`): the parts in order, each padded with zeros to a multiple of 4 bytes.</summary>
        public static byte[] Concat(params ReadOnlySpan<byte[]> parts)
        {
            var length = 0;
            foreach (var p in parts)
            {
                length += NetlinkMessage.Align(p.Length);
            }
            var key = new byte[length];
            var at = 0;
            foreach (var p in parts)
            {
                p.CopyTo(key, at);
                at += NetlinkMessage.Align(p.Length);
            }
            return key;
        }
    }
}
