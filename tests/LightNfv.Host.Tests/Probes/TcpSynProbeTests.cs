using System.Net;
using System.Net.Sockets;
using LightNfv.Host.Probes;

namespace LightNfv.Host.Tests.Probes;

/// <summary>
/// The half-open liveness probe: its SYN carries a valid checksum; against a real listener on loopback a SYN-ACK
/// passes while the listener's application never has a connection to accept (the point: nothing in a VNF's log); a
/// closed port answers RST and fails with that reason.
/// </summary>
public class TcpSynProbeTests
{
    [Fact]
    public void The_syn_checksum_verifies_over_the_pseudo_header()
    {
        var source = IPAddress.Parse("10.1.0.1");
        var target = IPAddress.Parse("10.1.0.2");
        var syn = TcpSynProbe.Build(source, target, 40000, 5201, 12345);
        syn[13].ShouldBe((byte)0x02);
        var pseudo = new byte[12 + 20];
        source.TryWriteBytes(pseudo, out _);
        target.TryWriteBytes(pseudo.AsSpan(4), out _);
        pseudo[9] = 6;
        pseudo[11] = 20;
        syn.CopyTo(pseudo, 12);
        IcmpEcho.Checksum(pseudo).ShouldBe((ushort)0);
    }

    [Fact]
    public async Task A_listener_passes_without_ever_having_a_connection_to_accept()
    {
        Assert.SkipUnless(LightNfv.Host.Processes.Privileges.IsRoot, "needs root (CAP_NET_RAW) for a raw socket");
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(8);
        var port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        for (var i = 0; i < 3; i++)
        {
            var sockets = TcpSynProbe.Open(IPAddress.Loopback);
            using (sockets.Raw)
            using (sockets.PortHolder)
            {
                (await TcpSynProbe.CheckAsync(sockets, IPAddress.Loopback, IPAddress.Loopback, port, TimeSpan.FromSeconds(2), CancellationToken.None)).ShouldBeNull();
            }
        }
        listener.Poll(TimeSpan.FromMilliseconds(200), SelectMode.SelectRead).ShouldBeFalse("the probe never completes a handshake, so there is nothing to accept");
    }

    [Fact]
    public async Task A_closed_port_fails_with_the_reset()
    {
        Assert.SkipUnless(LightNfv.Host.Processes.Privileges.IsRoot, "needs root (CAP_NET_RAW) for a raw socket");
        int port;
        using (var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            s.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            port = ((IPEndPoint)s.LocalEndPoint!).Port; // free again once closed: nothing listens there
        }
        var sockets = TcpSynProbe.Open(IPAddress.Loopback);
        using (sockets.Raw)
        using (sockets.PortHolder)
        {
            (await TcpSynProbe.CheckAsync(sockets, IPAddress.Loopback, IPAddress.Loopback, port, TimeSpan.FromSeconds(2), CancellationToken.None))
                .ShouldNotBeNull().ShouldContain("RST");
        }
    }
}
