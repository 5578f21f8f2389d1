using System.Net;
using System.Net.Sockets;
using LightNfv.Core.Configuration;
using LightNfv.Core.Errors;

namespace LightNfv.Platform.Events;

/// <summary>
/// Where webhooks may go: loopback (127.0.0.0/8, ::1), nowhere else, so a subscription can never make the daemon send
/// traffic off this machine, nor probe inside the lab for a tenant (the lab subnet, where every tenant's instances
/// answer), nor reach link-local or cloud metadata addresses (169.254.0.0/16, fe80::/10, fd00:ec2::254).
/// Each refusal says which of these the address is. Enforced where the connection is made (<see cref="CreateHandler"/>: every
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

    public bool Allows(IPAddress address) => Refusal(address) is null;

    private static readonly IPNetwork LinkLocal4 = IPNetwork.Parse("169.254.0.0/16"), LinkLocal6 = IPNetwork.Parse("fe80::/10");

    /// <summary>Cloud metadata services outside link-local: AWS's IPv6 one, Alibaba's.</summary>
    private static readonly IPAddress[] Metadata = [IPAddress.Parse("fd00:ec2::254"), IPAddress.Parse("100.100.100.200")];

    /// <summary>Why <paramref name="address"/> is refused, or null when it is loopback.</summary>
    public string? Refusal(IPAddress address)
    {
        var a = address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
        if (IPAddress.IsLoopback(a))
        {
            return null;
        }
        if (a.AddressFamily == lab.BaseAddress.AddressFamily && lab.Contains(a))
        {
            return $"is in the lab subnet {lab}: a webhook must not make the daemon probe the lab's instances";
        }
        if (Metadata.Contains(a) || a.Equals(IPAddress.Parse("169.254.169.254")))
        {
            return "is a cloud metadata address";
        }
        if (LinkLocal4.Contains(a) || LinkLocal6.Contains(a))
        {
            return "is link-local (169.254.0.0/16, fe80::/10), where metadata services answer";
        }
        return "is not loopback (127.0.0.0/8, ::1); LightNFV sends webhooks only to this machine";
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
                throw new LightNfvException(ErrorKind.Invalid, $"callbackUri: host '{bare}' does not resolve ({e.Message}); use a loopback address, e.g. http://127.0.0.1:9000/notify");
            }
        }
        if (addresses.Length == 0)
        {
            throw new LightNfvException(ErrorKind.Invalid, $"callbackUri: host '{bare}' resolves to no address; use a loopback address, e.g. http://127.0.0.1:9000/notify");
        }
        if (addresses.Select(a => (Address: a, Why: Refusal(a))).FirstOrDefault(x => x.Why is not null) is { Why: { } why } refused)
        {
            var what = bare == refused.Address.ToString() ? $"'{bare}'" : $"'{bare}' ({refused.Address})";
            throw new LightNfvException(ErrorKind.Invalid, $"callbackUri: {what} {why}; use a loopback address, e.g. http://127.0.0.1:9000/notify");
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
