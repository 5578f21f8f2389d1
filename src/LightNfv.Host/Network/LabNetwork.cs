using System.Net;
using System.Net.Sockets;
using LightNfv.Core.Errors;
using LightNfv.Core.Networking;
using LightNfv.Host.Namespaces;
using LightNfv.Host.Native;
using LightNfv.Host.Netlink;

namespace LightNfv.Host.Network;

/// <summary>
/// The platform's own network: one namespace holding one bridge per tenant segment (br0 the default tenant's, brN a
/// tenant's, its name in the bridge's ifalias) with the lab-side address of that segment (the probe and iperf3 host
/// side), and per-instance namespaces plugged into their tenant's bridge by veth (VMMs by tap). Segments share no L2,
/// and the lab namespace never routes between them (ip_forward 0, ARP answered only on the segment asked, strict
/// reverse-path filter). It is never linked, routed or NATed to the host's uplink: the lab namespace has no other interface.
/// </summary>
public sealed partial class LabNetwork : IDisposable
{
    /// <summary>The default tenant's bridge (segment 0), which also holds warm shells until they are claimed.</summary>
    public const string BridgeName = "br0";
    /// <summary>The instance side of its veth; ifindex 2 (1 is loopback) is requested so no lookup is needed.</summary>
    public const string InstanceLinkName = "eth0";
    private const int InstanceLinkIndex = 2;

    private readonly FileDescriptor _namespace;
    private readonly RtNetlink _netlink;
    private readonly object _gate = new();
    // Warm taps parked on another bridge than br0 (see CreateTap's parkOn), so a claim moves only those that must move.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> _parkedOn = new(StringComparer.Ordinal);

    private LabNetwork(string name, AddressPool pool, FileDescriptor ns, RtNetlink netlink, PortGuard guard, int bridgeIndex)
    {
        Name = name;
        Pool = pool;
        _namespace = ns;
        _netlink = netlink;
        Guard = guard;
        BridgeIndex = bridgeIndex;
    }

    /// <summary>
    /// Anti-spoofing of the lab's ports: every port made here is guarded with its instance's MAC and address from before
    /// its instance can send, until it is deleted. <c>Guard.Guard(port, mac, null)</c> makes a port drop all it sends.
    /// </summary>
    public PortGuard Guard { get; }

    /// <summary>Frames an instance's port sent with another MAC, IPv4 source or ARP sender, dropped; 0 for a port not guarded.</summary>
    public ulong SpoofedFramesDropped(string hostLinkName) => Guard.Dropped(hostLinkName)?.Packets ?? 0;

    public string Name { get; }
    public AddressPool Pool { get; }
    public int BridgeIndex { get; }
    public byte[] BridgeMac => NetworkAttachment.MacFor(Pool.Gateway);

    /// <summary>The bridge of tenant segment <paramref name="segment"/>.</summary>
    public static string BridgeFor(int segment) => "br" + segment;

    /// <summary>The bridge of the segment an instance address belongs to (addresses carry their segment).</summary>
    public string BridgeOf(IPAddress address) => BridgeFor(Pool.SegmentOf(address));

    /// <summary>
    /// A tenant's segment: the default tenant's is 0; another's is the bridge whose ifalias names it, made on its first
    /// instance (the lowest free segment, its lab-side address the segment's first host). Crash-safe like the lab: a
    /// bridge left down by a kill is finished here.
    /// </summary>
    public int Segment(string tenant)
    {
        if (tenant == Core.Descriptors.DescriptorParser.DefaultTenant)
        {
            return 0;
        }
        lock (_gate)
        {
            for (var attempt = 0; ; attempt++)
            {
                var free = -1;
                for (var k = 1; k < Pool.SegmentCount; k++)
                {
                    var alias = _netlink.AliasOf(BridgeFor(k), out var index, out var up);
                    if (index > 0 && alias == tenant)
                    {
                        if (!up)
                        {
                            FinishSegment(k, index);
                        }
                        return k;
                    }
                    if (index <= 0 && free < 0)
                    {
                        free = k;
                    }
                }
                if (free < 0)
                {
                    throw new LightNfvException(ErrorKind.Exhausted,
                        $"the lab subnet {Pool.Network}/{Pool.PrefixLength} has room for {Pool.SegmentCount - 1} tenant segments besides the default tenant's, all taken; remove another tenant's instances ('lightnfv down' frees them all) or configure a larger subnet (LIGHTNFV_SUBNET)");
                }
                try
                {
                    _netlink.CreateBridge(BridgeFor(free), NetworkAttachment.MacFor(Pool.Segment(free).Gateway), up: false, alias: tenant);
                }
                catch (LightNfvException) when (attempt < 3)
                {
                    continue; // another invocation took that segment at the same moment: look again
                }
                FinishSegment(free, _netlink.IndexOf(BridgeFor(free)));
                return free;
            }
        }
    }

