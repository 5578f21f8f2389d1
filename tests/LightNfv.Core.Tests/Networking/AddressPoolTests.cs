using System.Net;
using LightNfv.Core.Errors;
using LightNfv.Core.Networking;

namespace LightNfv.Core.Tests.Networking;

public class AddressPoolTests
{
    private static IPAddress Ip(string s) => IPAddress.Parse(s);

    [Fact]
    public void Parse_reads_network_gateway_and_capacity()
    {
        var pool = AddressPool.Parse("10.77.0.0/16");
        pool.Network.ShouldBe(Ip("10.77.0.0"));
        pool.PrefixLength.ShouldBe(16);
        pool.Gateway.ShouldBe(Ip("10.77.0.1"));
        pool.Capacity.ShouldBe(65534 - 1);
    }

    [Fact]
    public void Host_bits_in_the_network_are_masked()
    {
        var pool = AddressPool.Parse("10.77.3.9/24");
        pool.Network.ShouldBe(Ip("10.77.3.0"));
        pool.Gateway.ShouldBe(Ip("10.77.3.1"));
    }

    [Fact]
    public void Allocates_the_lowest_free_address_skipping_the_gateway()
    {
        var pool = AddressPool.Parse("10.77.0.0/24");
        pool.Allocate([]).ShouldBe(Ip("10.77.0.2"));
    }

    [Fact]
    public void Allocates_the_lowest_free_address_filling_holes()
    {
        var pool = AddressPool.Parse("10.77.0.0/24");
        pool.Allocate([Ip("10.77.0.2"), Ip("10.77.0.4")]).ShouldBe(Ip("10.77.0.3"));
        pool.Allocate([Ip("10.77.0.2"), Ip("10.77.0.3")]).ShouldBe(Ip("10.77.0.4"));
    }

    [Fact]
    public void Ignores_ipv6_and_foreign_addresses_in_use()
    {
        var pool = AddressPool.Parse("10.77.0.0/24");
        pool.Allocate([Ip("::1"), Ip("192.168.0.2")]).ShouldBe(Ip("10.77.0.2"));
    }

    [Fact]
    public void Requested_free_address_is_honoured()
    {
        var pool = AddressPool.Parse("10.77.0.0/24");
        pool.Allocate([Ip("10.77.0.2")], Ip("10.77.0.10")).ShouldBe(Ip("10.77.0.10"));
    }

    [Theory]
    [InlineData("10.78.0.5")]   // another subnet
    [InlineData("10.77.0.0")]   // network address
    [InlineData("10.77.0.1")]   // gateway
    [InlineData("10.77.0.255")] // broadcast
    public void Requested_address_outside_the_usable_range_is_invalid(string requested)
    {
        var pool = AddressPool.Parse("10.77.0.0/24");
        var e = Should.Throw<LightNfvException>(() => pool.Allocate([], Ip(requested)));
        e.Kind.ShouldBe(ErrorKind.Invalid);
        e.Message.ShouldContain("spec.network.address");
        e.Message.ShouldContain(requested);
        e.Message.ShouldContain("10.77.0.0/24");
    }

    [Fact]
    public void Requested_address_in_use_is_a_conflict()
    {
        var pool = AddressPool.Parse("10.77.0.0/24");
        var e = Should.Throw<LightNfvException>(() => pool.Allocate([Ip("10.77.0.10")], Ip("10.77.0.10")));
        e.Kind.ShouldBe(ErrorKind.Conflict);
        e.Message.ShouldContain("10.77.0.10");
        e.Message.ShouldContain("already used");
    }

    [Fact]
    public void Slash_29_holds_five_instances_then_is_exhausted()
    {
        var pool = AddressPool.Parse("192.168.50.0/29");
        pool.Capacity.ShouldBe(5);
        var used = new List<IPAddress>();
        for (var i = 0; i < 5; i++)
        {
            used.Add(pool.Allocate(used));
        }
        used.ShouldBe([Ip("192.168.50.2"), Ip("192.168.50.3"), Ip("192.168.50.4"), Ip("192.168.50.5"), Ip("192.168.50.6")]);

        var e = Should.Throw<LightNfvException>(() => pool.Allocate(used));
        e.Kind.ShouldBe(ErrorKind.Exhausted);
        e.Message.ShouldContain("192.168.50.0/29");
        e.Message.ShouldContain("larger subnet");
    }

    [Fact]
    public void Contains_excludes_network_gateway_and_broadcast()
    {
        var pool = AddressPool.Parse("192.168.50.0/29");
        pool.Contains(Ip("192.168.50.0")).ShouldBeFalse();
        pool.Contains(Ip("192.168.50.1")).ShouldBeFalse();
        pool.Contains(Ip("192.168.50.2")).ShouldBeTrue();
        pool.Contains(Ip("192.168.50.6")).ShouldBeTrue();
        pool.Contains(Ip("192.168.50.7")).ShouldBeFalse();
        pool.Contains(Ip("192.168.50.8")).ShouldBeFalse();
        pool.Contains(Ip("::ffff:192.168.50.2")).ShouldBeFalse();
    }

