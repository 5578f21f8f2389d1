using System.Buffers.Binary;
using static LightNfv.Host.Netlink.NetlinkConstants;

namespace LightNfv.Host.Netlink;

/// <summary>
/// A rate limit on a link's egress as a root token-bucket qdisc (tbf), set over netlink as `tc qdisc replace dev X root
/// tbf` would: a few microseconds per request, where spawning tc costs milliseconds per instance.
/// </summary>
public sealed unsafe partial class RtNetlink
{
    private const ushort RTM_NEWQDISC = 36, RTM_DELQDISC = 37, RTM_GETQDISC = 38;
    private const ushort TCA_KIND = 1, TCA_OPTIONS = 2;
    private const ushort TCA_TBF_PARMS = 1, TCA_TBF_RATE64 = 4, TCA_TBF_BURST = 6;
    private const uint TC_H_ROOT = 0xFFFFFFFF, RootHandle = 0x10000; // "1:"
    private const byte TC_LINKLAYER_ETHERNET = 1; // with a link layer set, the kernel computes rates itself and needs no rate table

    /// <summary>
    /// Replaces <paramref name="index"/>'s root qdisc by a token bucket of <paramref name="bytesPerSecond"/>, with
    /// <paramref name="burstBytes"/> of tokens and a queue of <paramref name="limitBytes"/> (what waits beyond is dropped,
    /// so TCP backs off to the rate).
    /// </summary>
    public void SetRateLimit(int index, ulong bytesPerSecond, uint burstBytes, uint limitBytes)
    {
        Span<byte> qopt = stackalloc byte[36]; // struct tc_tbf_qopt: rate, peakrate (tc_ratespec, 12 bytes each), limit, buffer, mtu
        qopt.Clear();
        qopt[1] = TC_LINKLAYER_ETHERNET;
        BinaryPrimitives.WriteUInt32LittleEndian(qopt[8..], (uint)Math.Min(bytesPerSecond, uint.MaxValue));
        BinaryPrimitives.WriteUInt32LittleEndian(qopt[24..], limitBytes);
        var m = new NetlinkMessage(RTM_NEWQDISC, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE)
            .TcMsg(index, RootHandle, TC_H_ROOT)
            .Attr(TCA_KIND, "tbf")
            .BeginNested(TCA_OPTIONS)
                .Attr(TCA_TBF_PARMS, qopt)
                .Attr(TCA_TBF_BURST, burstBytes);
        if (bytesPerSecond > uint.MaxValue)
        {
            m.Attr(TCA_TBF_RATE64, bytesPerSecond);
        }
        m.EndNested();
        Execute(m, $"set rate limit on link {index}");
    }

    /// <summary>Removes <paramref name="index"/>'s root qdisc (back to the link's default). False when it had none of its own.</summary>
    public bool ClearRateLimit(int index)
    {
        var m = new NetlinkMessage(RTM_DELQDISC, NLM_F_REQUEST | NLM_F_ACK).TcMsg(index, 0, TC_H_ROOT);
        var err = TryExecute(m);
        // ENOENT (no qdisc of its own) or EINVAL (the default noqueue cannot be deleted): nothing to clear.
        if (err is -2 or -22)
        {
            return false;
        }
        ThrowIf(err, $"clear rate limit on link {index}");
        return true;
    }

    /// <summary>The kind of <paramref name="index"/>'s root qdisc ("tbf", "noqueue", ...), or null when the link is gone.</summary>
    public string? RootQdiscKind(int index)
    {
        string? kind = null;
        var m = new NetlinkMessage(RTM_GETQDISC, NLM_F_REQUEST | NLM_F_DUMP).TcMsg(index, 0, 0);
        ReadReplies(Send(m), (type, msg) =>
        {
            if (type is NLMSG_DONE or NLMSG_ERROR)
            {
                return true;
            }
            // tcmsg after the 16-byte header: ifindex at 20, parent at 28. A dump lists every link's qdiscs.
            if (msg.Length < 36 || BinaryPrimitives.ReadInt32LittleEndian(msg[20..]) != index || BinaryPrimitives.ReadUInt32LittleEndian(msg[28..]) != TC_H_ROOT)
            {
                return false;
            }
            var attrs = msg[36..];
            while (NetlinkMessage.NextAttribute(ref attrs, out var atype, out var v))
            {
                if (atype == TCA_KIND)
                {
                    kind = System.Text.Encoding.ASCII.GetString(v).TrimEnd('\0');
                }
            }
            return false;
        });
        return kind;
    }
}
