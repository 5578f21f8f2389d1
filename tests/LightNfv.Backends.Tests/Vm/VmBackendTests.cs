using System.Net;
using LightNfv.Backends.MicroVm;
using LightNfv.Backends.Shared;
using LightNfv.Backends.StandardVm;
using LightNfv.Backends.Vm;
using LightNfv.Core.Backends;
using LightNfv.Core.Configuration;
using LightNfv.Core.Descriptors;
using LightNfv.Core.Errors;
using LightNfv.Core.Networking;

namespace LightNfv.Backends.Tests.Vm;

public sealed class VmBackendTests : IDisposable
{
    private readonly string _state = Directory.CreateTempSubdirectory("lnfv-vmunit-").FullName;

    public void Dispose() => Directory.Delete(_state, recursive: true);

    private BackendContext Host() => new(new PlatformOptions { StateDirectory = _state, CgroupParent = "lnfv-unit", LabNamespace = "lnfv-unit", Subnet = "10.99.0.0/16" });

    private InstanceSpec Spec(Technology technology, int memoryMiB) => new("0123456789ab", "vm", "default", technology, ["iperf3", "-s"],
        new Dictionary<string, string>(), new ResourceSpec(1, memoryMiB, 64),
        new NetworkAttachment("lnfv-unit", "br0", IPAddress.Parse("10.99.0.2"), 16, IPAddress.Parse("10.99.0.1")), Path.Combine(_state, "instances", "0123456789ab"));

    [Theory]
    [InlineData(Technology.Tinyx, 28, 32)]
    [InlineData(Technology.StandardVm, 128, 160)]
    public async Task Too_little_guest_ram_is_refused_naming_the_field_and_the_least_that_boots_before_anything_is_made(Technology technology, int memoryMiB, int least)
    {
        IBackend backend = technology == Technology.Tinyx ? new TinyxBackend(Host()) : new StandardVmBackend(Host());
        var spec = Spec(technology, memoryMiB);
        var e = await Should.ThrowAsync<LightNfvException>(() => backend.CreateAsync(spec, CancellationToken.None));
        e.Kind.ShouldBe(ErrorKind.Invalid);
        e.Message.ShouldStartWith("spec.resources.memoryMiB:");
        e.Message.ShouldContain($"at least {least}");
        Directory.Exists(spec.RunDirectory).ShouldBeFalse();
    }

    [Fact]
    public void A_kernel_panic_in_the_console_is_the_reason_a_guest_exited()
    {
        const string console = "[    1.2] Run /init\n[    1.28] Kernel panic - not syncing: System is deadlocked on memory\n[    1.29] CPU: 0 PID: 1\n";
        VmBackend.PanicIn(console).ShouldBe("System is deadlocked on memory");
        VmBackend.PanicIn("[    0.9] Freeing unused kernel image\n").ShouldBeNull();
    }
}
