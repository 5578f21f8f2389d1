using System.Net;
using LightNfv.Host.Network;

namespace LightNfv.Host.Tests.Network;

public class PortGuardTests
{
    [Fact]
    public void The_comment_of_a_guarded_port_gives_back_its_mac_and_address()
    {
        byte[] mac = [0x02, 0x4e, 0x29, 0x72, 0x04, 0x9c];
        PortGuard.FormatMac(mac).ShouldBe("02:4e:29:72:04:9c");

        var (m, a) = PortGuard.ParseComment("02:4e:29:72:04:9c 10.81.0.2");
        m.ShouldBe(mac);
        a.ShouldBe(IPAddress.Parse("10.81.0.2"));

        // A warm port: MAC only.
        (m, a) = PortGuard.ParseComment("02:4e:29:72:04:9c");
        m.ShouldBe(mac);
        a.ShouldBeNull();

        // Anything else (written by hand with nft, or none): nothing to remove but the port itself.
        PortGuard.ParseComment(null).ShouldBe((null, null));
        PortGuard.ParseComment("hello world").ShouldBe((null, null));
        PortGuard.ParseComment("02:4e:29:72:04:9c not-an-address").ShouldBe((null, null));
    }

    [Fact]
    public void The_ruleset_checks_ipv4_and_arp_against_the_ports_allowed_pair_and_drops_guarded_ports_last()
    {
        var rules = PortGuard.Ruleset.Split('\n').Where(l => l.StartsWith("add rule", StringComparison.Ordinal)).ToList();
        rules[0].ShouldEndWith("iifname != @guarded accept");
        rules[1].ShouldContain("ether type ip iifname . ether saddr . ip saddr @allowed accept");
        rules[2].ShouldContain("iifname . ether saddr . arp saddr ip @allowed iifname . arp saddr ether . arp saddr ip @allowed accept");
        rules[3].ShouldContain("ether type != { ip, arp, ip6, 8021q, 8021ad }");
        rules[^1].ShouldEndWith("iifname @guarded drop");
        PortGuard.Ruleset.ShouldContain("flush chain bridge lightnfv_guard guard"); // re-running it never doubles the rules
    }
}
