using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using LightNfv.Backends.Oci;
using LightNfv.Core.Descriptors;
using LightNfv.Core.Networking;
using LightNfv.Host.Namespaces;
using LightNfv.Host.Network;
using LightNfv.IntegrationTests.Infrastructure;
using LightNfv.Platform.Store;

namespace LightNfv.IntegrationTests.Network;

/// <summary>
/// Anti-spoofing on the real kernel (issue 17 item 2): raw frames sent from inside a process VNF's namespace with another
/// IPv4 source, another MAC or a forged ARP sender never reach the other instance of its segment (captured there on an
/// AF_PACKET socket) and count on the sender's port, while its honest frames pass; a port's elements go with it.
/// </summary>
public sealed class PortGuardTests(ITestOutputHelper output) : IntegrationTest(output)
{
    private const ushort EthIp = 0x0800, EthArp = 0x0806, EthAll = 0x0003;

    private static string Yaml(string name, string technology = "process") => $"""
        apiVersion: lightnfv/v1
        kind: Vnf
        metadata:
          name: {name}
        spec:
          technology: {technology}
          app:
            builtin: iperf3-server
          resources:
            vcpus: 1
            memoryMiB: 64
            pids: 64
          network:
            ports: [5201]
        """;

    [Fact]
    public async Task A_spoofed_source_ip_mac_and_arp_reply_never_reach_another_port_and_count_on_the_senders_port()
    {
        RequireRoot();
        var sender = await Lab.RunAsync(Yaml("sender"));
        var receiver = await Lab.RunAsync(Yaml("receiver"));
        var from = IPAddress.Parse(sender.Address!);
        var to = IPAddress.Parse(receiver.Address!);
        var fromMac = NetworkAttachment.MacForInstance(sender.Id);
        var toMac = NetworkAttachment.MacForInstance(receiver.Id);
        var gateway = Lab.Host.Lab.AttachmentFor(from).Gateway;
        var stranger = Lab.Address(200); // unused in the subnet: an address the sender would like to pass for
        var before = Dropped(sender);

        // Honest traffic flows both ways: TCP from the lab and between the two instances.
        Lab.TcpConnect(to, 5201).ShouldBeNull("lab -> receiver");
        ConnectSoon(sender, to, 5201).ShouldBeNull("sender -> receiver, honest TCP");

        using var capture = PacketSocket(receiver);
        capture.ReceiveTimeout = 300;
        Drain(capture);
        using var raw = PacketSocket(sender);
        byte[][] spoofed =
        [
            Udp(toMac, fromMac, stranger, to, "spoofed-ip"),                                      // another IPv4 source
            Udp(toMac, [0x02, 0x4e, 0xde, 0xad, 0xbe, 0xef], from, to, "spoofed-mac"),            // another MAC, own address
            ArpReply(toMac, fromMac, fromMac, gateway, to),                                       // "the lab's gateway is at my MAC"
            ArpReply(toMac, fromMac, fromMac, stranger, to),                                      // another ARP sender address
            ArpReply(toMac, fromMac, [0x02, 0x4e, 0xde, 0xad, 0xbe, 0xef], from, to),              // ARP sender MAC not the frame's
        ];
        foreach (var frame in spoofed)
        {
            raw.Send(frame);
        }
        // The honest frame last: once it is captured, every spoofed one would have arrived before it.
        raw.Send(Udp(toMac, fromMac, from, to, "honest"));

        var seen = Capture(capture, "honest");
        seen.ShouldContain(f => Contains(f, "honest"), "the honest frame reached the receiver");
        foreach (var marker in new[] { "spoofed-ip", "spoofed-mac" })
        {
            seen.ShouldNotContain(f => Contains(f, marker), $"a {marker} frame reached the receiver");
        }
        seen.ShouldNotContain(f => IsForgedArp(f, fromMac, from), "a forged ARP reply from the sender reached the receiver");

        var dropped = Dropped(sender) - before;
        Output.WriteLine($"sender's port dropped {dropped} frames; receiver's {Dropped(receiver)}");
        dropped.ShouldBeGreaterThanOrEqualTo((ulong)spoofed.Length, "every spoofed frame counts on the sender's port");
        Dropped(receiver).ShouldBe(0UL, "the receiver sent nothing spoofed");
        // Counted in the stats the API, `lightnfv stats` and /metrics read.
        Lab.Instances.Stats(sender)!.SpoofedFramesDropped.ShouldBe(Dropped(sender));

        // And honest traffic still flows after the drops.
        ConnectSoon(sender, to, 5201).ShouldBeNull("sender -> receiver, honest TCP after the spoofed frames");
    }

