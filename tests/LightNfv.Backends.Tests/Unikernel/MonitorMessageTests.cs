using LightNfv.Backends.Unikernel;
using LightNfv.Host.Kvm;

namespace LightNfv.Backends.Tests.Unikernel;

public sealed class MonitorMessageTests
{
    [Fact]
    public void A_request_round_trips_through_its_line_even_with_spaces_and_equals_signs_in_values()
    {
        var line = MonitorMessage.Of("create", ("id", "c73b08e35079"), ("console", "/tmp/a dir/console.log"), ("detail", "a=b c"), ("skipped", null)).ToString();
        line.ShouldNotContain('\n');
        line.Split(' ').Length.ShouldBe(4, "one verb and three fields; a null value is left out");
        var back = MonitorMessage.Parse(line + "\n");
        back.Verb.ShouldBe("create");
        back["console"].ShouldBe("/tmp/a dir/console.log");
        back["detail"].ShouldBe("a=b c");
        back["skipped"].ShouldBeNull();
    }

    [Fact]
    public void Numbers_read_as_numbers_and_missing_ones_fall_back()
    {
        var m = MonitorMessage.Parse("ok cpu=123 rxBytes=oops");
        m.Number("cpu").ShouldBe(123UL);
        m.Number("rxBytes", 7).ShouldBe(7UL);
        m.Number("absent", 9).ShouldBe(9UL);
        Should.Throw<FormatException>(() => m.Require("id")).Message.ShouldContain("id=");
    }

    [Theory]
    [InlineData("")]
    [InlineData("create id")]
    public void Malformed_lines_are_refused(string line) => Should.Throw<FormatException>(() => MonitorMessage.Parse(line));
}

public sealed class GuestImagesTests
{
    [Fact]
    public void The_builtin_vnfs_map_to_the_applications_compiled_into_the_guest()
    {
        GuestImages.AppFor(["iperf3", "-s", "-p", "5201"]).ShouldBe(((ushort)1, (ushort)5201));
        GuestImages.AppFor(["iperf3", "-s", "-p", "6000"]).ShouldBe(((ushort)1, (ushort)6000));
        GuestImages.AppFor(["busybox", "nc", "-ll", "-p", "7", "-e", "cat"]).ShouldBe(((ushort)2, (ushort)7));
    }

    [Theory]
    [InlineData("nginx")]
    [InlineData("iperf3 -c 10.0.0.1")]
    [InlineData("iperf3 -s -p notaport")]
    public void Anything_else_has_no_unikernel(string command) => GuestImages.AppFor(command.Split(' ')).ShouldBeNull();

    [Fact]
    public void The_build_makes_the_guest_images_small_static_x86_64_executables_linked_above_the_monitors_tables()
    {
        foreach (var path in new[] { GuestImages.Guest, GuestImages.Fault })
        {
            File.Exists(path).ShouldBeTrue($"{path} is built by the Backends project (gcc)");
            new FileInfo(path).Length.ShouldBeLessThanOrEqualTo(64 * 1024);
            var image = ElfImage.Read(path);
            image.Entry.ShouldBeGreaterThanOrEqualTo(GuestLayout.ImageBase);
            image.Segments.ShouldAllBe(s => s.Address >= GuestLayout.ImageBase);
            image.End.ShouldBeLessThan(GuestLayout.MinMemory, "the guest fits the smallest memory a unikernel may have");
        }
    }
}
