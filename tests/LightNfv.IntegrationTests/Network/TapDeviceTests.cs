using System.Buffers.Binary;
using LightNfv.Core.Networking;
using LightNfv.Host.Netlink;
using LightNfv.IntegrationTests.Infrastructure;

namespace LightNfv.IntegrationTests.Network;

/// <summary>A tap on the lab bridge, as the VM and unikernel backends use it, on the real kernel.</summary>
public sealed class TapDeviceTests(ITestOutputHelper output) : IntegrationTest(output)
{
    [Fact]
    public void A_frame_written_to_the_tap_reaches_the_lab_and_the_answer_comes_back_and_the_tap_goes_with_its_descriptor()
    {
        RequireRoot();
        var guest = Lab.Address(77);
        var guestMac = NetworkAttachment.MacFor(guest);
        var lab = Lab.Host.Lab;
        const string name = "lnfvtaptest";

        using (var tap = lab.CreateTap(name, guest, guestMac))
        {
            LinkIndexInLab(name).ShouldBeGreaterThan(0);

            // An ARP request for the lab's gateway from the guest's MAC: the bridge's own address answers it.
            tap.Write(ArpRequest(guestMac, guest.GetAddressBytes(), lab.Pool.Gateway.GetAddressBytes()));
            var frame = new byte[2048];
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
            var answered = false;
            while (!answered && DateTime.UtcNow < deadline)
            {
                var n = tap.Read(frame, TimeSpan.FromSeconds(1));
                if (n >= 42 && BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(12)) == 0x0806 && BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(20)) == 2)
                {
                    frame.AsSpan(0, 6).ToArray().ShouldBe(guestMac, "the reply is addressed to the guest");
                    frame.AsSpan(22, 6).ToArray().ShouldBe(lab.BridgeMac, "the bridge answers with its own MAC");
                    frame.AsSpan(28, 4).ToArray().ShouldBe(lab.Pool.Gateway.GetAddressBytes());
                    answered = true;
                }
            }
            answered.ShouldBeTrue("no ARP reply from the lab gateway came back through the tap");
        }

        LinkIndexInLab(name).ShouldBe(-1, "a non-persistent tap disappears with its last descriptor");
        lab.DeleteTap(name, guest); // idempotent: the link is gone, the neighbour entry goes
    }

    private int LinkIndexInLab(string link) => Lab.Host.Lab.RunInLab(() =>
    {
        using var rtnl = RtNetlink.Open();
        return rtnl.IndexOf(link);
    });

    private static byte[] ArpRequest(byte[] senderMac, byte[] senderIp, byte[] targetIp)
    {
        var f = new byte[42];
        f.AsSpan(0, 6).Fill(0xff);
        senderMac.CopyTo(f, 6);
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(12), 0x0806);
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(14), 1);      // Ethernet
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(16), 0x0800); // IPv4
        f[18] = 6;
        f[19] = 4;
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(20), 1);      // request
        senderMac.CopyTo(f, 22);
        senderIp.CopyTo(f, 28);
        targetIp.CopyTo(f, 38);
        return f;
    }
}