    [Fact]
    public async Task Every_technologys_port_is_guarded_with_its_instance_and_its_elements_go_with_it()
    {
        RequireRoot();
        var runs = new List<InstanceRecord> { await Lab.RunAsync(Yaml("p1")) };
        if (Lab.Registry.Find(Technology.Container) is ContainerBackend c && c.Runtime("crun") is not null)
        {
            runs.Add(await Lab.RunAsync(Yaml("c1", "container")));
        }
        else
        {
            Output.WriteLine("crun is not installed: the container port is not checked");
        }
        var guard = Lab.Host.Lab.Guard;
        foreach (var r in runs)
        {
            var port = guard.All().SingleOrDefault(p => p.Port == r.Facts.HostLink);
            port.Port.ShouldNotBeNull($"{r.Name}'s port {r.Facts.HostLink} is guarded");
            port.Comment.ShouldBe($"{Mac(NetworkAttachment.MacForInstance(r.Id))} {r.Address}");
            Table().ShouldContain($"\"{r.Facts.HostLink}\" . {Mac(NetworkAttachment.MacForInstance(r.Id))} . {r.Address}");
        }

        foreach (var r in runs)
        {
            await Lab.Instances.RemoveAsync(r);
            guard.All().ShouldNotContain(p => p.Port == r.Facts.HostLink, $"{r.Name}'s guard outlived it");
            Table().ShouldNotContain(r.Facts.HostLink!);
        }
        guard.RulesetExists().ShouldBeTrue();

        await Lab.Instances.DownAsync();
        // The table lived in the lab namespace: gone with it.
        NetNamespace.Exists(Lab.LabName).ShouldBeFalse();
        HostState.Run("nft", ["list", "table", "bridge", PortGuard.Table]).ExitCode.ShouldNotBe(0, "the guard table is in the host's own namespace");
    }

    [Fact]
    public async Task The_daemons_stats_api_and_metrics_count_an_instances_spoofed_frames()
    {
        RequireRoot();
        using var daemon = DaemonApi.StartDaemon(Lab);
        using var http = LightNfv.Host.UnixSockets.UnixHttp.Create(daemon.Socket);
        try
        {
            var created = await DaemonApi.Send(http, HttpMethod.Post, "api/v1/instances", Yaml("spoofer"));
            var id = created.GetProperty("id").GetString()!;
            var address = IPAddress.Parse(created.GetProperty("address").GetString()!);
            var mac = NetworkAttachment.MacForInstance(id);
            var gateway = Lab.Host.Lab.AttachmentFor(address).Gateway;
            using (var raw = PacketSocket(id))
            {
                for (var i = 0; i < 3; i++)
                {
                    raw.Send(Udp(NetworkAttachment.MacFor(gateway), mac, Lab.Address(203), gateway, "spoofed-ip"));
                }
            }

            // The API's stats and /metrics read the daemon's monitor samples: polled until a sample after the drops.
            var stats = await PollAsync(async () => (await DaemonApi.Send(http, HttpMethod.Get, $"api/v1/instances/{id}/stats")).GetProperty("stats"),
                s => s.GetProperty("spoofedFramesDropped").GetUInt64() >= 3);
            stats.GetProperty("spoofedFramesDropped").GetUInt64().ShouldBe(3UL, $"stats: {stats}");
            var line = await PollAsync(async () => (await http.GetStringAsync("metrics")).Split('\n')
                    .FirstOrDefault(l => l.StartsWith("lightnfv_instance_spoofed_frames_dropped_total{", StringComparison.Ordinal) && l.Contains($"id=\"{id}\"", StringComparison.Ordinal)) ?? "",
                l => l.EndsWith(" 3", StringComparison.Ordinal));
            Output.WriteLine(line);
            line.ShouldEndWith(" 3");
            line.ShouldContain("name=\"spoofer\"");

            await DaemonApi.Send(http, HttpMethod.Delete, $"api/v1/instances/{id}");
            Lab.Host.Lab.Guard.All().ShouldBeEmpty();
        }
        finally
        {
            daemon.Stop();
            Lab.ReapSupervisorZombies();
        }
    }

