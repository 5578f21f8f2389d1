using LightNfv.Backends.Shared;
using LightNfv.Backends.Unikernel;
using LightNfv.Core.Configuration;
using LightNfv.Core.Descriptors;

namespace LightNfv.Backends.Tests.Registry;

/// <summary>Each backend's profile: what the bench and the operation bounds read instead of switching on the technology.</summary>
public sealed class ProfileTests : IDisposable
{
    private readonly string _state = Directory.CreateTempSubdirectory("lnfv-profile-").FullName;
    private readonly BackendRegistry _registry;

    public ProfileTests() =>
        _registry = new BackendRegistry(new BackendContext(new PlatformOptions { StateDirectory = _state, CgroupParent = "lnfv-unit", LabNamespace = "lnfv-unit", Subnet = "10.99.0.0/16" }));

    public void Dispose() => Directory.Delete(_state, recursive: true);

    [Theory]
    [InlineData(Technology.Process, 10)]
    [InlineData(Technology.Container, 10)]
    [InlineData(Technology.Docker, 30)]
    [InlineData(Technology.Unikernel, 30)]
    [InlineData(Technology.Tinyx, 60)]
    [InlineData(Technology.StandardVm, 180)]
    public void Start_bound_per_technology(Technology technology, int seconds)
    {
        _registry.Profile(technology).StartBound.ShouldBe(TimeSpan.FromSeconds(seconds));
        BackendRegistry.ProfileOf(technology).ShouldBeSameAs(_registry.Profile(technology));
    }

    [Fact]
    public void The_standard_vm_is_capped_probed_slowly_and_given_more_memory()
    {
        var bench = _registry.Profile(Technology.StandardVm).Bench;
        (bench.RunCap, bench.QuickRunCap, bench.MemoryMiB).ShouldBe((5, 2, 256));
        bench.ProbeStep.ShouldBe(TimeSpan.FromMilliseconds(20));
        bench.MinReadyTimeout.ShouldBe(TimeSpan.FromSeconds(240));
    }

    [Fact]
    public void Tinyx_is_probed_every_millisecond_and_waited_for_a_minute()
    {
        var bench = _registry.Profile(Technology.Tinyx).Bench;
        bench.ProbeStep.ShouldBe(TimeSpan.FromMilliseconds(1));
        bench.MinReadyTimeout.ShouldBe(TimeSpan.FromSeconds(60));
        (bench.RunCap, bench.MemoryMiB).ShouldBe((null, 64));
    }

    [Theory]
    [InlineData(Technology.Process)]
    [InlineData(Technology.Container)]
    [InlineData(Technology.Docker)]
    public void Processes_and_containers_take_the_probe_defaults(Technology technology)
    {
        var bench = _registry.Profile(technology).Bench;
        (bench.ProbeStep, bench.PaceDownWhenSilent, bench.MinReadyTimeout, bench.RunCap, bench.MemoryMiB).ShouldBe((null, false, TimeSpan.Zero, null, 64));
        bench.ProbeStepNote.ShouldBeEmpty();
    }

    [Fact]
    public void Only_the_unikernel_paces_its_probe_down() =>
        Enum.GetValues<Technology>().Where(t => _registry.Profile(t).Bench.PaceDownWhenSilent).ShouldBe([Technology.Unikernel]);

    [Fact]
    public void Notes_keep_the_reports_text()
    {
        _registry.Profile(Technology.Container).Bench.CreateCall("crun")
            .ShouldBe("store, image (built once, then cached), namespace, veth, config.json, `crun run --detach`");
        _registry.Profile(Technology.Process).Bench.CreateCall(null).ShouldBe("store, cgroup, namespaces, veth, spawn");
        _registry.Profile(Technology.Process).Bench.MemoryNote(150, 0, null).ShouldBe(
            "private memory of the idle iperf3 VNF's cgroup (anonymous pages, tmpfs, kernel memory), 150 ms after it answered; not counted, as in docker stats: " +
            "page cache of the image's files (shared by every instance of the image, charged to whichever cgroup reads a page first; 0 MB on average here)");
        _registry.Profile(Technology.StandardVm).Bench.ImageNote(null, "QEMU -accel tcg -M q35; x", null)
            .ShouldBe("bytes on disk of what the VM boots (kernel + initramfs, or kernel + initrd + allocated disk blocks); QEMU -accel tcg -M q35; x");
    }

    [Fact]
    public void Containers_vary_by_runtime_and_unikernels_by_tender_the_rest_not_at_all()
    {
        _registry.Find(Technology.Process)!.Variants().ShouldBeEmpty();
        var container = _registry.Find(Technology.Container)!.Variants();
        container.Select(v => v.Name).ShouldBeSubsetOf(["crun", "runc"]);
        container.ShouldAllBe(v => v.Field == "runtime" && v.Warm);
        var unikernel = _registry.Find(Technology.Unikernel)!.Variants();
        unikernel.Select(v => v.Name).ShouldBeSubsetOf(["kvm", "process"]);
        unikernel.ShouldAllBe(v => v.Field == "accel");
        // The warm pool serves the tender auto picks: only that tender has a warm row.
        var auto = UnikernelBackend.AutoAccel();
        unikernel.ShouldAllBe(v => v.Warm == (v.Name == auto));
    }
}