    [Theory]
    [InlineData("10.77.0.0")]
    [InlineData("10.77.0.0/")]
    [InlineData("ten/16")]
    [InlineData("10.77.0.0/x")]
    [InlineData("")]
    public void Parse_rejects_malformed_cidr(string cidr)
    {
        var e = Should.Throw<LightNfvException>(() => AddressPool.Parse(cidr));
        e.Kind.ShouldBe(ErrorKind.Invalid);
        e.Message.ShouldContain($"'{cidr}'");
        e.Message.ShouldContain("10.77.0.0/16");
    }

    [Theory]
    [InlineData("10.0.0.0/7")]
    [InlineData("10.0.0.0/30")]
    [InlineData("10.0.0.0/32")]
    public void Parse_rejects_prefixes_outside_8_to_29(string cidr)
    {
        var e = Should.Throw<LightNfvException>(() => AddressPool.Parse(cidr));
        e.Kind.ShouldBe(ErrorKind.Invalid);
        e.Message.ShouldContain("between /8 and /29");
    }

    [Fact]
    public void Parse_rejects_ipv6()
    {
        var e = Should.Throw<LightNfvException>(() => AddressPool.Parse("fd00::/64"));
        e.Kind.ShouldBe(ErrorKind.Invalid);
        e.Message.ShouldContain("IPv4");
    }

    [Fact]
    public void MacFor_is_locally_administered_and_embeds_the_address()
    {
        var mac = NetworkAttachment.MacFor(Ip("10.77.1.2"));
        mac.ShouldBe(new byte[] { 0x02, 0x4e, 10, 77, 1, 2 });
        (mac[0] & 0x02).ShouldBe(0x02); // locally administered
        (mac[0] & 0x01).ShouldBe(0);    // unicast
    }

    [Fact]
    public void MacFor_differs_per_address()
    {
        NetworkAttachment.MacFor(Ip("10.77.0.2")).ShouldNotBe(NetworkAttachment.MacFor(Ip("10.77.0.3")));
    }

    [Fact]
    public void MacForInstance_is_locally_administered_unicast_from_the_id()
    {
        var mac = NetworkAttachment.MacForInstance("0a1b2c3d4e5f");
        mac.ShouldBe(new byte[] { 0x02, 0x4e, 0x0a, 0x1b, 0x2c, 0x3d });
        NetworkAttachment.MacForInstance("0a1b2c3d4e5f").ShouldNotBe(NetworkAttachment.MacForInstance("ffffffff0000"));
    }
    [Fact]
    public void A_16_lab_is_carved_into_16_tenant_segments_of_20_the_first_starting_at_the_lab_gateway()
    {
        var pool = AddressPool.Parse("10.86.0.0/16");
        pool.SegmentPrefixLength.ShouldBe(20);
        pool.SegmentCount.ShouldBe(16);
        pool.Segment(0).Gateway.ShouldBe(pool.Gateway);
        pool.Segment(1).Network.ShouldBe(Ip("10.86.16.0"));
        pool.Segment(1).Gateway.ShouldBe(Ip("10.86.16.1"));
        pool.Segment(15).Network.ShouldBe(Ip("10.86.240.0"));
        pool.Segment(1).Capacity.ShouldBe(4093);
        pool.SegmentOf(Ip("10.86.15.254")).ShouldBe(0);
        pool.SegmentOf(Ip("10.86.16.2")).ShouldBe(1);
        pool.SegmentOf(Ip("10.86.255.254")).ShouldBe(15);
        // A segment's allocator stays inside it.
        pool.Segment(3).Allocate([]).ShouldBe(Ip("10.86.48.2"));
    }

    [Fact]
    public void Small_labs_get_fewer_segments_and_a_29_lab_only_one()
    {
        AddressPool.Parse("10.86.0.0/24").SegmentCount.ShouldBe(16);
        AddressPool.Parse("10.86.0.0/24").SegmentPrefixLength.ShouldBe(28);
        AddressPool.Parse("10.86.0.0/27").SegmentCount.ShouldBe(4);
        AddressPool.Parse("10.86.0.0/29").SegmentCount.ShouldBe(1);
    }

    [Fact]
    public void Segment_errors_name_the_range()
    {
        var pool = AddressPool.Parse("10.86.0.0/16");
        Should.Throw<LightNfvException>(() => pool.Segment(16)).Message.ShouldContain("segments 0 to 15");
        Should.Throw<LightNfvException>(() => pool.SegmentOf(Ip("10.87.0.2"))).Message.ShouldContain("outside the lab subnet 10.86.0.0/16");
    }
}
