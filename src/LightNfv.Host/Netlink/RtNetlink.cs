using System.Buffers.Binary;
using System.Net;
using LightNfv.Core.Errors;
using LightNfv.Host.Native;
using static LightNfv.Host.Netlink.NetlinkConstants;

namespace LightNfv.Host.Netlink;

/// <summary>Link counters from IFLA_STATS64, as seen from the side the socket lives on.</summary>
public readonly record struct LinkStats(ulong RxPackets, ulong TxPackets, ulong RxBytes, ulong TxBytes);

/// <summary>
/// An rtnetlink socket bound to the network namespace of the thread that opened it (sockets keep their
/// namespace for life), so one socket per namespace lets a single thread configure several namespaces.
/// Requests are synchronous with an ACK: a few microseconds each, far cheaper than spawning `ip`.
/// </summary>
public sealed partial class RtNetlink : NetlinkSocket
{
    private RtNetlink(FileDescriptor fd) : base(fd) { }

    /// <summary>Opens a socket in the calling thread's current network namespace.</summary>
    public static RtNetlink Open() => new(OpenSocket(NETLINK_ROUTE));

    /// <summary>
    /// Creates a bridge with a fixed MAC (so it never changes as ports come and go), up unless <paramref name="up"/> is
    /// false (a caller that brings it up as its last step can tell a finished bridge from one cut short).
    /// </summary>
    /// <paramref name="alias"/>: an ifalias recorded on the link (a tenant segment's bridge names its tenant there).
    public void CreateBridge(string name, ReadOnlySpan<byte> mac, bool up = true, string? alias = null)
    {
        var m = new NetlinkMessage(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL)
            .IfInfo(flags: up ? IFF_UP : 0, change: IFF_UP)
            .Attr(IFLA_IFNAME, name)
            .Attr(IFLA_ADDRESS, mac)
            .BeginNested(IFLA_LINKINFO).Attr(IFLA_INFO_KIND, "bridge").EndNested();
        Execute(m, $"create bridge {name}");
        if (alias is not null)
        {
            // The kernel applies IFLA_IFALIAS only to an existing link (do_setlink), not at creation.
            var set = new NetlinkMessage(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK).IfInfo().Attr(IFLA_IFNAME, name).Attr(IFLA_IFALIAS, alias);
            Execute(set, $"set alias of {name}");
        }
    }

    /// <summary>
    /// Creates a veth pair in one request: <paramref name="name"/> here, enslaved to <paramref name="masterIndex"/> and up;
    /// the peer created directly inside the namespace <paramref name="peerNamespace"/> (moving a link costs ~20 ms, creating
    /// it in place ~2 ms), with a fixed MAC and ifindex so the other side needs no lookup. The peer is left down: bring it up from its namespace.
    /// </summary>
    public void CreateVethPair(string name, int masterIndex, string peerName, ReadOnlySpan<byte> peerMac, FileDescriptor peerNamespace, int peerIndex)
    {
        var m = new NetlinkMessage(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL)
            .IfInfo(flags: IFF_UP, change: IFF_UP)
            .Attr(IFLA_IFNAME, name);
        if (masterIndex > 0)
        {
            m.Attr(IFLA_MASTER, (uint)masterIndex);
        }
        m.BeginNested(IFLA_LINKINFO)
                .Attr(IFLA_INFO_KIND, "veth")
                .BeginNested(IFLA_INFO_DATA)
                    .BeginNested(VETH_INFO_PEER)
                        // Not up here: the kernel configures the peer before pairing it, and opening an unpaired veth fails (ENOTCONN).
                        .IfInfo(index: peerIndex)
                        .Attr(IFLA_IFNAME, peerName)
                        .Attr(IFLA_ADDRESS, peerMac)
                        .Attr(IFLA_NET_NS_FD, (uint)peerNamespace.Value)
                    .EndNested()
                .EndNested()
            .EndNested();
        var err = TryExecute(m);
        ThrowIfBridgeFull(err, masterIndex);
        ThrowIf(err, $"create veth {name} <-> {peerName}");
    }

    /// <summary>Enslaves a link to a bridge and brings it up in one request (a tap made by /dev/net/tun starts down and unattached).</summary>
    public void SetMasterAndUp(int index, int masterIndex)
    {
        var m = new NetlinkMessage(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK)
            .IfInfo(index: index, flags: IFF_UP, change: IFF_UP)
            .Attr(IFLA_MASTER, (uint)masterIndex);
        var err = TryExecute(m);
        ThrowIfBridgeFull(err, masterIndex);
        ThrowIf(err, $"attach link {index} to bridge {masterIndex}");
    }

    /// <summary>Ports a Linux bridge can hold: port numbers are 10 bits and 0 is reserved (BR_MAX_PORTS is 1024).</summary>
    public const int MaxBridgePorts = 1023;

