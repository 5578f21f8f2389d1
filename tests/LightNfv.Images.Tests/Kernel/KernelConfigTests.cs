using System.Text;
using LightNfv.Images.Kernel;

namespace LightNfv.Images.Tests.Kernel;

public sealed class KernelConfigTests
{
    private const string Base = "CONFIG_64BIT=y\n# CONFIG_NET is not set\nCONFIG_HZ=100\n# a comment\n";
    private const string Fragment = "# why\nCONFIG_NET=y\nCONFIG_INET=y\n# CONFIG_HZ is not set\n";

    [Fact]
    public void Fragment_settings_replace_the_base_lines_and_new_ones_are_appended()
    {
        var merged = KernelConfig.Merge(Base, Fragment);
        merged.ShouldBe("CONFIG_64BIT=y\n# a comment\nCONFIG_NET=y\nCONFIG_INET=y\n# CONFIG_HZ is not set\n");
    }

    [Fact]
    public void Settings_Kconfig_dropped_are_reported()
    {
        var final = "CONFIG_64BIT=y\nCONFIG_NET=y\n# CONFIG_INET is not set\n";
        KernelConfig.Missing(Fragment, final).ShouldBe(["CONFIG_INET=y"]);
        KernelConfig.Missing(Fragment, final + "CONFIG_INET=y\n").ShouldBeEmpty();
    }

    [Fact]
    public void Key_changes_with_the_source_version_and_the_fragment()
    {
        var fragment = Encoding.UTF8.GetBytes(Fragment);
        var key = KernelConfig.Key("6.1.192-2", fragment);
        key.ShouldStartWith("6.1.192-2-");
        key.Length.ShouldBe("6.1.192-2-".Length + 12);
        KernelConfig.Key("6.1.192-2", fragment).ShouldBe(key);
        KernelConfig.Key("6.1.193-1", fragment).ShouldNotBe(key);
        KernelConfig.Key("6.1.192-2", Encoding.UTF8.GetBytes(Fragment + "CONFIG_SMP=y\n")).ShouldNotBe(key);
    }

    [Fact]
    public void The_repository_fragment_has_what_a_vnf_guest_needs()
    {
        var fragment = KernelConfig.Parse(File.ReadAllText(KernelBuilder.DefaultFragmentPath)).ToDictionary(s => s.Key, s => s.Value);
        foreach (var symbol in new[] { "CONFIG_PVH", "CONFIG_VIRTIO_MMIO", "CONFIG_VIRTIO_NET", "CONFIG_SERIAL_8250_CONSOLE", "CONFIG_INET", "CONFIG_BLK_DEV_INITRD", "CONFIG_IP_PNP" })
        {
            fragment.GetValueOrDefault(symbol).ShouldBe("y", symbol);
        }
    }
}