    private void FinishSegment(int segment, int index)
    {
        var pool = Pool.Segment(segment);
        _netlink.AddAddress(index, pool.Gateway, pool.PrefixLength, replace: true);
        _netlink.SetUp(index);
    }

    /// <summary>The address pool of a tenant's segment (its bridge made if it is the tenant's first instance).</summary>
    public AddressPool SegmentPool(string tenant) => Pool.Segment(Segment(tenant));
    public FileDescriptor Namespace => _namespace;

    /// <summary>Prefix of every instance namespace of this lab, so `down` can find orphans too.</summary>
    public static string InstancePrefix(string labName) => labName + "-";

    public static bool Exists(string name) => NetNamespace.Exists(name);

    /// <summary>
    /// Opens the lab, creating its namespace, bridge and address on first use. Crash-safe: the bridge is brought up as
    /// the last step, so a lab cut short by a kill (a namespace without a bridge, a bridge still down, a pin file without
    /// its bind mount) is recognised on the next use and finished or rebuilt, never refused.
    /// </summary>
    public static LabNetwork Ensure(string name, AddressPool pool)
    {
        for (var attempt = 0; ; attempt++)
        {
            if (!NetNamespace.Exists(name))
            {
                try
                {
                    NetNamespace.Create(name, (rtnl, _) =>
                    {
                        Build(rtnl, pool);
                        return true;
                    });
                }
                catch (LightNfvException e) when (e.Kind == ErrorKind.Conflict)
                {
                    // Another invocation created it at the same moment: use theirs.
                }
            }
            try
            {
                var lab = Open(name, pool, repair: true);
                try
                {
                    lab.Guard.EnsureRuleset();
                }
                catch
                {
                    lab.Dispose();
                    throw;
                }
                return lab;
            }
            catch (LightNfvException) when (attempt < 2 && NetNamespace.Exists(name) && !NetNamespace.IsPinned(name))
            {
                // The pin file exists but no namespace is mounted on it: killed between the two, or another invocation
                // is between them right now (a window of microseconds). Look again a moment later before making it anew.
                Thread.Sleep(50);
                if (NetNamespace.Exists(name) && !NetNamespace.IsPinned(name))
                {
                    NetNamespace.Delete(name);
                }
            }
        }
    }

    public static LabNetwork Open(string name, AddressPool pool) => Open(name, pool, repair: false);

