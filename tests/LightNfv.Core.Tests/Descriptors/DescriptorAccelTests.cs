using LightNfv.Core.Descriptors;
using LightNfv.Core.Errors;

namespace LightNfv.Core.Tests.Descriptors;

/// <summary>spec.accel: the VM backends' accelerator choice.</summary>
public class DescriptorAccelTests
{
    private static string Vnf(string technology, string extraSpec = "") =>
        $"apiVersion: lightnfv/v1\nkind: Vnf\nmetadata:\n  name: v\nspec:\n  technology: {technology}\n" + extraSpec +
        "  app:\n    builtin: iperf3-server\n";

    [Fact]
    public void Default_is_null_meaning_auto() => DescriptorParser.Parse(Vnf("tinyx")).Spec.Accel.ShouldBeNull();

    [Theory]
    [InlineData("tinyx", "auto")]
    [InlineData("tinyx", "kvm")]
    [InlineData("standardvm", "tcg")]
    public void Accel_is_parsed_for_vm_technologies(string technology, string accel) =>
        DescriptorParser.Parse(Vnf(technology, $"  accel: {accel}\n")).Spec.Accel.ShouldBe(accel);

    [Fact]
    public void Unknown_accel_names_the_field_and_the_accepted_values()
    {
        var e = Should.Throw<DescriptorException>(() => DescriptorParser.Parse(Vnf("tinyx", "  accel: hvf\n")));
        e.Field.ShouldBe("spec.accel");
        e.Message.ShouldContain("'hvf'");
        e.Message.ShouldContain("auto, kvm, tcg");
    }
}
