using System.Net.Sockets;
using System.Text;
using LightNfv.Core.Errors;

namespace LightNfv.Backends.Unikernel;

/// <summary>One request to the monitor host per connection (connect, one line out, one line back: ~0.1 ms).</summary>
public static class MonitorClient
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    /// <summary>Sends a request; an "error" answer becomes a <see cref="LightNfvException"/> of the monitor's kind.</summary>
    public static MonitorMessage Send(string socketPath, MonitorMessage request)
    {
        var reply = TrySend(socketPath, request)
            ?? throw new LightNfvException(ErrorKind.Host, $"the unikernel monitor at {socketPath} does not answer; 'lightnfv down' resets it");
        if (reply.Verb == "error")
        {
            var kind = Enum.TryParse<ErrorKind>(reply["kind"], out var k) ? k : ErrorKind.Host;
            throw new LightNfvException(kind, "unikernel monitor: " + reply["message"]);
        }
        return reply;
    }

    /// <summary>Null when nobody listens on the socket.</summary>
    public static MonitorMessage? TrySend(string socketPath, MonitorMessage request)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.ReceiveTimeout = socket.SendTimeout = (int)Timeout.TotalMilliseconds;
        try
        {
            socket.Connect(new UnixDomainSocketEndPoint(socketPath));
        }
        catch (SocketException)
        {
            return null;
        }
        socket.Send(Encoding.UTF8.GetBytes(request + "\n"));
        var buffer = new byte[8192];
        var n = 0;
        while (n < buffer.Length)
        {
            var r = socket.Receive(buffer.AsSpan(n));
            if (r == 0)
            {
                break;
            }
            n += r;
            if (buffer[n - 1] == (byte)'\n')
            {
                break;
            }
        }
        return n == 0 ? null : MonitorMessage.Parse(Encoding.UTF8.GetString(buffer, 0, n));
    }
}