    private static LabNetwork Open(string name, AddressPool pool, bool repair)
    {
        var ns = NetNamespace.Open(name);
        try
        {
            var (rtnl, guard, br) = NetNamespace.RunIn(ns, () =>
            {
                var s = RtNetlink.Open();
                PortGuard? g = null;
                try
                {
                    g = PortGuard.OpenInLab(name);
                    var index = s.IndexOf(BridgeName, out var up);
                    if ((index <= 0 || !up) && repair)
                    {
                        Build(s, pool);
                        index = s.IndexOf(BridgeName);
                    }
                    else if (!up)
                    {
                        index = -1;
                    }
                    return (s, g, index);
                }
                catch
                {
                    g?.Dispose();
                    s.Dispose();
                    throw;
                }
            });
            if (br <= 0)
            {
                guard.Dispose();
                rtnl.Dispose();
                throw new LightNfvException(ErrorKind.Host, $"lab namespace {name} has no {BridgeName} (a set-up cut short); 'lightnfv down' resets it, or the next 'lightnfv run' finishes it");
            }
            return new LabNetwork(name, pool, ns, rtnl, guard, br);
        }
        catch
        {
            ns.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Makes the lab's bridge and address in the calling thread's namespace, or finishes what a killed set-up left:
    /// each step tolerates its result already being there, and the bridge comes up last (the mark of a finished lab).
    /// </summary>
    private static void Build(RtNetlink rtnl, AddressPool pool)
    {
        DisableIpv6();
        Isolate();
        if (rtnl.IndexOf(BridgeName) <= 0)
        {
            try
            {
                rtnl.CreateBridge(BridgeName, NetworkAttachment.MacFor(pool.Gateway), up: false);
            }
            catch (LightNfvException) when (rtnl.IndexOf(BridgeName) > 0)
            {
                // Another invocation repairing the same lab made it first.
            }
        }
        var br = rtnl.IndexOf(BridgeName);
        rtnl.AddAddress(br, pool.Gateway, pool.SegmentPrefixLength, replace: true);
        rtnl.SetUp(br);
    }

    /// <summary>Where an instance with <paramref name="address"/> plugs in: its segment's bridge, prefix and lab-side gateway.</summary>
    public NetworkAttachment AttachmentFor(IPAddress address) => AttachmentFor(Name, Pool, address);

    public static NetworkAttachment AttachmentFor(string labName, AddressPool pool, IPAddress address)
    {
        var segment = pool.SegmentOf(address);
        var segmentPool = pool.Segment(segment);
        return new(labName, BridgeFor(segment), address, segmentPool.PrefixLength, segmentPool.Gateway);
    }

    /// <summary>
    /// Runs work on a thread inside the lab namespace (probe and load sockets are opened there). Synchronous work only:
    /// a thread the work makes (the thread pool's, for an async call) would stay in the lab (<see cref="HostNetwork.ThreadsAway"/>).
    /// </summary>
    public T RunInLab<T>(Func<T> work) => NetNamespace.RunIn(_namespace, work);

    /// <summary>A TCP socket of the lab, opened by the calling thread around a setns (no thread made); use it from anywhere.</summary>
    public Socket OpenTcpSocket() =>
        NetNamespace.OpenIn(_namespace, () => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp));

    /// <summary>
    /// Makes an instance's network namespace, wired to the bridge: veth created with its peer directly inside the new
    /// namespace, addresses set, and permanent neighbour entries on both sides so the first packet never waits on ARP.
    /// Nothing is left behind if any step fails.
    /// </summary>
    public void CreateInstanceNamespace(string namespaceName, string hostLinkName, NetworkAttachment attachment, byte[] mac) =>
        NetNamespace.Create(namespaceName, (rtnl, nsfd) => Wire(rtnl, nsfd, hostLinkName, attachment, mac));

    /// <summary>Same as <see cref="CreateInstanceNamespace"/> for a namespace a process already holds (made with the VNF itself).</summary>
    public void AdoptInstanceNamespace(string namespaceName, int holderPid, string hostLinkName, NetworkAttachment attachment, byte[] mac) =>
        NetNamespace.Adopt(namespaceName, holderPid, (rtnl, nsfd) => Wire(rtnl, nsfd, hostLinkName, attachment, mac));

    /// <summary>A shell for the warm pool: namespace and veth on the bridge, links up, no address yet.</summary>
    public void CreateShellNamespace(string namespaceName, string hostLinkName, byte[] mac) =>
        NetNamespace.Create(namespaceName, (rtnl, nsfd) =>
        {
            Plug(rtnl, nsfd, hostLinkName, mac, BridgeName, null);
            return true;
        });

    /// <summary>
    /// Gives a shell made by <see cref="CreateShellNamespace"/> its address and neighbour entries, and moves its veth to
    /// its tenant's bridge (shells wait on the default tenant's, addressless, until claimed).
    /// </summary>
    public void AddressShell(string namespaceName, string hostLinkName, NetworkAttachment attachment, byte[] mac)
    {
        MoveToSegment(hostLinkName, attachment.Bridge, mac);
        Guard.Guard(hostLinkName, mac, attachment.Address);
        using var nsfd = NetNamespace.Open(namespaceName);
        using var rtnl = NetNamespace.OpenNetlinkIn(nsfd);
        Address(rtnl, attachment, mac);
    }

    /// <summary>Re-enslaves a port to <paramref name="bridge"/> unless it is there already; the static FDB entry follows it.</summary>
    private void MoveToSegment(string linkName, string bridge, byte[] mac)
    {
        if (bridge == (_parkedOn.TryRemove(linkName, out var parked) ? parked : BridgeName))
        {
            return;
        }
        lock (_gate)
        {
            var index = _netlink.IndexOf(linkName);
            _netlink.SetMasterAndUp(index, RequireBridge(bridge));
            _netlink.AddBridgeFdb(index, mac);
        }
    }

    /// <summary>A segment bridge's ifindex; made by <see cref="Segment"/> before any instance of its tenant is addressed.</summary>
    private int RequireBridge(string bridge)
    {
        var index = _netlink.IndexOf(bridge);
        return index > 0
            ? index
            : throw new LightNfvException(ErrorKind.Host, $"lab {Name} has no tenant bridge {bridge} (removed under a running platform?); 'lightnfv down' resets the lab");
    }

    private bool Wire(RtNetlink rtnl, FileDescriptor nsfd, string hostLinkName, NetworkAttachment attachment, byte[] mac)
    {
        Plug(rtnl, nsfd, hostLinkName, mac, attachment.Bridge, attachment.Address);
        try
        {
            Address(rtnl, attachment, mac);
        }
        catch
        {
            lock (_gate)
            {
                _netlink.DeleteLink(hostLinkName);
            }
            Guard.Unguard(hostLinkName);
            throw;
        }
        return true;
    }

    /// <summary>A veth on <paramref name="bridge"/>, guarded before it exists (<paramref name="address"/> null: a shell, which sends nothing until claimed).</summary>
    private void Plug(RtNetlink rtnl, FileDescriptor nsfd, string hostLinkName, byte[] mac, string bridge, IPAddress? address)
    {
        // The instance's eth0 takes its IPv6 settings from its namespace's defaults when it is made: off, so it sends
        // no router solicitations, DAD or MLD reports for the bridge to flood to every other instance.
        NetNamespace.WithNamespace(nsfd, DisableIpv6);
        Guard.Guard(hostLinkName, mac, address);
        try
        {
            lock (_gate)
            {
                _netlink.CreateVethPair(hostLinkName, bridge == BridgeName ? BridgeIndex : RequireBridge(bridge), InstanceLinkName, mac, nsfd, InstanceLinkIndex);
                _netlink.AddBridgeFdb(_netlink.IndexOf(hostLinkName), mac);
            }
        }
        catch
        {
            Guard.Unguard(hostLinkName);
            throw;
        }
        rtnl.SetUp(InstanceLinkIndex);
    }

    /// <summary>The lab is IPv4 only: IPv6 off for links made from now on in the calling thread's namespace.</summary>
    private static void DisableIpv6()
    {
        try
        {
            // /proc/sys/net resolves against the opening thread's network namespace.
            File.WriteAllText("/proc/sys/net/ipv6/conf/default/disable_ipv6", "1");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A kernel without IPv6: nothing to disable.
        }
    }

    /// <summary>
    /// The lab namespace never forwards between segments and answers each segment only with that segment's address: ARP
    /// replies only for an address of the asking link (arp_ignore 1), announced from it (arp_announce 2), and a packet whose
    /// source belongs to another segment is dropped on the way in (rp_filter 1). /proc/sys/net is the calling thread's namespace's.
    /// </summary>
    private static void Isolate()
    {
        File.WriteAllText("/proc/sys/net/ipv4/ip_forward", "0");
        File.WriteAllText("/proc/sys/net/ipv4/conf/all/arp_ignore", "1");
        File.WriteAllText("/proc/sys/net/ipv4/conf/all/arp_announce", "2");
        File.WriteAllText("/proc/sys/net/ipv4/conf/all/rp_filter", "1");
    }

    private void Address(RtNetlink rtnl, NetworkAttachment attachment, byte[] mac)
    {
        rtnl.AddAddress(InstanceLinkIndex, attachment.Address, attachment.PrefixLength);
        rtnl.AddPermanentNeighbour(InstanceLinkIndex, attachment.Gateway, NetworkAttachment.MacFor(attachment.Gateway));
        lock (_gate)
        {
            _netlink.AddPermanentNeighbour(BridgeIndexOf(attachment.Address), attachment.Address, mac);
        }
    }

    /// <summary>The ifindex of the bridge an address's segment uses (the default one without a lookup).</summary>
    private int BridgeIndexOf(IPAddress address)
    {
        var bridge = BridgeOf(address);
        return bridge == BridgeName ? BridgeIndex : RequireBridge(bridge);
    }

    /// <summary>
    /// A tap on the bridge for a guest whose NIC a VMM emulates (QEMU, the unikernel monitor): <see cref="OpenTap"/>, then
    /// <see cref="PlugTap"/>. The caller owns the descriptor; closing it removes the tap.
    /// <paramref name="callerInLab"/>: the calling thread already is in the lab namespace (a monitor that lives there).
    /// </summary>
    public TapDevice CreateTap(string tapName, IPAddress? guestAddress, byte[] guestMac, bool vnetHeader = false, bool nonBlocking = false, bool callerInLab = false,
        string? parkOn = null)
    {
        var tap = OpenTap(tapName, vnetHeader, nonBlocking, callerInLab);
        try
        {
            PlugTap(tapName, guestAddress, guestMac, parkOn);
            return tap;
        }
        catch
        {
            tap.Dispose();
            throw;
        }
    }

    /// <summary>
    /// A tap made in the lab namespace, down and on no bridge: it carries nothing until <see cref="PlugTap"/>. Made by the
    /// calling thread around a setns (a thread of its own costs ~0.4 ms here, a tenth of a cold unikernel start).
    /// </summary>
    public TapDevice OpenTap(string tapName, bool vnetHeader = false, bool nonBlocking = false, bool callerInLab = false) =>
        callerInLab
            ? TapDevice.Create(tapName, vnetHeader, nonBlocking)
            : NetNamespace.OpenIn(_namespace, () => TapDevice.Create(tapName, vnetHeader, nonBlocking));

    /// <summary>
    /// Guards a tap made by <see cref="OpenTap"/> (its guest's MAC and address only), enslaves it to its segment's bridge
    /// and sets it up, with a static FDB entry and a permanent neighbour entry for the guest (no flooding, no ARP wait
    /// before the first probe). Undoes its own part on failure; the tap itself is the caller's.
    /// </summary>
    /// <remarks>
    /// A warm tap (no address yet) waits on br0, or on <paramref name="parkOn"/> when that segment's bridge exists: the
    /// bridge its likely claimant's tenant uses (<see cref="LastClaimBridge"/>), so the claim need not move it.
    /// </remarks>
    public void PlugTap(string tapName, IPAddress? guestAddress, byte[] guestMac, string? parkOn = null)
    {
        try
        {
            // Guarded while still down and detached: a warm tap (no address yet) sends nothing until its claim.
            Guard.Guard(tapName, guestMac, guestAddress);
            lock (_gate)
            {
                // A tap made before its guest has an address (a warm one) waits on the default bridge, like a shell.
                var index = _netlink.IndexOf(tapName);
                var parked = guestAddress is null && parkOn is not null && parkOn != BridgeName && _netlink.IndexOf(parkOn) is > 0 and var p ? p : 0;
                var bridge = guestAddress is not null ? BridgeIndexOf(guestAddress) : parked > 0 ? parked : BridgeIndex;
                _netlink.SetMasterAndUp(index, bridge);
                if (parked > 0)
                {
                    _parkedOn[tapName] = parkOn!;
                }
                _netlink.AddBridgeFdb(index, guestMac);
                if (guestAddress is not null)
                {
                    _netlink.AddPermanentNeighbour(bridge, guestAddress, guestMac);
                }
            }
        }
        catch
        {
            _parkedOn.TryRemove(tapName, out _);
            Guard.Unguard(tapName);
            throw;
        }
    }

    /// <summary>The bridge the last warm tap was claimed onto: where the next warm taps had best wait.</summary>
    public string? LastClaimBridge { get; private set; }

    /// <summary>
    /// Gives a tap made without an address (a warm guest's) its permanent neighbour entry once the guest has one, and
    /// moves it to the address's segment.
    /// </summary>
    public void AddTapNeighbour(string tapName, IPAddress guestAddress, byte[] guestMac)
    {
        LastClaimBridge = BridgeOf(guestAddress);
        MoveToSegment(tapName, LastClaimBridge, guestMac);
        Guard.Guard(tapName, guestMac, guestAddress);
        lock (_gate)
        {
            _netlink.AddPermanentNeighbour(BridgeIndexOf(guestAddress), guestAddress, guestMac);
        }
    }

    /// <summary>Forgets a guest's neighbour entry and guard, and deletes its tap if a VMM still holds it open. Idempotent.</summary>
    public void DeleteTap(string tapName, IPAddress? guestAddress)
    {
        _parkedOn.TryRemove(tapName, out _);
        Guard.Unguard(tapName);
        lock (_gate)
        {
            _netlink.DeleteLink(tapName);
            if (guestAddress is not null)
            {
                ForgetNeighbour(guestAddress);
            }
        }
    }

    /// <summary>Removes an instance's veth (synchronously: the kernel frees a namespace's links lazily), its guard and its namespace. Idempotent.</summary>
    public void DeleteInstanceNamespace(string namespaceName, string hostLinkName, IPAddress? address)
    {
        Guard.Unguard(hostLinkName);
        lock (_gate)
        {
            _netlink.DeleteLink(hostLinkName);
            if (address is not null)
            {
                ForgetNeighbour(address);
            }
        }
        NetNamespace.Delete(namespaceName);
    }

    /// <summary>Deletes an address's neighbour entry on its segment's bridge, if both are still there (caller holds the gate).</summary>
    private void ForgetNeighbour(IPAddress address)
    {
        var bridge = _netlink.IndexOf(BridgeOf(address));
        if (bridge > 0)
        {
            _netlink.DeleteNeighbour(bridge, address);
        }
    }

    /// <summary>
    /// Addresses the host itself says are taken: every instance and guest on the bridge has a permanent neighbour entry
    /// there (made with its veth or tap), whether or not a store record still knows it. With the MAC of each, which
    /// derives from the instance id (<see cref="NetworkAttachment.MacForInstance"/>).
    /// </summary>
    public IReadOnlyList<(IPAddress Address, byte[] Mac)> NeighboursOnBridge()
    {
        lock (_gate)
        {
            var all = new List<(IPAddress, byte[])>();
            for (var k = 0; k < Pool.SegmentCount; k++)
            {
                var index = _netlink.IndexOf(BridgeFor(k));
                if (index > 0)
                {
                    all.AddRange(_netlink.PermanentNeighbours(index));
                }
            }
            return all;
        }
    }

    /// <summary>Whether an instance or guest on the bridge holds <paramref name="address"/> (see <see cref="NeighboursOnBridge"/>).</summary>
    public bool AddressTaken(IPAddress address)
    {
        lock (_gate)
        {
            if (!Pool.Contains(address))
            {
                return false;
            }
            var bridge = _netlink.IndexOf(BridgeOf(address));
            return bridge > 0 && _netlink.HasPermanentNeighbour(bridge, address);
        }
    }

    /// <summary>Counters of an instance's lab-side veth (its rx is the instance's tx).</summary>
    public LinkStats? HostLinkStats(string hostLinkName)
    {
        lock (_gate)
        {
            return _netlink.Stats(hostLinkName);
        }
    }

    /// <summary>Removes every instance namespace of the lab (also ones no record knows), then the lab itself.</summary>
    public static IReadOnlyList<string> Destroy(string name)
    {
        var removed = new List<string>();
        foreach (var ns in NetNamespace.List(InstancePrefix(name)))
        {
            NetNamespace.Delete(ns);
            removed.Add(ns);
        }
        if (NetNamespace.Exists(name))
        {
            // Deleting the bridge first frees the lab's veth ends now rather than when the kernel reaps the namespace.
            // A lab cut short (no bridge, or a pin file with no namespace mounted on it) is simply removed.
            if (NetNamespace.IsPinned(name))
            {
                using var ns = NetNamespace.Open(name);
                NetNamespace.RunIn(ns, () =>
                {
                    using var rtnl = RtNetlink.Open();
                    // Every segment's bridge: a /8 lab has the most, 1 << SegmentBits.
                    for (var k = 0; k < 1 << AddressPool.SegmentBits; k++)
                    {
                        rtnl.DeleteLink(BridgeFor(k));
                    }
                    return true;
                });
            }
            NetNamespace.Delete(name);
            removed.Add(name);
        }
        return removed;
    }

    public void Dispose()
    {
        Guard.Dispose();
        _netlink.Dispose();
        _namespace.Dispose();
    }
}