    /// <summary>EXFULL from an enslave: the bridge has no port number left, which the kernel names only "Exchange full".</summary>
    private static void ThrowIfBridgeFull(int err, int masterIndex)
    {
        if (err == -Libc.EXFULL && masterIndex > 0)
        {
            throw new LightNfvException(ErrorKind.Exhausted,
                $"the lab bridge is full: a Linux bridge holds at most {MaxBridgePorts} ports and every instance with a network takes one; remove instances before creating more");
        }
    }

    public void SetUp(int index)
    {
        var m = new NetlinkMessage(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK).IfInfo(index: index, flags: IFF_UP, change: IFF_UP);
        Execute(m, $"set link {index} up");
    }

    /// <summary>Sets a link down: a bridge port that is down neither forwards nor receives, a tap that is down drops what its VMM writes.</summary>
    public void SetDown(int index)
    {
        var m = new NetlinkMessage(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK).IfInfo(index: index, flags: 0, change: IFF_UP);
        Execute(m, $"set link {index} down");
    }

    /// <summary>Deletes a link by name. Returns false if it did not exist.</summary>
    public bool DeleteLink(string name)
    {
        var m = new NetlinkMessage(RTM_DELLINK, NLM_F_REQUEST | NLM_F_ACK).IfInfo().Attr(IFLA_IFNAME, name);
        var err = TryExecute(m);
        if (err == -19 /* ENODEV */)
        {
            return false;
        }
        ThrowIf(err, $"delete link {name}");
        return true;
    }

    /// <summary>Adds an address; <paramref name="replace"/>: an existing one is no error (repairs are idempotent).</summary>
    public void AddAddress(int index, IPAddress address, int prefixLength, bool replace = false)
    {
        var bytes = address.GetAddressBytes();
        var m = new NetlinkMessage(RTM_NEWADDR, (ushort)(NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | (replace ? NLM_F_REPLACE : NLM_F_EXCL)))
            .IfAddr(AF_INET, (byte)prefixLength, index)
            .Attr(IFA_LOCAL, bytes)
            .Attr(IFA_ADDRESS, bytes);
        Execute(m, $"add address {address}/{prefixLength} to link {index}");
    }

    /// <summary>A permanent neighbour entry: readiness probes must not wait on an ARP miss (1 s retry).</summary>
    public void AddPermanentNeighbour(int index, IPAddress address, ReadOnlySpan<byte> mac)
    {
        var m = new NetlinkMessage(RTM_NEWNEIGH, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE)
            .Nd(AF_INET, index, NUD_PERMANENT)
            .Attr(NDA_DST, address.GetAddressBytes())
            .Attr(NDA_LLADDR, mac);
        Execute(m, $"add neighbour {address} on link {index}");
    }

    /// <summary>
    /// A static forwarding entry on a bridge: frames for <paramref name="mac"/> go to port <paramref name="portIndex"/>
    /// at once. Without it the bridge floods frames for a not-yet-learned MAC to every port, a cost that grows with
    /// the number of instances.
    /// </summary>
    public void AddBridgeFdb(int portIndex, ReadOnlySpan<byte> mac)
    {
        var m = new NetlinkMessage(RTM_NEWNEIGH, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE)
            // NUD_NOARP is `bridge fdb ... static`: forwarded out of the port. NUD_PERMANENT would make it a local entry, whose
            // frames the bridge hands to the lab itself, so instances on one segment could never reach each other.
            .Nd(AF_BRIDGE, portIndex, NUD_NOARP, NTF_MASTER)
            .Attr(NDA_LLADDR, mac);
        Execute(m, $"add bridge fdb entry on port {portIndex}");
    }

    /// <summary>Removes a neighbour entry; false if there was none.</summary>
    public bool DeleteNeighbour(int index, IPAddress address)
    {
        var m = new NetlinkMessage(RTM_DELNEIGH, NLM_F_REQUEST | NLM_F_ACK)
            .Nd(AF_INET, index, 0)
            .Attr(NDA_DST, address.GetAddressBytes());
        var err = TryExecute(m);
        if (err is -2 /* ENOENT */ or -19 /* ENODEV */)
        {
            return false;
        }
        ThrowIf(err, $"delete neighbour {address}");
        return true;
    }

    /// <summary>The ifindex of a link, or -1 if there is none of that name.</summary>
    public int IndexOf(string name) => GetLink(name, out _, out _);

    /// <summary>The ifindex of a link and whether it is administratively up; -1 if there is none of that name.</summary>
    public int IndexOf(string name, out bool up)
    {
        var index = GetLink(name, out _, out var flags);
        up = (flags & IFF_UP) != 0;
        return index;
    }

    public LinkStats? Stats(string name) => GetLink(name, out var s, out _) > 0 ? s : null;

    /// <summary>The ifalias of a link (null if it has none), its ifindex (-1 if there is no such link) and whether it is up.</summary>
    public string? AliasOf(string name, out int index, out bool up)
    {
        index = GetLink(name, out _, out var flags, out var alias);
        up = (flags & IFF_UP) != 0;
        return alias;
    }