    [Fact]
    public async Task A_replica_over_its_quarantineOnSpoof_threshold_is_quarantined_and_replaced()
    {
        RequireRoot();
        using var daemon = DaemonApi.StartDaemon(Lab);
        using var http = LightNfv.Host.UnixSockets.UnixHttp.Create(daemon.Socket);
        try
        {
            await DaemonApi.Send(http, HttpMethod.Post, "api/v1/descriptors", Yaml("spoofy") + "\n  security:\n    quarantineOnSpoof: 3");
            var op = await DaemonApi.Send(http, HttpMethod.Post, "api/v1/vnfs/spoofy/instantiate", body: new { replicas = 1 });
            (await DaemonApi.WaitOperation(http, op.GetProperty("id").GetString()!, TimeSpan.FromSeconds(30))).GetProperty("state").GetString().ShouldBe("completed");
            var replica = (await DaemonApi.Replicas(http, "spoofy")).Single();
            var id = replica.GetProperty("id").GetString()!;
            var address = IPAddress.Parse(replica.GetProperty("address").GetString()!);
            var gateway = Lab.Host.Lab.AttachmentFor(address).Gateway;
            using (var raw = PacketSocket(id))
            {
                for (var i = 0; i < 3; i++)
                {
                    raw.Send(Udp(NetworkAttachment.MacFor(gateway), NetworkAttachment.MacForInstance(id), Lab.Address(203), gateway, "spoofed-ip"));
                }
            }

            // The daemon reads the counter after each monitoring round (1 s) and quarantines; its VNF is given a replacement.
            var replicas = await PollAsync(() => DaemonApi.Replicas(http, "spoofy"), rs =>
                rs.Any(r => r.GetProperty("id").GetString() == id && r.GetProperty("state").GetString() == "quarantined") &&
                rs.Any(r => r.GetProperty("id").GetString() != id && r.GetProperty("state").GetString() == "running"));
            Output.WriteLine(string.Join(", ", replicas.Select(r => $"{r.GetProperty("id")} {r.GetProperty("state")}")));
            replicas.Single(r => r.GetProperty("id").GetString() == id).GetProperty("state").GetString().ShouldBe("quarantined");
            replicas.ShouldContain(r => r.GetProperty("id").GetString() != id && r.GetProperty("state").GetString() == "running", "the VNF got a replacement");
            var alert = (await DaemonApi.Send(http, HttpMethod.Get, "api/v1/alerts")).EnumerateArray()
                .Single(a => a.GetProperty("notificationType").GetString() == "instance.quarantined" && a.GetProperty("instance").GetString() == id);
            Output.WriteLine(alert.GetProperty("message").GetString()!);
            alert.GetProperty("message").GetString()!.ShouldContain("spec.security.quarantineOnSpoof: 3");
            var audit = (await DaemonApi.Send(http, HttpMethod.Get, "api/v1/audit")).EnumerateArray()
                .Single(a => a.GetProperty("action").GetString() == "instance.quarantine");
            audit.GetProperty("actor").GetString().ShouldBe("system:quarantine");

            await DaemonApi.Send(http, HttpMethod.Delete, $"api/v1/instances/{id}");
            op = await DaemonApi.Send(http, HttpMethod.Post, "api/v1/vnfs/spoofy/terminate");
            (await DaemonApi.WaitOperation(http, op.GetProperty("id").GetString()!, TimeSpan.FromSeconds(60))).GetProperty("state").GetString().ShouldBe("completed");
            Lab.Host.Lab.Guard.All().ShouldBeEmpty();
        }
        finally
        {
            daemon.Stop();
            Lab.ReapSupervisorZombies();
        }
    }

    private static async Task<T> PollAsync<T>(Func<Task<T>> read, Func<T, bool> accept)
    {
        var value = await read();
        for (var deadline = DateTime.UtcNow.AddSeconds(20); !accept(value) && DateTime.UtcNow < deadline;)
        {
            await Task.Delay(200);
            value = await read();
        }
        return value;
    }

    [Fact]
    public async Task A_warm_shell_is_guarded_with_nothing_allowed_until_a_process_claims_it()
    {
        RequireRoot();
        Lab.Host.Shells.Refill(1).ShouldBe(1);
        var shell = Lab.Host.Lab.Guard.All().ShouldHaveSingleItem();
        shell.Comment.ShouldNotBeNull().Contains(' ', StringComparison.Ordinal).ShouldBeFalse("a shell's port has a MAC but no address: it passes nothing it sends");

        var r = await Lab.RunAsync(Yaml("claimer"));
        r.Facts.HostLink.ShouldBe(shell.Port, "the process claimed the shell");
        var claimed = Lab.Host.Lab.Guard.All().ShouldHaveSingleItem();
        claimed.Comment.ShouldBe($"{Mac(NetworkAttachment.MacForInstance(r.Id))} {r.Address}");
        Lab.TcpConnect(IPAddress.Parse(r.Address!), 5201).ShouldBeNull("lab -> the claimed shell's VNF");
        Dropped(r).ShouldBe(0UL);

        await Lab.Instances.RemoveAsync(r);
        Lab.Host.Lab.Guard.All().ShouldBeEmpty();
    }

