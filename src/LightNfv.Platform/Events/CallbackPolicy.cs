using System.Net;
using System.Net.Sockets;
using LightNfv.Core.Configuration;
using LightNfv.Core.Errors;

namespace LightNfv.Platform.Events;

/// <summary>
/// Where webhooks may go: loopback (127.0.0.0/8, ::1) or the lab subnet, nowhere else, so a subscription can never make
/// the daemon send traffic off this machine. Enforced where the connection is made (<see cref="CreateHandler"/>: every
/// address a name resolves to is checked as it is connected to, so a name that later resolves elsewhere is refused too),
/// and checked up front at subscription time (<see cref="EnsureAllowedAsync"/>) for a clear answer.
/// </summary>
public sealed class CallbackPolicy(IPNetwork lab)
{
    public static CallbackPolicy For(PlatformOptions options)
    {
        if (!IPNetwork.TryParse(options.Subnet, out var lab))
        {
            throw new LightNfvException(ErrorKind.Invalid, $"LIGHTNFV_SUBNET: '{options.Subnet}' is not a CIDR network; e.g. 10.77.0.0/16");
        }
        return new CallbackPolicy(lab);
    }

    public IPNetwork Lab => lab;

    /// <summary>How long the creation check (GET, expecting 204) and a connection may take.</summary>
    public static readonly TimeSpan CheckTimeout = TimeSpan.FromSeconds(2);

    public bool Allows(IPAddress address)
    {
        var a = address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
        return IPAddress.IsLoopback(a) || (a.AddressFamily == lab.BaseAddress.AddressFamily && lab.Contains(a));
    }

    /// <summary>The addresses of <paramref name="host"/> (a literal, or a name resolved here); refused unless every one is allowed.</summary>
    public async Task<IPAddress[]> EnsureAllowedAsync(string host, CancellationToken ct)
    {
        var bare = host.TrimStart('[').TrimEnd(']');
        IPAddress[] addresses;
        if (IPAddress.TryParse(bare, out var literal))
        {
            addresses = [literal];
        }
        else
        {
            try
            {
                addresses = await Dns.GetHostAddressesAsync(bare, ct).ConfigureAwait(false);
            }
            catch (SocketException e)
            {
                throw new LightNfvException(ErrorKind.Invalid, $"callbackUri: host '{bare}' does not resolve ({e.Message}); use a loopback address or one in the lab subnet {lab}");
            }
        }
        var outside = addresses.Where(a => !Allows(a)).ToList();
        if (addresses.Length == 0 || outside.Count > 0)
        {
            var what = bare == (outside.FirstOrDefault()?.ToString() ?? "") ? $"'{bare}'" : $"'{bare}' ({string.Join(", ", outside)})";
            throw new LightNfvException(ErrorKind.Invalid,
                $"callbackUri: {what} is neither loopback (127.0.0.0/8, ::1) nor in the lab subnet {lab}; LightNFV sends webhooks only to this machine");
        }
        return addresses;
    }

    /// <summary>
    /// The HTTP handler for every callback request: no proxy (it would carry the request elsewhere), no redirects, and a
    /// connect step that only ever opens a socket to an allowed address.
    /// </summary>
    public SocketsHttpHandler CreateHandler() => new()
    {
        UseProxy = false,
        AllowAutoRedirect = false,
        ConnectTimeout = CheckTimeout,
        PooledConnectionLifetime = TimeSpan.FromMinutes(1),
        ConnectCallback = async (context, ct) =>
        {
            var addresses = await EnsureAllowedAsync(context.DnsEndPoint.Host, ct).ConfigureAwait(false);
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(addresses, context.DnsEndPoint.Port, ct).ConfigureAwait(false);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    };
}
