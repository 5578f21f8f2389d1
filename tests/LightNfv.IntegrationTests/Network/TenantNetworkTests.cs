using System.Net;
using System.Net.Sockets;
using LightNfv.Backends.Oci;
using LightNfv.Core.Descriptors;
using LightNfv.Host.Namespaces;
using LightNfv.Host.Network;
using LightNfv.IntegrationTests.Infrastructure;
using LightNfv.Platform.Store;

namespace LightNfv.IntegrationTests.Network;

/// <summary>
/// Tenant segments on the real kernel: two tenants, two instances each (a process and a container), probed from inside
/// each instance's own namespace. Same-tenant TCP, ICMP and ARP work; cross-tenant ones fail on the wire, even when the
/// VNF routes the whole lab subnet on-link or through its gateway (the lab never forwards between segments).
/// </summary>
public sealed class TenantNetworkTests(ITestOutputHelper output) : IntegrationTest(output)
{
    private static string Yaml(string tenant, string name, string technology) => $"""
        apiVersion: lightnfv/v1
        kind: Vnf
        metadata:
          name: {name}
          tenant: {tenant}
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

    private void RequireCrun()
    {
        RequireRoot();
        Assert.SkipUnless(Lab.Registry.Find(Technology.Container) is ContainerBackend c && c.Runtime("crun") is not null, "crun is not installed");
    }

    [Fact]
    public async Task Cross_tenant_tcp_icmp_and_arp_fail_on_the_wire_while_same_tenant_traffic_works()
    {
        RequireCrun();
        var a1 = await Lab.RunAsync(Yaml("acme", "a-proc", "process"));
        var a2 = await Lab.RunAsync(Yaml("acme", "a-ctr", "container"));
        var g1 = await Lab.RunAsync(Yaml("globex", "g-proc", "process"));
        var g2 = await Lab.RunAsync(Yaml("globex", "g-ctr", "container"));
        InstanceRecord[] all = [a1, a2, g1, g2];

        // Each tenant in its own segment and subnet, the default tenant's (segment 0) left alone.
        var pool = Lab.Host.Pool;
        var acme = pool.SegmentOf(IPAddress.Parse(a1.Address!));
        var globex = pool.SegmentOf(IPAddress.Parse(g1.Address!));
        acme.ShouldNotBe(0);
        globex.ShouldNotBe(0);
        acme.ShouldNotBe(globex);
        pool.SegmentOf(IPAddress.Parse(a2.Address!)).ShouldBe(acme);
        pool.SegmentOf(IPAddress.Parse(g2.Address!)).ShouldBe(globex);

        // The lab reaches every instance, each through its own segment's lab-side address.
        foreach (var r in all)
        {
            Lab.TcpConnect(IPAddress.Parse(r.Address!), 5201).ShouldBeNull($"lab -> {r.Name} ({r.Address})");
        }
        // The lab namespace routes nothing between segments.
        NetNamespace.RunIn(Lab.Host.Lab.Namespace, () => File.ReadAllText("/proc/sys/net/ipv4/ip_forward").Trim()).ShouldBe("0");

        // A VNF that puts the whole lab subnet on its link (ARPs for every address) and one that routes it through its
        // gateway (asks the lab to forward): neither reaches the other tenant.
        foreach (var mode in new[] { "on-link", "via-gateway" })
        {
            foreach (var from in all)
            {
                var gateway = Lab.Host.Lab.AttachmentFor(IPAddress.Parse(from.Address!)).Gateway;
                Nsenter(from, ["ip", "route", "replace", Lab.Subnet, .. mode == "on-link" ? new[] { "dev", "eth0" } : ["via", gateway.ToString()]]);
                foreach (var to in all.Where(t => t.Id != from.Id))
                {
                    var same = from.Tenant == to.Tenant;
                    var target = IPAddress.Parse(to.Address!);
                    var tcp = Connect(from, target, 5201);
                    var ping = HostState.Run("nsenter", [$"--net={NetNamespace.PathOf(Lab.InstanceNamespace(from.Id))}", "ping", "-c", "1", "-W", "1", target.ToString()]);
                    Output.WriteLine($"{mode}: {from.Name} ({from.Tenant}) -> {to.Name} ({to.Tenant}): tcp {tcp ?? "ok"}, icmp {(ping.ExitCode == 0 ? "ok" : "no answer")}");
                    if (same)
                    {
                        tcp.ShouldBeNull($"{mode}: same-tenant TCP {from.Name} -> {to.Name}");
                        ping.ExitCode.ShouldBe(0, $"{mode}: same-tenant ping {from.Name} -> {to.Name}: {ping}");
                    }
                    else
                    {
                        tcp.ShouldNotBeNull($"{mode}: cross-tenant TCP {from.Name} -> {to.Name} connected");
                        ping.ExitCode.ShouldNotBe(0, $"{mode}: cross-tenant ping {from.Name} -> {to.Name} answered");
                    }
                    if (mode == "on-link")
                    {
                        // ARP on the wire: the same tenant's peer answered with its MAC, the other tenant's never did.
                        var neigh = Nsenter(from, ["ip", "neigh", "show", target.ToString()]);
                        var mac = string.Join(':', Core.Networking.NetworkAttachment.MacForInstance(to.Id).Select(b => b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture)));
                        if (same)
                        {
                            neigh.ShouldContain(mac, customMessage: $"{from.Name} learnt {to.Name}'s MAC by ARP");
                        }
                        else
                        {
                            neigh.ShouldNotContain("lladdr", customMessage: $"{from.Name} got an ARP answer for {to.Name}: {neigh}");
                        }
                    }
                }
                // Nor does the lab answer ARP for another segment's lab-side address.
                foreach (var other in all.Where(t => t.Tenant != from.Tenant).Select(t => Lab.Host.Lab.AttachmentFor(IPAddress.Parse(t.Address!)).Gateway).Distinct())
                {
                    if (mode == "on-link")
                    {
                        var ping = HostState.Run("nsenter", [$"--net={NetNamespace.PathOf(Lab.InstanceNamespace(from.Id))}", "ping", "-c", "1", "-W", "1", other.ToString()]);
                        ping.ExitCode.ShouldNotBe(0, $"{from.Name} reached another segment's lab address {other} on its link");
                    }
                }
            }
        }
    }

    [Fact]
    public async Task A_unikernel_guest_on_a_tap_is_reached_from_its_tenant_and_the_lab_but_not_from_another_tenant()
    {
        RequireAvailable(Technology.Unikernel);
        Assert.SkipWhen(LightNfv.Host.Spt.SptTender.Problem() is not null, LightNfv.Host.Spt.SptTender.Problem() ?? "");
        var guest = await Lab.RunAsync(Yaml("acme", "a-uk", "unikernel").Replace("technology: unikernel", "technology: unikernel\n  accel: process", StringComparison.Ordinal));
        var mate = await Lab.RunAsync(Yaml("acme", "a-proc", "process"));
        var stranger = await Lab.RunAsync(Yaml("globex", "g-proc", "process"));
        var address = IPAddress.Parse(guest.Address!);
        Lab.Host.Pool.SegmentOf(address).ShouldBe(Lab.Host.Pool.SegmentOf(IPAddress.Parse(mate.Address!)));
        // The guest's tap is on its tenant's bridge, and the lab reaches it through that segment.
        HostState.Run("ip", ["-n", Lab.LabName, "-o", "link", "show", "master", Lab.Host.Lab.BridgeOf(address)]).Stdout.ShouldContain(guest.Facts.HostLink!);
        Lab.TcpConnect(address, 5201).ShouldBeNull("lab -> unikernel guest");
        foreach (var from in new[] { mate, stranger })
        {
            Nsenter(from, ["ip", "route", "replace", Lab.Subnet, "dev", "eth0"]);
            var tcp = Connect(from, address, 5201);
            Output.WriteLine($"{from.Name} ({from.Tenant}) -> {guest.Name} ({guest.Tenant}): tcp {tcp ?? "ok"}");
            if (from.Tenant == guest.Tenant)
            {
                tcp.ShouldBeNull($"same-tenant TCP {from.Name} -> unikernel guest");
            }
            else
            {
                tcp.ShouldNotBeNull($"cross-tenant TCP {from.Name} -> unikernel guest connected");
            }
        }
    }

    [Fact]
    public async Task Segments_and_ports_are_gone_after_a_failed_run_and_after_down()
    {
        RequireRoot();
        var ok = await Lab.RunAsync(Yaml("initech", "i-ok", "process"));
        var segment = Lab.Host.Pool.SegmentOf(IPAddress.Parse(ok.Address!));
        var bridge = LabNetwork.BridgeFor(segment);
        LinkExists(bridge).ShouldBeTrue();

        // A run that fails at exec in the same tenant rolls back its veth and namespace; the segment stays for the tenant.
        var before = Links();
        await Should.ThrowAsync<Exception>(() => Lab.RunAsync(Descriptors.Command("i-bad", [Lab.NonExecutableFile()]).Replace("  name: i-bad", "  name: i-bad\n  tenant: initech", StringComparison.Ordinal)));
        Links().ShouldBe(before, ignoreOrder: true);
        NetNamespace.List(LabNetwork.InstancePrefix(Lab.LabName)).Count.ShouldBe(1);

        await Lab.Instances.DownAsync();
        NetNamespace.Exists(Lab.LabName).ShouldBeFalse();
        NetNamespace.List(LabNetwork.InstancePrefix(Lab.LabName)).ShouldBeEmpty();
    }

    private IReadOnlyList<string> Links() =>
        HostState.Run("ip", ["-n", Lab.LabName, "-o", "link", "show"]).Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(':')[1].Trim().Split('@')[0]).ToList();

    private bool LinkExists(string name) => Links().Contains(name);

    private string Nsenter(InstanceRecord r, IReadOnlyList<string> argv)
    {
        var run = HostState.Run("nsenter", [$"--net={NetNamespace.PathOf(Lab.InstanceNamespace(r.Id))}", .. argv]);
        run.ExitCode.ShouldBe(0, $"{string.Join(' ', argv)} in {r.Name}: {run}");
        return run.Stdout;
    }

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
