using System.Net;

namespace LightNfv.Core.Networking;

/// <summary>Where an instance plugs in: the platform's lab namespace, its bridge, and the instance's address.</summary>
public sealed record NetworkAttachment(
    string LabNamespace,
    string Bridge,
    IPAddress Address,
    int PrefixLength,
    IPAddress Gateway)
{
    /// <summary>A locally administered MAC derived from the address, so neighbour entries can be written before the link exists.</summary>
    public byte[] InstanceMac => MacFor(Address);

    public static byte[] MacFor(IPAddress address)
    {
        var b = address.GetAddressBytes();
        // 02: locally administered unicast; 4e ('N') marks LightNFV.
        return [0x02, 0x4e, b[0], b[1], b[2], b[3]];
    }
}
