using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace LightNfv.Host.Probes;

/// <summary>
/// Round-trip times of ICMP echo, one request in flight at a time and the next sent as soon as the reply is in (a
/// flood in ping's sense, bounded by its count and a deadline). A raw socket (root) opened in
/// the given namespace (the lab), or in the calling thread's namespace when null.
/// </summary>
public static class IcmpEcho
{
    public static IReadOnlyList<double> Flood(IPAddress target, int count, TimeSpan deadline, int payloadBytes = 56, Native.FileDescriptor? netNamespace = null)
    {
        static Socket Open() => new(AddressFamily.InterNetwork, SocketType.Raw, ProtocolType.Icmp);
        using var socket = netNamespace is null ? Open() : Namespaces.NetNamespace.OpenIn(netNamespace, Open);
        socket.ReceiveTimeout = 1000;
        var endpoint = new IPEndPoint(target, 0);
        var id = (ushort)(Environment.ProcessId & 0xffff);
        var request = new byte[8 + payloadBytes];
        var reply = new byte[2048];
        var samples = new List<double>(count);
        var until = Stopwatch.GetTimestamp() + (long)(deadline.TotalSeconds * Stopwatch.Frequency);
        for (ushort seq = 1; samples.Count < count && Stopwatch.GetTimestamp() < until; seq++)
        {
            Build(request, id, seq);
            var sent = Stopwatch.GetTimestamp();
            socket.SendTo(request, endpoint);
            while (true)
            {
                EndPoint from = new IPEndPoint(IPAddress.Any, 0);
                int n;
                try
                {
                    n = socket.ReceiveFrom(reply, ref from);
                }
                catch (SocketException e) when (e.SocketErrorCode == SocketError.TimedOut)
                {
                    break; // lost: not counted, the next request goes out
                }
                var now = Stopwatch.GetTimestamp();
                // Raw ICMP sockets see every ICMP packet with its IP header: keep only our echo reply.
                var ihl = (reply[0] & 0x0f) * 4;
                if (n >= ihl + 8 && reply[ihl] == 0 && ((IPEndPoint)from).Address.Equals(target) &&
                    BinaryPrimitives.ReadUInt16BigEndian(reply.AsSpan(ihl + 4)) == id &&
                    BinaryPrimitives.ReadUInt16BigEndian(reply.AsSpan(ihl + 6)) == seq)
                {
                    samples.Add((now - sent) * 1000.0 / Stopwatch.Frequency);
                    break;
                }
            }
        }
        return samples;
    }

    private static void Build(byte[] packet, ushort id, ushort seq)
    {
        packet.AsSpan().Clear();
        packet[0] = 8; // echo request
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(4), id);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(6), seq);
        for (var i = 8; i < packet.Length; i++)
        {
            packet[i] = (byte)i;
        }
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), Checksum(packet));
    }

    /// <summary>The Internet checksum (RFC 1071).</summary>
    public static ushort Checksum(ReadOnlySpan<byte> data)
    {
        uint sum = 0;
        var i = 0;
        for (; i + 1 < data.Length; i += 2)
        {
            sum += BinaryPrimitives.ReadUInt16BigEndian(data[i..]);
        }
        if (i < data.Length)
        {
            sum += (uint)(data[i] << 8);
        }
        while (sum >> 16 != 0)
        {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        return (ushort)~sum;
    }
}
