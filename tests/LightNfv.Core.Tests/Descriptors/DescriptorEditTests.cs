using LightNfv.Core.Descriptors;
using LightNfv.Core.Errors;

namespace LightNfv.Core.Tests.Descriptors;

public sealed class DescriptorEditTests
{
    private const string Yaml = """
        apiVersion: lightnfv/v1
        kind: Vnf
        metadata:
          name: web
        spec:
          technology: process
          app:
            command: [/usr/bin/iperf3, -s, -p, "5201"]
          resources:
            vcpus: 1
            memoryMiB: 64
        """;

    [Fact]
    public void Given_resources_change_and_the_rest_stays()
    {
        var edited = DescriptorParser.Parse(DescriptorEdit.WithResources(Yaml, null, 128, 100));
        var before = DescriptorParser.Parse(Yaml);
        edited.Spec.Resources.MemoryMiB.ShouldBe(128);
        edited.Spec.Resources.Pids.ShouldBe(100);
        edited.Spec.Resources.Vcpus.ShouldBe(before.Spec.Resources.Vcpus);
        edited.Spec.App.Command.ShouldBe(before.Spec.App.Command);
        edited.Metadata.Name.ShouldBe("web");
    }

    [Fact]
    public void A_descriptor_without_resources_gets_them()
    {
        var without = Yaml.Replace("  resources:\n    vcpus: 1\n    memoryMiB: 64", "", StringComparison.Ordinal);
        without.ShouldNotContain("resources");
        DescriptorParser.Parse(DescriptorEdit.WithResources(without, 2, null, null)).Spec.Resources.Vcpus.ShouldBe(2);
    }

    [Fact]
    public void Out_of_range_values_are_refused_when_parsed_naming_the_field()
    {
        var e = Should.Throw<LightNfvException>(() => DescriptorParser.Parse(DescriptorEdit.WithResources(Yaml, null, 1, null)));
        e.Message.ShouldContain("memoryMiB");
    }
}
