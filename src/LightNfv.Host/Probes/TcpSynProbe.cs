using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace LightNfv.Host.Probes;

/// <summary>
/// A half-open TCP probe: one SYN from a raw socket, and the answer read from it. A SYN-ACK means the port listens; the
/// local kernel, which has no socket for that connection, answers the SYN-ACK with a RST itself, so the handshake never
/// completes and the server application never accepts anything: no "unable to receive cookie" or "unable to receive
/// parameters" line in iperf3's log per probe, as a full handshake (closed with FIN or RST) gives. It proves exactly what
/// a completed handshake proves (the kernel has a listening socket with room in its queue), since the kernel, not the
/// application, completes handshakes. Needs CAP_NET_RAW (the daemon runs as root); callers fall back to a connect.
/// </summary>
public static class TcpSynProbe
{
    private const byte Syn = 0x02, Rst = 0x04, Ack = 0x10;

    /// <summary>
    /// The probe's two sockets, bound to <paramref name="source"/> (the lab side's address, so the checksum's
    /// pseudo-header is known): the raw one, and a stream socket bound to an ephemeral port the kernel picks and never
    /// connected, which holds that port for the SYN so no other connection uses it meanwhile. Made in the calling
    /// thread's network namespace (the caller enters the lab for this call only).
    /// </summary>
    public static (Socket Raw, Socket PortHolder) Open(IPAddress source)
    {
        var raw = new Socket(AddressFamily.InterNetwork, SocketType.Raw, ProtocolType.Tcp);
        Socket? holder = null;
        try
        {
            raw.Bind(new IPEndPoint(source, 0));
            holder = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            holder.Bind(new IPEndPoint(source, 0));
            return (raw, holder);
        }
        catch
        {
            raw.Dispose();
            holder?.Dispose();
            throw;
        }
    }

    /// <summary>Null when the port answered with a SYN-ACK; else why not (a RST: nothing listens; silence within the timeout).</summary>
    public static async Task<string?> CheckAsync((Socket Raw, Socket PortHolder) sockets, IPAddress source, IPAddress target, int port, TimeSpan timeout, CancellationToken ct)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(timeout);
        var (raw, holder) = sockets;
        var sourcePort = (ushort)((IPEndPoint)holder.LocalEndPoint!).Port;
        var sequence = (uint)Random.Shared.Next();
        var syn = Build(source, target, sourcePort, (ushort)port, sequence);
        await raw.SendToAsync(syn, SocketFlags.None, new IPEndPoint(target, 0), deadline.Token).ConfigureAwait(false);
        var buffer = new byte[1500];
        try
        {
            while (true)
            {
                var n = await raw.ReceiveAsync(buffer, SocketFlags.None, deadline.Token).ConfigureAwait(false);
                // A raw TCP socket sees every TCP segment of the namespace with its IP header: keep the answer to ours.
                var ihl = (buffer[0] & 0x0f) * 4;
                if (n < ihl + 20 || !buffer.AsSpan(12, 4).SequenceEqual(Address(target)) ||
                    BinaryPrimitives.ReadUInt16BigEndian(buffer.AsSpan(ihl)) != port ||
                    BinaryPrimitives.ReadUInt16BigEndian(buffer.AsSpan(ihl + 2)) != sourcePort)
                {
                    continue;
                }
                var flags = buffer[ihl + 13];
                var ack = BinaryPrimitives.ReadUInt32BigEndian(buffer.AsSpan(ihl + 8));
                if ((flags & (Syn | Ack)) == (Syn | Ack) && ack == sequence + 1)
                {
                    return null;
                }
                if ((flags & Rst) != 0)
                {
                    return $"connection refused (RST): nothing listens on port {port}";
                }
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return $"no SYN-ACK within {timeout.TotalMilliseconds:0} ms";
        }
    }

    private static byte[] Address(IPAddress a) => a.GetAddressBytes();

    /// <summary>A 20-byte TCP header with SYN set and its checksum over the IPv4 pseudo-header.</summary>
    public static byte[] Build(IPAddress source, IPAddress target, ushort sourcePort, ushort targetPort, uint sequence)
    {
        var h = new byte[20];
        BinaryPrimitives.WriteUInt16BigEndian(h, sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(h.AsSpan(2), targetPort);
        BinaryPrimitives.WriteUInt32BigEndian(h.AsSpan(4), sequence);
        h[12] = 5 << 4; // data offset: 5 words, no options
        h[13] = Syn;
        BinaryPrimitives.WriteUInt16BigEndian(h.AsSpan(14), 64240);
        Span<byte> pseudo = stackalloc byte[12 + 20];
        source.TryWriteBytes(pseudo, out _);
        target.TryWriteBytes(pseudo[4..], out _);
        pseudo[9] = 6; // protocol TCP
        BinaryPrimitives.WriteUInt16BigEndian(pseudo[10..], 20);
        h.CopyTo(pseudo[12..]);
        BinaryPrimitives.WriteUInt16BigEndian(h.AsSpan(16), IcmpEcho.Checksum(pseudo)); // the same RFC 1071 sum
        return h;
    }
}
