using LightNfv.Backends.Shared;
using LightNfv.Core.Configuration;
using LightNfv.Core.Descriptors;
using LightNfv.Core.Errors;

namespace LightNfv.Backends.Tests.Registry;

/// <summary>
/// Admission: the parser's generic rules, then the technology's own by its backend (<see cref="IBackend.Validate"/>).
/// No host work: validation only reads the spec.
/// </summary>
public sealed class AdmissionTests : IDisposable
{
    private readonly string _state = Directory.CreateTempSubdirectory("lnfv-admit-").FullName;
    private readonly BackendRegistry _registry;

    public AdmissionTests() =>
        _registry = new BackendRegistry(new BackendContext(new PlatformOptions { StateDirectory = _state, CgroupParent = "lnfv-unit", LabNamespace = "lnfv-unit", Subnet = "10.99.0.0/16" }));

    public void Dispose() => Directory.Delete(_state, recursive: true);

    private static string Vnf(string technology, string extraSpec = "", int memoryMiB = 64) =>
        $"apiVersion: lightnfv/v1\nkind: Vnf\nmetadata:\n  name: v\nspec:\n  technology: {technology}\n" + extraSpec +
        $"  app:\n    builtin: iperf3-server\n  resources:\n    memoryMiB: {memoryMiB}\n";

    private DescriptorException Refused(string yaml, string field)
    {
        var e = Should.Throw<DescriptorException>(() => _registry.Admit(yaml));
        e.Field.ShouldBe(field, e.Message);
        e.Kind.ShouldBe(ErrorKind.Invalid);
        return e;
    }

    [Theory]
    [InlineData("process")]
    [InlineData("docker")]
    [InlineData("unikernel")]
    [InlineData("tinyx")]
    [InlineData("standardvm")]
    public void Runtime_only_applies_to_containers(string technology) =>
        Refused(Vnf(technology, "  runtime: crun\n", 256), "spec.runtime").Message
            .ShouldBe($"spec.runtime: 'crun' only applies to technology 'container', not '{technology}'; remove the field");

    [Theory]
    [InlineData("process")]
    [InlineData("container")]
    [InlineData("docker")]
    public void Accel_only_applies_to_vms_and_unikernels(string technology) =>
        Refused(Vnf(technology, "  accel: kvm\n"), "spec.accel").Message
            .ShouldBe($"spec.accel: 'kvm' only applies to technologies tinyx, standardvm and unikernel, not '{technology}'; remove the field");

    [Fact]
    public void A_unikernel_takes_a_tender_and_a_vm_takes_an_accelerator()
    {
        Refused(Vnf("unikernel", "  accel: tcg\n"), "spec.accel").Message.ShouldContain("use auto (KVM where it runs, the process tender otherwise), kvm or process");
        Refused(Vnf("tinyx", "  accel: process\n", 32), "spec.accel").Message.ShouldContain("use auto, kvm or tcg");
    }

    [Theory]
    [InlineData("container", "  runtime: runc\n", 64)]
    [InlineData("tinyx", "  accel: tcg\n", 32)]
    [InlineData("standardvm", "  accel: auto\n", 160)]
    [InlineData("unikernel", "", 4)]
    [InlineData("unikernel", "  accel: process\n", 4)]
    [InlineData("process", "", 4)]
    public void Each_backend_takes_its_own_fields(string technology, string extra, int memoryMiB) =>
        _registry.Admit(Vnf(technology, extra, memoryMiB)).Spec.Technology.ToName().ShouldBe(technology);

    [Theory]
    [InlineData("tinyx", 28, "28 MiB is too little for tinyx (the kernel and the unpacked initramfs); give it at least 32")]
    [InlineData("standardvm", 128, "128 MiB is too little for standardvm (Debian's kernel unpacks a 14 MB initrd, then systemd starts); give it at least 160")]
    [InlineData("unikernel", 2048, "a unikernel takes 2 to 1024 MiB, not 2048")]
    public void Guest_memory_below_or_above_what_boots_is_refused_on_admission(string technology, int memoryMiB, string problem) =>
        Refused(Vnf(technology, memoryMiB: memoryMiB), "spec.resources.memoryMiB").Problem.ShouldBe(problem);

    [Fact]
    public void The_parser_alone_leaves_technology_rules_to_the_backend() =>
        DescriptorParser.Parse(Vnf("process", "  runtime: crun\n")).Spec.Runtime.ShouldBe("crun");
}
