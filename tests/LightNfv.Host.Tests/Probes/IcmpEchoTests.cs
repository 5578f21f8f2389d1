using LightNfv.Host.Probes;

namespace LightNfv.Host.Tests.Probes;

public class IcmpEchoTests
{
    [Fact]
    public void Checksum_matches_the_rfc1071_example()
    {
        // RFC 1071 section 3: the words 0001 f203 f4f5 f6f7 sum to ddf2 (one's complement), checksum 220d.
        IcmpEcho.Checksum([0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]).ShouldBe((ushort)0x220d);
    }

    [Fact]
    public void A_packet_carrying_its_checksum_sums_to_zero()
    {
        var packet = new byte[] { 8, 0, 0, 0, 0x12, 0x34, 0x00, 0x01, 1, 2, 3 };
        var sum = IcmpEcho.Checksum(packet);
        packet[2] = (byte)(sum >> 8);
        packet[3] = (byte)sum;
        IcmpEcho.Checksum(packet).ShouldBe((ushort)0);
    }
}