    [Fact]
    public async Task A_warm_port_sends_nothing_until_it_is_claimed_and_guarding_one_costs_microseconds()
    {
        RequireRoot();
        // Guards are keyed by port name, so they can be measured without links: a bench figure, not a timed test.
        _ = await Lab.RunAsync(Yaml("anchor")); // the lab and its table
        var guard = Lab.Host.Lab.Guard;
        var mac = new byte[] { 0x02, 0x4e, 0, 0, 0, 9 };
        var add = new List<double>();
        var remove = new List<double>();
        for (var i = 0; i < 200; i++)
        {
            var port = $"lnfvbench{i:x4}";
            var t = Stopwatch.GetTimestamp();
            guard.Guard(port, mac, Lab.Address(201));
            add.Add(Stopwatch.GetElapsedTime(t).TotalMicroseconds);
            t = Stopwatch.GetTimestamp();
            guard.Unguard(port);
            remove.Add(Stopwatch.GetElapsedTime(t).TotalMicroseconds);
        }
        add.Sort();
        remove.Sort();
        Output.WriteLine($"per port, 200 rounds: add median {add[100]:0} us (p90 {add[180]:0}), remove median {remove[100]:0} us (p90 {remove[180]:0})");
        guard.All().ShouldNotContain(p => p.Port.StartsWith("lnfvbench", StringComparison.Ordinal));

        // A warm port (no address yet) is guarded with nothing allowed; its claim allows its address and starts its count at 0.
        guard.Guard("lnfvwarm", mac, null);
        guard.All().Single(p => p.Port == "lnfvwarm").Comment.ShouldBe(Mac(mac));
        Table().ShouldNotContain("\"lnfvwarm\" .");
        guard.Guard("lnfvwarm", mac, Lab.Address(202));
        Table().ShouldContain($"\"lnfvwarm\" . {Mac(mac)} . {Lab.Address(202)}");
        guard.Dropped("lnfvwarm").ShouldBe(new LightNfv.Host.Netlink.ElementCounter(0, 0));
        guard.Unguard("lnfvwarm");
        guard.Unguard("lnfvwarm"); // idempotent
        guard.Dropped("lnfvwarm").ShouldBeNull();
        Table().ShouldNotContain("lnfvwarm");
    }

    private ulong Dropped(InstanceRecord r) => Lab.Host.Lab.SpoofedFramesDropped(r.Facts.HostLink!);

    private string Table() => HostState.Run("ip", ["netns", "exec", Lab.LabName, "nft", "list", "table", "bridge", PortGuard.Table]).Stdout;

