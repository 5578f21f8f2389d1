using System.Buffers.Binary;
using LightNfv.Host.Native;
using static LightNfv.Host.Netlink.NetlinkConstants;

namespace LightNfv.Host.Netlink;

/// <summary>
/// The transport every netlink protocol here shares (rtnetlink for links, nfnetlink for nftables): one socket bound to
/// the network namespace of the thread that opened it, requests sent with a sequence number, replies read until the
/// request is answered.
/// </summary>
public abstract unsafe class NetlinkSocket : IDisposable
{
    private readonly FileDescriptor _fd;
    private uint _seq;
    private readonly byte[] _rx = new byte[32 * 1024];

    private protected NetlinkSocket(FileDescriptor fd) => _fd = fd;

    /// <summary>Opens a socket of <paramref name="protocol"/> in the calling thread's current network namespace.</summary>
    private protected static FileDescriptor OpenSocket(int protocol)
    {
        var fd = Libc.socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, protocol);
        if (fd < 0)
        {
            throw Errno.Error("socket(AF_NETLINK)", Errno.Last);
        }
        var handle = new FileDescriptor(fd);
        // Unbound netlink sockets are auto-bound on first send; explicit bind keeps errors early and clear.
        Span<byte> sa = stackalloc byte[12];
        sa.Clear();
        BinaryPrimitives.WriteUInt16LittleEndian(sa, AF_NETLINK);
        fixed (byte* p = sa)
        {
            if (Libc.bind(handle, p, 12) < 0)
            {
                var e = Errno.Last;
                handle.Dispose();
                throw Errno.Error("bind(AF_NETLINK)", e);
            }
        }
        return handle;
    }

    public void Dispose()
    {
        _fd.Dispose();
        GC.SuppressFinalize(this);
    }

    private protected void Execute(NetlinkMessage m, string what) => ThrowIf(TryExecute(m), what);

    private protected static void ThrowIf(int err, string what)
    {
        if (err != 0)
        {
            throw Errno.Error($"netlink {what}", -err);
        }
    }

    /// <summary>Sends a request and waits for its ACK; returns 0 or a negative errno.</summary>
    private protected int TryExecute(NetlinkMessage m)
    {
        var error = 0;
        ReadReplies(Send(m), (type, msg) =>
        {
            if (type != NLMSG_ERROR)
            {
                return false;
            }
            error = BinaryPrimitives.ReadInt32LittleEndian(msg[16..]);
            return true;
        });
        return error;
    }

    /// <summary>Handles one reply message (header included); returns true when the request is answered.</summary>
    private protected delegate bool ReplyHandler(ushort type, ReadOnlySpan<byte> message);

    /// <summary>Handles one reply message of a multi-message request (its sequence number says which); true when all are answered.</summary>
    private protected delegate bool SequencedReplyHandler(uint seq, ushort type, ReadOnlySpan<byte> message);

    /// <summary>Reads replies to request <paramref name="seq"/> until the handler says it is answered; others are skipped.</summary>
    private protected void ReadReplies(uint seq, ReplyHandler handler) =>
        ReadReplies(seq, seq, (_, type, msg) => handler(type, msg));

    /// <summary>Reads replies to requests <paramref name="first"/> to <paramref name="last"/> (a batch) until the handler says all are answered.</summary>
    private protected void ReadReplies(uint first, uint last, SequencedReplyHandler handler)
    {
        while (true)
        {
            var buf = _rx.AsSpan(0, Receive());
            while (buf.Length >= 16)
            {
                var len = (int)BinaryPrimitives.ReadUInt32LittleEndian(buf);
                if (len < 16 || len > buf.Length)
                {
                    break;
                }
                var type = BinaryPrimitives.ReadUInt16LittleEndian(buf[4..]);
                var mseq = BinaryPrimitives.ReadUInt32LittleEndian(buf[8..]);
                var msg = buf[..len];
                buf = buf[Math.Min(NetlinkMessage.Align(len), buf.Length)..];
                if (mseq >= first && mseq <= last && handler(mseq, type, msg))
                {
                    return;
                }
            }
        }
    }

    private protected uint Send(NetlinkMessage m)
    {
        var seq = NextSequence();
        SendBytes(m.Finish(seq));
        return seq;
    }

    /// <summary>The next request's sequence number (a batch numbers its messages itself, then sends them at once).</summary>
    private protected uint NextSequence() => ++_seq;

    /// <summary>Sends one datagram: a request, or a batch of requests the kernel handles as one.</summary>
    private protected void SendBytes(ReadOnlySpan<byte> bytes)
    {
        fixed (byte* p = bytes)
        {
            while (true)
            {
                var r = Libc.send(_fd, p, (nuint)bytes.Length, 0);
                if (r >= 0)
                {
                    return;
                }
                if (Errno.Last != Libc.EINTR)
                {
                    throw Errno.Error("netlink send", Errno.Last);
                }
            }
        }
    }

    private int Receive()
    {
        fixed (byte* p = _rx)
        {
            while (true)
            {
                var r = Libc.recv(_fd, p, (nuint)_rx.Length, 0);
                if (r >= 0)
                {
                    return (int)r;
                }
                if (Errno.Last != Libc.EINTR)
                {
                    throw Errno.Error("netlink recv", Errno.Last);
                }
            }
        }
    }
}
