using LightNfv.Core.Descriptors;
using LightNfv.Core.Errors;

namespace LightNfv.Core.Tests.Descriptors;

/// <summary>The fields the container backends add: spec.runtime, spec.app.capabilities, spec.app.files.</summary>
public class DescriptorContainerFieldsTests
{
    private static string Container(string extraSpec = "", string extraApp = "") =>
        "apiVersion: lightnfv/v1\nkind: Vnf\nmetadata:\n  name: c\nspec:\n  technology: container\n" + extraSpec +
        "  app:\n    builtin: iperf3-server\n" + extraApp;

    private static DescriptorException Fails(string yaml, string field, string bad)
    {
        var e = Should.Throw<DescriptorException>(() => DescriptorParser.Parse(yaml));
        e.Field.ShouldBe(field, e.Message);
        e.Message.ShouldContain(bad);
        return e;
    }

    [Fact]
    public void Defaults_are_no_runtime_no_capabilities_no_files()
    {
        var d = DescriptorParser.Parse(Container());
        d.Spec.Runtime.ShouldBeNull();
        d.Spec.App.Capabilities.ShouldBeEmpty();
        d.Spec.App.Files.ShouldBeEmpty();
    }

    [Theory]
    [InlineData("crun")]
    [InlineData("runc")]
    public void Runtime_is_parsed(string runtime) =>
        DescriptorParser.Parse(Container($"  runtime: {runtime}\n")).Spec.Runtime.ShouldBe(runtime);

    [Fact]
    public void Unknown_runtime_names_the_accepted_ones() =>
        Fails(Container("  runtime: kata\n"), "spec.runtime", "'kata'").Message.ShouldContain("crun, runc");

    [Fact]
    public void Capabilities_are_normalized_and_deduplicated()
    {
        var d = DescriptorParser.Parse(Container(extraApp: "    capabilities: [net_admin, CAP_NET_ADMIN, NET_RAW]\n"));
        d.Spec.App.Capabilities.ShouldBe(["CAP_NET_ADMIN", "CAP_NET_RAW"]);
    }

    [Fact]
    public void Unknown_capability_is_rejected_with_its_index() =>
        Fails(Container(extraApp: "    capabilities: [NET_ADMIN, FLY]\n"), "spec.app.capabilities[1]", "'FLY'");

    [Fact]
    public void Files_must_be_absolute_without_dotdot()
    {
        DescriptorParser.Parse(Container(extraApp: "    files: [/etc/hosts]\n")).Spec.App.Files.ShouldBe(["/etc/hosts"]);
        Fails(Container(extraApp: "    files: [etc/hosts]\n"), "spec.app.files[0]", "'etc/hosts'");
        Fails(Container(extraApp: "    files: [/etc/../root/x]\n"), "spec.app.files[0]", "'/etc/../root/x'");
    }

    [Fact]
    public void Capabilities_must_be_a_sequence() =>
        Fails(Container(extraApp: "    capabilities: NET_ADMIN\n"), "spec.app.capabilities", "sequence");
}