    private static string Mac(byte[] mac) => string.Join(':', mac.Select(b => b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture)));

    /// <summary>An AF_PACKET socket inside an instance's namespace, bound to its eth0 for every ethertype.</summary>
    private Socket PacketSocket(InstanceRecord r) => PacketSocket(r.Id);

    private Socket PacketSocket(string id)
    {
        using var ns = NetNamespace.Open(Lab.InstanceNamespace(id));
        var s = NetNamespace.OpenIn(ns, () => new Socket(AddressFamily.Packet, SocketType.Raw, (ProtocolType)BinaryPrimitives.ReverseEndianness(EthAll)));
        s.Bind(new LinkEndPoint(EthAll, 2 /* eth0: see LabNetwork.InstanceLinkName */));
        return s;
    }

    private static void Drain(Socket s)
    {
        var buf = new byte[2048];
        try
        {
            while (true)
            {
                s.Receive(buf);
            }
        }
        catch (SocketException)
        {
            // timed out: nothing left
        }
    }

    /// <summary>Frames received until one holding <paramref name="last"/> (or 3 s of nothing new).</summary>
    private static List<byte[]> Capture(Socket s, string last)
    {
        var frames = new List<byte[]>();
        var buf = new byte[2048];
        var deadline = DateTime.UtcNow.AddSeconds(3);
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                var n = s.Receive(buf);
                frames.Add(buf[..n]);
                if (Contains(frames[^1], last))
                {
                    break;
                }
            }
            catch (SocketException)
            {
            }
        }
        return frames;
    }

    private static bool Contains(byte[] frame, string marker) => frame.AsSpan().IndexOf(Encoding.ASCII.GetBytes(marker)) >= 0;

    /// <summary>An ARP frame from the sender's MAC whose sender fields are not the sender's own (its honest ARP may pass).</summary>
    private static bool IsForgedArp(byte[] frame, byte[] mac, IPAddress address) =>
        frame.Length >= 42 && BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(12)) == EthArp && frame.AsSpan(6, 6).SequenceEqual(mac) &&
        (!frame.AsSpan(22, 6).SequenceEqual(mac) || !frame.AsSpan(28, 4).SequenceEqual(address.GetAddressBytes()));

    private static byte[] Ethernet(byte[] dst, byte[] src, ushort type, byte[] payload) => [.. dst, .. src, (byte)(type >> 8), (byte)type, .. payload];

    /// <summary>A UDP datagram (port 9, discard) carrying <paramref name="marker"/>, with a valid IPv4 header checksum.</summary>
    private static byte[] Udp(byte[] dstMac, byte[] srcMac, IPAddress src, IPAddress dst, string marker)
    {
        var data = Encoding.ASCII.GetBytes(marker);
        var ip = new byte[20 + 8 + data.Length];
        ip[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(ip.AsSpan(2), (ushort)ip.Length);
        ip[8] = 64;
        ip[9] = 17;
        src.GetAddressBytes().CopyTo(ip, 12);
        dst.GetAddressBytes().CopyTo(ip, 16);
        var sum = 0u;
        for (var i = 0; i < 20; i += 2)
        {
            sum += BinaryPrimitives.ReadUInt16BigEndian(ip.AsSpan(i));
        }
        sum = (sum & 0xffff) + (sum >> 16);
        BinaryPrimitives.WriteUInt16BigEndian(ip.AsSpan(10), (ushort)~((sum & 0xffff) + (sum >> 16)));
        BinaryPrimitives.WriteUInt16BigEndian(ip.AsSpan(20), 9);
        BinaryPrimitives.WriteUInt16BigEndian(ip.AsSpan(22), 9);
        BinaryPrimitives.WriteUInt16BigEndian(ip.AsSpan(24), (ushort)(8 + data.Length)); // checksum 0: none, allowed for UDP over IPv4
        data.CopyTo(ip, 28);
        return Ethernet(dstMac, srcMac, EthIp, ip);
    }

    private static byte[] ArpReply(byte[] dstMac, byte[] frameMac, byte[] senderMac, IPAddress senderIp, IPAddress targetIp)
    {
        byte[] arp = [0, 1, 0x08, 0x00, 6, 4, 0, 2, .. senderMac, .. senderIp.GetAddressBytes(), .. dstMac, .. targetIp.GetAddressBytes()];
        return Ethernet(dstMac, frameMac, EthArp, arp);
    }

    /// <summary>struct sockaddr_ll for one interface and protocol: what binding an AF_PACKET socket needs.</summary>
    private sealed class LinkEndPoint(ushort protocol, int ifindex) : EndPoint
    {
        public override AddressFamily AddressFamily => AddressFamily.Packet;

        public override SocketAddress Serialize()
        {
            var a = new SocketAddress(AddressFamily.Packet, 20);
            a[2] = (byte)(protocol >> 8); // sll_protocol, network order
            a[3] = (byte)protocol;
            BinaryPrimitives.WriteInt32LittleEndian(a.Buffer.Span[4..], ifindex);
            return a;
        }

        public override EndPoint Create(SocketAddress socketAddress) => new LinkEndPoint(protocol, ifindex);
    }

    /// <summary>
    /// <see cref="Connect"/> retried for a few seconds: iperf3 closes its listening socket between two tests, so a SYN
    /// right after another client's connection meets a reset.
    /// </summary>
    private string? ConnectSoon(InstanceRecord from, IPAddress address, int port) =>
        Poll.Read(() => Connect(from, address, port), e => e is null, TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(100));

    /// <summary>A TCP connect from inside <paramref name="from"/>'s namespace: null on success, else the error.</summary>
    private string? Connect(InstanceRecord from, IPAddress address, int port)
    {
        using var ns = NetNamespace.Open(Lab.InstanceNamespace(from.Id));
        using var socket = NetNamespace.OpenIn(ns, () => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp));
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(1.5));
        try
        {
            socket.ConnectAsync(new IPEndPoint(address, port), cts.Token).AsTask().GetAwaiter().GetResult();
            return null;
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            return e.Message;
        }
    }
}
