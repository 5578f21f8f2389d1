using System.Net;
using System.Net.Sockets;
using LightNfv.Core.Errors;
using LightNfv.Core.Networking;
using LightNfv.Host.Namespaces;
using LightNfv.Host.Native;
using LightNfv.Host.Netlink;

namespace LightNfv.Host.Network;

/// <summary>
/// The platform's own network: one namespace holding a bridge with the lab-side address (the probe and iperf3 host side),
/// and per-instance namespaces plugged into it by veth. It is never linked, routed or NATed to the host's uplink:
/// the lab namespace has no other interface and forwarding stays off (the kernel default in a new namespace).
/// </summary>
public sealed class LabNetwork : IDisposable
{
    public const string BridgeName = "br0";
    /// <summary>The instance side of its veth; ifindex 2 (1 is loopback) is requested so no lookup is needed.</summary>
    public const string InstanceLinkName = "eth0";
    private const int InstanceLinkIndex = 2;

    private readonly FileDescriptor _namespace;
    private readonly RtNetlink _netlink;
    private readonly object _gate = new();

    private LabNetwork(string name, AddressPool pool, FileDescriptor ns, RtNetlink netlink, int bridgeIndex)
    {
        Name = name;
        Pool = pool;
        _namespace = ns;
        _netlink = netlink;
        BridgeIndex = bridgeIndex;
    }

    public string Name { get; }
    public AddressPool Pool { get; }
    public int BridgeIndex { get; }
    public byte[] BridgeMac => NetworkAttachment.MacFor(Pool.Gateway);
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
                return Open(name, pool, repair: true);
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
            var (rtnl, br) = NetNamespace.RunIn(ns, () =>
            {
                var s = RtNetlink.Open();
                try
                {
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
                    return (s, index);
                }
                catch
                {
                    s.Dispose();
                    throw;
                }
            });
            if (br <= 0)
            {
                rtnl.Dispose();
                throw new LightNfvException(ErrorKind.Host, $"lab namespace {name} has no {BridgeName} (a set-up cut short); 'lightnfv down' resets it, or the next 'lightnfv run' finishes it");
            }
            return new LabNetwork(name, pool, ns, rtnl, br);
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
        rtnl.AddAddress(br, pool.Gateway, pool.PrefixLength, replace: true);
        rtnl.SetUp(br);
    }

    public NetworkAttachment AttachmentFor(IPAddress address) =>
        new(Name, BridgeName, address, Pool.PrefixLength, Pool.Gateway);

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
            Plug(rtnl, nsfd, hostLinkName, mac);
            return true;
        });

    /// <summary>Gives a shell made by <see cref="CreateShellNamespace"/> its address and neighbour entries.</summary>
    public void AddressShell(string namespaceName, NetworkAttachment attachment, byte[] mac)
    {
        using var nsfd = NetNamespace.Open(namespaceName);
        using var rtnl = NetNamespace.OpenNetlinkIn(nsfd);
        Address(rtnl, attachment, mac);
    }

    private bool Wire(RtNetlink rtnl, FileDescriptor nsfd, string hostLinkName, NetworkAttachment attachment, byte[] mac)
    {
        Plug(rtnl, nsfd, hostLinkName, mac);
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
            throw;
        }
        return true;
    }

    private void Plug(RtNetlink rtnl, FileDescriptor nsfd, string hostLinkName, byte[] mac)
    {
        // The instance's eth0 takes its IPv6 settings from its namespace's defaults when it is made: off, so it sends
        // no router solicitations, DAD or MLD reports for the bridge to flood to every other instance.
        NetNamespace.WithNamespace(nsfd, DisableIpv6);
        lock (_gate)
        {
            _netlink.CreateVethPair(hostLinkName, BridgeIndex, InstanceLinkName, mac, nsfd, InstanceLinkIndex);
            _netlink.AddBridgeFdb(_netlink.IndexOf(hostLinkName), mac);
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

    private void Address(RtNetlink rtnl, NetworkAttachment attachment, byte[] mac)
    {
        rtnl.AddAddress(InstanceLinkIndex, attachment.Address, attachment.PrefixLength);
        rtnl.AddPermanentNeighbour(InstanceLinkIndex, attachment.Gateway, BridgeMac);
        lock (_gate)
        {
            _netlink.AddPermanentNeighbour(BridgeIndex, attachment.Address, mac);
        }
    }

    /// <summary>
    /// A tap on the bridge for a guest whose NIC a VMM emulates (QEMU, the unikernel monitor): created in the lab
    /// namespace, enslaved and up, with a static FDB entry and a permanent neighbour entry for the guest's MAC and address
    /// (no flooding, no ARP wait before the first probe). The caller owns the descriptor; closing it removes the tap.
    /// <paramref name="callerInLab"/>: the calling thread already is in the lab namespace (a monitor that lives there),
    /// so the tap is made on it rather than on a helper thread.
    /// </summary>
    public TapDevice CreateTap(string tapName, IPAddress? guestAddress, byte[] guestMac, bool vnetHeader = false, bool nonBlocking = false, bool callerInLab = false)
    {
        var tap = callerInLab ? TapDevice.Create(tapName, vnetHeader, nonBlocking) : RunInLab(() => TapDevice.Create(tapName, vnetHeader, nonBlocking));
        try
        {
            lock (_gate)
            {
                var index = _netlink.IndexOf(tapName);
                _netlink.SetMasterAndUp(index, BridgeIndex);
                _netlink.AddBridgeFdb(index, guestMac);
                if (guestAddress is not null)
                {
                    _netlink.AddPermanentNeighbour(BridgeIndex, guestAddress, guestMac);
                }
            }
            return tap;
        }
        catch
        {
            tap.Dispose();
            throw;
        }
    }

    /// <summary>Gives a tap made without an address (a warm guest's) its permanent neighbour entry once the guest has one.</summary>
    public void AddTapNeighbour(IPAddress guestAddress, byte[] guestMac)
    {
        lock (_gate)
        {
            _netlink.AddPermanentNeighbour(BridgeIndex, guestAddress, guestMac);
        }
    }

    /// <summary>Forgets a guest's neighbour entry and deletes its tap if a VMM still holds it open. Idempotent.</summary>
    public void DeleteTap(string tapName, IPAddress? guestAddress)
    {
        lock (_gate)
        {
            _netlink.DeleteLink(tapName);
            if (guestAddress is not null)
            {
                _netlink.DeleteNeighbour(BridgeIndex, guestAddress);
            }
        }
    }

    /// <summary>Removes an instance's veth (synchronously: the kernel frees a namespace's links lazily) and its namespace. Idempotent.</summary>
    public void DeleteInstanceNamespace(string namespaceName, string hostLinkName, IPAddress? address)
    {
        lock (_gate)
        {
            _netlink.DeleteLink(hostLinkName);
            if (address is not null)
            {
                _netlink.DeleteNeighbour(BridgeIndex, address);
            }
        }
        NetNamespace.Delete(namespaceName);
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
            return _netlink.PermanentNeighbours(BridgeIndex);
        }
    }

    /// <summary>Whether an instance or guest on the bridge holds <paramref name="address"/> (see <see cref="NeighboursOnBridge"/>).</summary>
    public bool AddressTaken(IPAddress address)
    {
        lock (_gate)
        {
            return _netlink.HasPermanentNeighbour(BridgeIndex, address);
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
                    rtnl.DeleteLink(BridgeName);
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
        _netlink.Dispose();
        _namespace.Dispose();
    }
}
