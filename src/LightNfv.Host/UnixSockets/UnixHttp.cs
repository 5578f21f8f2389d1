using System.Net.Sockets;

namespace LightNfv.Host.UnixSockets;

/// <summary>
/// HTTP over a unix socket (the daemon's API) and the one check of whether something listens on such a socket: the
/// CLI, the daemon's own start-up, the benches and the tests all use these.
/// </summary>
public static class UnixHttp
{
    /// <summary>A client whose every connection goes to <paramref name="socket"/>; the host name in URLs is ignored.</summary>
    public static HttpClient Create(string socket, int maxConnections = 8) =>
        new(Handler(socket, maxConnections)) { BaseAddress = new Uri("http://lightnfv/"), Timeout = TimeSpan.FromSeconds(30) };

    public static SocketsHttpHandler Handler(string socket, int maxConnections = 8) => new()
    {
        MaxConnectionsPerServer = maxConnections,
        ConnectCallback = async (_, ct) =>
        {
            var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            try
            {
                await s.ConnectAsync(new UnixDomainSocketEndPoint(socket), ct).ConfigureAwait(false);
                return new NetworkStream(s, ownsSocket: true);
            }
            catch
            {
                s.Dispose();
                throw;
            }
        },
    };

    /// <summary>
    /// Whether a process accepts connections on <paramref name="path"/> now. A socket file left by a killed daemon
    /// (connection refused) or no file at all is false.
    /// </summary>
    public static bool Answers(string path)
    {
        if (!File.Exists(path))
        {
            return false;
        }
        using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            probe.Connect(new UnixDomainSocketEndPoint(path));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
