using System.Net;
using LightNfv.Core.Errors;
using LightNfv.Host.Netlink;
using static LightNfv.Host.Netlink.NetlinkConstants;

namespace LightNfv.Host.Network;

/// <summary>
/// Anti-spoofing on every instance port of a lab (issue 17 item 2): one nftables bridge table in the lab namespace, made
/// once with the lab, whose prerouting chain lets a guarded port send only frames with its instance's MAC, and of those
/// only IPv4 with the instance's source address and ARP with the instance's sender MAC and address; IPv6 (the lab is
/// IPv4 only) and VLAN-tagged frames (they would carry a spoofed packet past the checks) are dropped, any other
/// ethertype passes with the instance's MAC. Every drop counts on the port's element of the `guarded` set.
/// Per port only set elements change, in one nfnetlink transaction (tens of microseconds; nft(8) costs tens of ms).
/// </summary>
public sealed class PortGuard : IDisposable
{
    public const string Table = "lightnfv_guard";
    /// <summary>Sets: port . MAC . IPv4 source; port . MAC; and the guarded ports, each element counting its port's drops.</summary>
    public const string Allowed = "allowed", AllowedMac = "allowed_mac", Guarded = "guarded";

    /// <summary>
    /// The table, written so that running it again changes nothing but the rules (kept elements, same chain): a
    /// second invocation making the lab at the same moment is harmless. A port not in `guarded` passes untouched.
    /// </summary>
    public const string Ruleset = $"""
        add table bridge {Table}
        add set bridge {Table} {Allowed} {"{"} type ifname . ether_addr . ipv4_addr; {"}"}
        add set bridge {Table} {AllowedMac} {"{"} type ifname . ether_addr; {"}"}
        add set bridge {Table} {Guarded} {"{"} type ifname; counter; {"}"}
        add chain bridge {Table} guard {"{"} type filter hook prerouting priority -200; policy accept; {"}"}
        flush chain bridge {Table} guard
        add rule bridge {Table} guard iifname != @{Guarded} accept
        add rule bridge {Table} guard ether type ip iifname . ether saddr . ip saddr @{Allowed} accept
        add rule bridge {Table} guard ether type arp arp htype 1 arp ptype ip arp hlen 6 arp plen 4 iifname . ether saddr . arp saddr ip @{Allowed} iifname . arp saddr ether . arp saddr ip @{Allowed} accept
        add rule bridge {Table} guard ether type != {"{"} ip, arp, ip6, 8021q, 8021ad {"}"} iifname . ether saddr @{AllowedMac} accept
        add rule bridge {Table} guard iifname @{Guarded} drop

        """;

    private readonly NfTables _nft;
    private readonly string _lab;
    private readonly object _gate = new();

    private PortGuard(NfTables nft, string lab)
    {
        _nft = nft;
        _lab = lab;
    }

    /// <summary>Opens the guard of lab <paramref name="lab"/> from a thread inside its namespace (the socket stays there).</summary>
    public static PortGuard OpenInLab(string lab) => new(NfTables.Open(), lab);

    /// <summary>Makes the table unless it is there (a lab made before anti-spoofing existed gets it on its next use).</summary>
    public void EnsureRuleset()
    {
        lock (_gate)
        {
            if (!_nft.TableExists(NFPROTO_BRIDGE, Table))
            {
                RunNft(_lab, Ruleset);
            }
        }
    }

    /// <summary>Whether the lab has the table (the lab fixture checks `down` removed it with the lab).</summary>
    public bool RulesetExists()
    {
        lock (_gate)
        {
            return _nft.TableExists(NFPROTO_BRIDGE, Table);
        }
    }

    /// <summary>
    /// Guards port <paramref name="port"/> (a veth's lab end or a tap): from now on it passes only frames from
    /// <paramref name="mac"/> with <paramref name="address"/>, or nothing at all while <paramref name="address"/> is null
    /// (a warm port before its claim; a cut port). Its drop counter starts at zero. One transaction, idempotent.
    /// </summary>
    public void Guard(string port, byte[] mac, IPAddress? address)
    {
        var name = NfTables.Key.Ifname(port);
        var comment = FormatMac(mac) + (address is null ? "" : " " + address);
        List<SetElementChange> changes =
        [
            // Removed and added again in the same transaction: the counter starts over, the comment is the new one.
            SetElementChange.Removing(Guarded, name),
            SetElementChange.Adding(Guarded, name, comment),
        ];
        if (address is not null)
        {
            changes.Add(SetElementChange.Adding(Allowed, AllowedKey(name, mac, address)));
            changes.Add(SetElementChange.Adding(AllowedMac, NfTables.Key.Concat(name, mac)));
        }
        Apply(changes, $"guard port {port}");
    }

