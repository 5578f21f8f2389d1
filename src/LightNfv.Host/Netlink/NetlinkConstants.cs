namespace LightNfv.Host.Netlink;

/// <summary>Values from linux/netlink.h, linux/rtnetlink.h, linux/if_link.h, linux/neighbour.h.</summary>
internal static class NetlinkConstants
{
    public const int AF_NETLINK = 16, NETLINK_ROUTE = 0, SOCK_RAW = 3, SOCK_CLOEXEC = 0x80000;
    public const byte AF_UNSPEC = 0, AF_INET = 2, AF_BRIDGE = 7;

    public const ushort NLM_F_REQUEST = 0x1, NLM_F_ACK = 0x4, NLM_F_REPLACE = 0x100, NLM_F_EXCL = 0x200, NLM_F_CREATE = 0x400, NLM_F_DUMP = 0x300;
    public const ushort NLMSG_ERROR = 2, NLMSG_DONE = 3;

    public const ushort RTM_NEWLINK = 16, RTM_DELLINK = 17, RTM_GETLINK = 18, RTM_NEWADDR = 20, RTM_NEWNEIGH = 28, RTM_DELNEIGH = 29, RTM_GETNEIGH = 30;

    public const ushort IFLA_ADDRESS = 1, IFLA_IFNAME = 3, IFLA_MTU = 4, IFLA_MASTER = 10, IFLA_LINKINFO = 18, IFLA_STATS64 = 23, IFLA_NET_NS_FD = 28, IFLA_IFALIAS = 20;
    public const ushort IFLA_INFO_KIND = 1, IFLA_INFO_DATA = 2, VETH_INFO_PEER = 1;

    public const ushort IFA_ADDRESS = 1, IFA_LOCAL = 2, IFA_BROADCAST = 4;
    public const ushort NDA_DST = 1, NDA_LLADDR = 2;
    public const ushort NUD_PERMANENT = 0x80, NUD_NOARP = 0x40;
    public const byte NTF_MASTER = 0x04;
    public const uint IFF_UP = 1;

    public const ushort NLA_F_NESTED = 0x8000;
}