    /// <summary>
    /// Whether link <paramref name="index"/> has a permanent neighbour entry for <paramref name="address"/>: one get
    /// request (Linux 5.0+), a few microseconds however many entries there are; older kernels fall back to a dump.
    /// </summary>
    public bool HasPermanentNeighbour(int index, IPAddress address)
    {
        var error = 0;
        var permanent = false;
        var m = new NetlinkMessage(RTM_GETNEIGH, NLM_F_REQUEST).Nd(AF_INET, index, 0).Attr(NDA_DST, address.GetAddressBytes());
        ReadReplies(Send(m), (type, msg) =>
        {
            if (type == NLMSG_ERROR)
            {
                error = BinaryPrimitives.ReadInt32LittleEndian(msg[16..]);
                return true;
            }
            if (type != RTM_NEWNEIGH || msg.Length < 28)
            {
                return false;
            }
            permanent = (BinaryPrimitives.ReadUInt16LittleEndian(msg[24..]) & NUD_PERMANENT) != 0;
            return true;
        });
        return error switch
        {
            0 => permanent,
            -2 /* ENOENT */ => false,
            -22 /* EINVAL */ or -95 /* EOPNOTSUPP */ => PermanentNeighbours(index).Any(n => n.Address.Equals(address)),
            _ => throw Errno.Error($"netlink get neighbour {address}", -error),
        };
    }

    /// <summary>The permanent IPv4 neighbour entries of one link (address and MAC), from one dump request.</summary>
    public IReadOnlyList<(IPAddress Address, byte[] Mac)> PermanentNeighbours(int index)
    {
        var list = new List<(IPAddress, byte[])>();
        var error = 0;
        var m = new NetlinkMessage(RTM_GETNEIGH, NLM_F_REQUEST | NLM_F_DUMP).Nd(AF_INET, index, 0);
        ReadReplies(Send(m), (type, msg) =>
        {
            if (type == NLMSG_ERROR)
            {
                error = BinaryPrimitives.ReadInt32LittleEndian(msg[16..]);
                return true;
            }
            if (type == NLMSG_DONE)
            {
                return true;
            }
            // struct ndmsg after the header: family, pad, pad, ifindex (s32), state, flags, type.
            if (type != RTM_NEWNEIGH || msg.Length < 28 || BinaryPrimitives.ReadInt32LittleEndian(msg[20..]) != index ||
                (BinaryPrimitives.ReadUInt16LittleEndian(msg[24..]) & NUD_PERMANENT) == 0)
            {
                return false; // a dump's entries come in several messages: keep reading until NLMSG_DONE
            }
            IPAddress? dst = null;
            byte[]? mac = null;
            var attrs = msg[28..];
            while (NetlinkMessage.NextAttribute(ref attrs, out var atype, out var payload))
            {
                if (atype == NDA_DST && payload.Length == 4)
                {
                    dst = new IPAddress(payload);
                }
                else if (atype == NDA_LLADDR && payload.Length == 6)
                {
                    mac = payload.ToArray();
                }
            }
            if (dst is not null)
            {
                list.Add((dst, mac ?? []));
            }
            return false;
        });
        ThrowIf(error, $"dump neighbours of link {index}");
        return list;
    }

    private int GetLink(string name, out LinkStats stats, out uint flags) => GetLink(name, out stats, out flags, out _);

    private int GetLink(string name, out LinkStats stats, out uint flags, out string? alias)
    {
        string? linkAlias = null;
        var found = default(LinkStats);
        var index = -1;
        var linkFlags = 0u;
        var error = 0;
        var m = new NetlinkMessage(RTM_GETLINK, NLM_F_REQUEST).IfInfo().Attr(IFLA_IFNAME, name);
        ReadReplies(Send(m), (type, msg) =>
        {
            if (type == NLMSG_ERROR)
            {
                error = BinaryPrimitives.ReadInt32LittleEndian(msg[16..]);
                return true;
            }
            if (type != RTM_NEWLINK)
            {
                return false;
            }
            index = BinaryPrimitives.ReadInt32LittleEndian(msg[20..]);
            linkFlags = BinaryPrimitives.ReadUInt32LittleEndian(msg[24..]);
            var attrs = msg[32..];
            while (NetlinkMessage.NextAttribute(ref attrs, out var atype, out var v))
            {
                if (atype == IFLA_STATS64 && v.Length >= 32)
                {
                    found = new LinkStats(
                        BinaryPrimitives.ReadUInt64LittleEndian(v),
                        BinaryPrimitives.ReadUInt64LittleEndian(v[8..]),
                        BinaryPrimitives.ReadUInt64LittleEndian(v[16..]),
                        BinaryPrimitives.ReadUInt64LittleEndian(v[24..]));
                }
                else if (atype == IFLA_IFALIAS)
                {
                    linkAlias = System.Text.Encoding.UTF8.GetString(v).TrimEnd('\0');
                }
            }
            return true;
        });
        stats = found;
        flags = linkFlags;
        alias = linkAlias;
        if (error is not 0 and not -19 /* ENODEV: no such link */)
        {
            ThrowIf(error, $"get link {name}");
        }
        return index;
    }
}