    /// <summary>
    /// Removes a port's elements: what it was allowed is read back from its `guarded` element's comment, so any process
    /// can unguard a port another guarded. Idempotent: a port never guarded is no error.
    /// </summary>
    public void Unguard(string port)
    {
        var name = NfTables.Key.Ifname(port);
        lock (_gate)
        {
            if (!_nft.TableExists(NFPROTO_BRIDGE, Table))
            {
                return;
            }
            var element = _nft.Element(NFPROTO_BRIDGE, Table, Guarded, name);
            if (element is null)
            {
                return;
            }
            var changes = new List<SetElementChange> { SetElementChange.Removing(Guarded, name) };
            if (ParseComment(element.Value.Comment) is ({ } mac, var address))
            {
                changes.Add(SetElementChange.Removing(AllowedMac, NfTables.Key.Concat(name, mac)));
                if (address is not null)
                {
                    changes.Add(SetElementChange.Removing(Allowed, AllowedKey(name, mac, address)));
                }
            }
            _nft.Apply(NFPROTO_BRIDGE, Table, changes);
        }
    }

    /// <summary>Frames port <paramref name="port"/> sent that the guard dropped; null if the port is not guarded.</summary>
    public ElementCounter? Dropped(string port)
    {
        lock (_gate)
        {
            return _nft.Element(NFPROTO_BRIDGE, Table, Guarded, NfTables.Key.Ifname(port))?.Counter;
        }
    }

    /// <summary>Every guarded port with its drops and comment (MAC and address), from one dump.</summary>
    public IReadOnlyList<(string Port, ElementCounter Dropped, string? Comment)> All()
    {
        lock (_gate)
        {
            return [.. _nft.Elements(NFPROTO_BRIDGE, Table, Guarded)
                .Select(e => (System.Text.Encoding.ASCII.GetString(e.Key).TrimEnd('\0'), e.Counter ?? default, e.Comment))];
        }
    }

    private void Apply(List<SetElementChange> changes, string what)
    {
        lock (_gate)
        {
            try
            {
                _nft.Apply(NFPROTO_BRIDGE, Table, changes);
            }
            catch (LightNfvException e) when (!_nft.TableExists(NFPROTO_BRIDGE, Table))
            {
                throw new LightNfvException(ErrorKind.Host,
                    $"cannot {what}: lab {_lab} has no anti-spoofing table bridge {Table} (removed by hand?); 'lightnfv down' resets the lab, or the next 'lightnfv run' remakes it ({e.Message})");
            }
        }
    }

    private static byte[] AllowedKey(byte[] name, byte[] mac, IPAddress address) => NfTables.Key.Concat(name, mac, address.GetAddressBytes());

    internal static string FormatMac(byte[] mac) => Convert.ToHexString(mac).ToLowerInvariant() is var h
        ? string.Join(':', Enumerable.Range(0, h.Length / 2).Select(i => h.Substring(i * 2, 2)))
        : "";

    /// <summary>"MAC [address]" as <see cref="Guard"/> writes it; nulls for a comment it did not write.</summary>
    internal static (byte[]? Mac, IPAddress? Address) ParseComment(string? comment)
    {
        var parts = (comment ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length is < 1 or > 2 || parts[0].Length != 17)
        {
            return (null, null);
        }
        try
        {
            var mac = Convert.FromHexString(parts[0].Replace(":", "", StringComparison.Ordinal));
            IPAddress? address = null;
            if (parts.Length == 2 && !IPAddress.TryParse(parts[1], out address))
            {
                return (null, null);
            }
            return (mac, address);
        }
        catch (FormatException)
        {
            return (null, null);
        }
    }

    /// <summary>Whether nft is installed (the Debian package nftables; install.sh installs it).</summary>
    public static bool NftAvailable => NftScript.Available;

    private static void RunNft(string lab, string script) => NftScript.Apply(lab, script, "the lab's anti-spoofing table", "the lab's anti-spoofing table needs");

    public void Dispose() => _nft.Dispose();
}
