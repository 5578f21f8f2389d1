using LightNfv.Core.Errors;
using LightNfv.Host.Netlink;

namespace LightNfv.Host.Network;

/// <summary>
/// Cuts an instance's lab-side port (its veth or tap) from its tenant segment and joins it again, for a quarantine.
/// The port is set down and stays enslaved to its bridge: one netlink request each way (tens of microseconds), nothing
/// is made that could be left behind, and a release restores exactly the port that was there (its bridge, FDB and
/// neighbour entries untouched). A down bridge port forwards nothing either way, and the instance's side loses carrier,
/// so the instance reaches nothing and nothing reaches it; forensics goes through its namespace (nsenter) and the
/// frozen memory, not the wire.
/// </summary>
public static class PortSwitch
{
    /// <summary>Sets the port down. Throws NotFound when the lab has no such link.</summary>
    public static void Cut(LabNetwork lab, string hostLink) => Set(lab, hostLink, up: false);

    /// <summary>Sets the port up again on the bridge it never left.</summary>
    public static void Rejoin(LabNetwork lab, string hostLink) => Set(lab, hostLink, up: true);

    /// <summary>Whether the port is up; null when the lab has no such link.</summary>
    public static bool? IsUp(LabNetwork lab, string hostLink) => lab.RunInLab(() =>
    {
        using var netlink = RtNetlink.Open();
        var index = netlink.IndexOf(hostLink, out var up);
        return index > 0 ? up : (bool?)null;
    });

    private static void Set(LabNetwork lab, string hostLink, bool up) => lab.RunInLab(() =>
    {
        // A socket of the lab's own: the lab's shared one is behind its lock, which instantiations hold.
        using var netlink = RtNetlink.Open();
        var index = netlink.IndexOf(hostLink);
        if (index <= 0)
        {
            throw new LightNfvException(ErrorKind.NotFound,
                $"port {hostLink} is not in lab {lab.Name}: the instance has no network port to {(up ? "rejoin" : "cut")} (removed, or the lab was rebuilt)");
        }
        if (up)
        {
            netlink.SetUp(index);
        }
        else
        {
            netlink.SetDown(index);
        }
        return 0;
    });
}
