using LightNfv.Core.Descriptors;
using LightNfv.Core.Errors;

namespace LightNfv.Core.Tests.Descriptors;

/// <summary>spec.resources.cpuset and bandwidthMbps: parsed, bounded, refused by name; a live resize's edit keeps them.</summary>
public sealed class DescriptorResourceLimitsTests
{
    private static string Yaml(string resources) => WebDescriptor.With("  resources:\n    vcpus: 1\n" + resources);

    [Fact]
    public void Cpuset_and_bandwidth_are_optional_and_parsed()
    {
        var none = DescriptorParser.Parse(Yaml("    memoryMiB: 64")).Spec.Resources;
        none.CpuSet.ShouldBeNull();
        none.BandwidthMbps.ShouldBeNull();
        var both = DescriptorParser.Parse(Yaml("    cpuset: \"0-1,3\"\n    bandwidthMbps: 100")).Spec.Resources;
        both.CpuSet.ShouldBe("0-1,3");
        both.BandwidthMbps.ShouldBe(100);
        // An unquoted single CPU is a YAML number, read as the list "0".
        DescriptorParser.Parse(Yaml("    cpuset: 0")).Spec.Resources.CpuSet.ShouldBe("0");
    }

    [Theory]
    [InlineData("    cpuset: \"1-0\"", "spec.resources.cpuset", "runs backwards")]
    [InlineData("    cpuset: \"0;1\"", "spec.resources.cpuset", "is not a CPU list")]
    [InlineData("    cpuset: \"\"", "spec.resources.cpuset", "is empty")]
    [InlineData("    cpuset: \"9000\"", "spec.resources.cpuset", "names a CPU over 8191")]
    [InlineData("    bandwidthMbps: 0", "spec.resources.bandwidthMbps", "out of range")]
    [InlineData("    bandwidthMbps: fast", "spec.resources.bandwidthMbps", "not a whole number")]
    [InlineData("    cpus: 2", "spec.resources.cpus", "")]
    public void Bad_values_are_refused_naming_the_field(string resources, string field, string message)
    {
        var e = Should.Throw<DescriptorException>(() => DescriptorParser.Parse(Yaml(resources)));
        e.Field.ShouldBe(field);
        e.Message.ShouldContain(message);
    }

    [Fact]
    public void A_resize_edit_sets_every_limit_and_removes_the_unset_optional_ones()
    {
        var yaml = Yaml("    cpuset: \"1\"\n    bandwidthMbps: 10");
        var grown = DescriptorParser.Parse(DescriptorEdit.WithResources(yaml, new ResourceSpec(2, 256, 100) { CpuSet = "0", BandwidthMbps = 50 })).Spec.Resources;
        (grown.Vcpus, grown.MemoryMiB, grown.Pids, grown.CpuSet, grown.BandwidthMbps).ShouldBe((2, 256, 100, "0", (int?)50));
        var plain = DescriptorParser.Parse(DescriptorEdit.WithResources(yaml, new ResourceSpec(1, 64, 64))).Spec.Resources;
        plain.CpuSet.ShouldBeNull();
        plain.BandwidthMbps.ShouldBeNull();
    }

    [Fact]
    public void Cpu_lists_expand_as_the_kernel_reads_them()
    {
        CpuList.Parse("0-2,5").Cpus.ShouldBe([0, 1, 2, 5]);
        CpuList.Parse(" 3 ").Cpus.ShouldBe([3]);
        CpuList.Parse("a").Error.ShouldNotBeNull();
    }
}
