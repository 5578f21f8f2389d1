using System.Buffers.Binary;
using System.Net;
using LightNfv.Core.Errors;

namespace LightNfv.Core.Networking;

/// <summary>
/// IPv4 addresses of one lab subnet. The first host address belongs to the lab side (bridge and probe);
/// instances get the lowest free address, or the one their descriptor asks for if it is free.
/// Pure: the caller supplies what is in use (from the store), so the pool has no state to drift.
/// </summary>
public sealed class AddressPool
{
    private readonly uint _network;
    private readonly uint _broadcast;

    public AddressPool(IPAddress network, int prefixLength)
    {
        if (network.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork)
        {
            throw new LightNfvException(ErrorKind.Invalid, $"lab subnet {network}: only IPv4 subnets are supported");
        }
        if (prefixLength is < 8 or > 29)
        {
            throw new LightNfvException(ErrorKind.Invalid, $"lab subnet prefix /{prefixLength}: use a prefix between /8 and /29");
        }
        PrefixLength = prefixLength;
        var mask = prefixLength == 0 ? 0u : uint.MaxValue << (32 - prefixLength);
        _network = ToUInt(network) & mask;
        _broadcast = _network | ~mask;
        Network = FromUInt(_network);
        Gateway = FromUInt(_network + 1);
    }

    public static AddressPool Parse(string cidr)
    {
        var slash = cidr.IndexOf('/');
        if (slash < 0 || !IPAddress.TryParse(cidr.AsSpan(0, slash), out var ip) || !int.TryParse(cidr.AsSpan(slash + 1), out var len))
        {
            throw new LightNfvException(ErrorKind.Invalid, $"lab subnet '{cidr}': expected CIDR notation such as 10.77.0.0/16");
        }
        return new AddressPool(ip, len);
    }

    public IPAddress Network { get; }
    public int PrefixLength { get; }
    /// <summary>The lab side's own address (bridge), first host of the subnet.</summary>
    public IPAddress Gateway { get; }
    public int Capacity => (int)(_broadcast - _network - 2);

    /// <summary>
    /// Tenant segments: the subnet is carved into <see cref="SegmentCount"/> equal subnets (4 more prefix bits, at most
    /// /29), one L2 segment per tenant; segment 0 is the default tenant's and starts with the lab's own gateway. A /16 lab
    /// gives 16 segments of /20 (4093 instances each: the scale bench's 1000 guests fit in one tenant).
    /// </summary>
    public const int SegmentBits = 4;
    public int SegmentPrefixLength => Math.Min(PrefixLength + SegmentBits, 29);
    public int SegmentCount => 1 << (SegmentPrefixLength - PrefixLength);

    /// <summary>The pool of one tenant segment (0 .. <see cref="SegmentCount"/> - 1).</summary>
    public AddressPool Segment(int index)
    {
        if (index < 0 || index >= SegmentCount)
        {
            throw new LightNfvException(ErrorKind.Invalid, $"tenant segment {index}: the lab subnet {Network}/{PrefixLength} has segments 0 to {SegmentCount - 1}");
        }
        return new AddressPool(FromUInt(_network + ((uint)index << (32 - SegmentPrefixLength))), SegmentPrefixLength);
    }

    /// <summary>The segment an address of this subnet belongs to.</summary>
    public int SegmentOf(IPAddress address)
    {
        if (address.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork || ToUInt(address) is var a && (a < _network || a > _broadcast))
        {
            throw new LightNfvException(ErrorKind.Invalid, $"address {address} is outside the lab subnet {Network}/{PrefixLength}");
        }
        return (int)((ToUInt(address) - _network) >> (32 - SegmentPrefixLength));
    }

    public bool Contains(IPAddress address) =>
        address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork &&
        ToUInt(address) > _network + 1 && ToUInt(address) < _broadcast;

    /// <summary>Returns the requested address if it is usable, otherwise the lowest free one.</summary>
    public IPAddress Allocate(IEnumerable<IPAddress> inUse, IPAddress? requested = null)
    {
        var used = new HashSet<uint>(inUse.Where(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork).Select(ToUInt));
        if (requested is not null)
        {
            if (!Contains(requested))
            {
                throw new LightNfvException(ErrorKind.Invalid,
                    $"spec.network.address: {requested} is outside the lab subnet {Network}/{PrefixLength} (or is its network, gateway or broadcast address); pick an address inside it or omit the field");
            }
            if (used.Contains(ToUInt(requested)))
            {
                throw new LightNfvException(ErrorKind.Conflict,
                    $"spec.network.address: {requested} is already used by another instance; pick another address or omit the field");
            }
            return requested;
        }
        for (var a = _network + 2; a < _broadcast; a++)
        {
            if (!used.Contains(a))
            {
                return FromUInt(a);
            }
        }
        throw new LightNfvException(ErrorKind.Exhausted,
            $"lab subnet {Network}/{PrefixLength} has no free address ({Capacity} in use); remove instances or configure a larger subnet");
    }

    private static uint ToUInt(IPAddress a)
    {
        Span<byte> b = stackalloc byte[4];
        a.TryWriteBytes(b, out _);
        return BinaryPrimitives.ReadUInt32BigEndian(b);
    }

    private static IPAddress FromUInt(uint v)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(b, v);
        return new IPAddress(b);
    }
}
