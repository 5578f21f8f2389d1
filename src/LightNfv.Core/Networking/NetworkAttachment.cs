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
    /// <summary>
    /// An instance's MAC, derived from its id so that a shell made before its address is known already has its final MAC,
    /// and neighbour entries can be written without asking the kernel.
    /// </summary>
    public static byte[] MacForInstance(string id)
    {
        var b = Convert.FromHexString(id.AsSpan(0, 8));
        return [0x02, 0x4e, b[0], b[1], b[2], b[3]];
    }

    /// <summary>A locally administered MAC derived from an address (the lab bridge's, from the gateway address).</summary>
    public static byte[] MacFor(IPAddress address)
    {
        var b = address.GetAddressBytes();
        // 02: locally administered unicast; 4e ('N') marks LightNFV.
        return [0x02, 0x4e, b[0], b[1], b[2], b[3]];
    }
}
