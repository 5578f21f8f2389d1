namespace LightNfv.Host.Netlink;

/// <summary>Values from linux/netlink.h, linux/rtnetlink.h, linux/if_link.h, linux/neighbour.h, linux/netfilter/nfnetlink.h, nf_tables.h.</summary>
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

    public const int NETLINK_NETFILTER = 12;
    public const byte NFPROTO_BRIDGE = 7;
    public const ushort NFNL_SUBSYS_NFTABLES = 10, NFNL_MSG_BATCH_BEGIN = 0x10, NFNL_MSG_BATCH_END = 0x11;
    // nf_tables message types, sent as (NFNL_SUBSYS_NFTABLES << 8) | type. DESTROYSETELEM (Linux 6.3+) is DELSETELEM
    // without ENOENT for an element already gone.
    public const ushort NFT_MSG_GETTABLE = 1, NFT_MSG_NEWSETELEM = 12, NFT_MSG_GETSETELEM = 13, NFT_MSG_DELSETELEM = 14, NFT_MSG_DESTROYSETELEM = 30;
    public const ushort NFTA_TABLE_NAME = 1;
    public const ushort NFTA_SET_ELEM_LIST_TABLE = 1, NFTA_SET_ELEM_LIST_SET = 2, NFTA_SET_ELEM_LIST_ELEMENTS = 3;
    public const ushort NFTA_LIST_ELEM = 1, NFTA_DATA_VALUE = 1;
    public const ushort NFTA_SET_ELEM_KEY = 1, NFTA_SET_ELEM_USERDATA = 6, NFTA_SET_ELEM_EXPR = 7, NFTA_SET_ELEM_EXPRESSIONS = 10;
    public const byte NFTNL_UDATA_SET_ELEM_COMMENT = 0; // libnftnl's user data TLV type of an element's comment
    public const ushort NFTA_EXPR_NAME = 1, NFTA_EXPR_DATA = 2, NFTA_COUNTER_BYTES = 1, NFTA_COUNTER_PACKETS = 2;
}
