using LightNfv.Backends.Docker;
using LightNfv.Backends.Oci;
using LightNfv.Backends.Process;
using LightNfv.Backends.Unikernel;
using LightNfv.Backends.Vm;
using LightNfv.Core.Backends;
using LightNfv.Core.Descriptors;

namespace LightNfv.Backends.Tests.State;

/// <summary>
/// Each backend's record survives the store (its JSON, read back by the backend), and reads the flat string rows
/// stores kept before typed state (the store hands their non-shared keys over as a JSON object of strings).
/// </summary>
public sealed class BackendStateTests
{
    private static BackendInstance Stored(BackendState state) => new("0123456789ab", Technology.Process, InstanceFacts.None, new StoredBackendState(state.ToJson()));

    private static BackendInstance Legacy(string json) => new("0123456789ab", Technology.Process, InstanceFacts.None, new StoredBackendState(json));

    [Fact]
    public void Process_state_round_trips()
    {
        var state = new ProcessState { Supervisor = new ProcessRef(41, 123456789012) };
        state.ToJson().ShouldBe("""{"supervisor":"41@123456789012"}""");
        ProcessState.Of(Stored(state)).ShouldBe(state);
        ProcessState.Of(Legacy("""{"supervisor":"7@8"}""")).Supervisor.ShouldBe(new ProcessRef(7, 8));
    }

    [Fact]
    public void Container_state_round_trips_and_reads_legacy_keys()
    {
        var state = new ContainerState { Runtime = "runc", Bundle = "/s/instances/x/bundle" };
        ContainerState.Of(Stored(state)).ShouldBe(state);
        ContainerState.Of(Legacy("""{"runtime":"crun","bundle":"/b"}""")).ShouldBe(new ContainerState { Runtime = "crun", Bundle = "/b" });
    }

    [Fact]
    public void Docker_state_round_trips_and_reads_legacy_keys()
    {
        var state = new DockerState { Container = "abc", ContainerName = "lightnfv-x", DockerSocket = "/run/d.sock", Shim = new ProcessRef(9, 10) };
        DockerState.Of(Stored(state)).ShouldBe(state);
        DockerState.Of(Legacy("""{"container":"abc","containerName":"lightnfv-x","dockerSocket":"/run/d.sock","shim":"9@10"}""")).ShouldBe(state);
    }

    [Fact]
    public void Vm_state_round_trips_and_reads_legacy_strings()
    {
        var state = new VmState
        {
            Accel = "tcg",
            Machine = "microvm",
            Kernel = "/k",
            Initrd = "/i",
            Append = "console=ttyS0",
            Acpi = true,
            Boot = "kernel 6.1",
            TbSizeMiB = 3,
            MemoryMiB = 64,
            Vcpus = 1,
        };
        VmState.Of(Stored(state)).ShouldBe(state);
        var legacy = VmState.Of(Legacy("""
            {"accel":"tcg","machine":"microvm","kernel":"/k","initrd":"/i","append":"console=ttyS0","acpi":"on","boot":"kernel 6.1",
             "tbSizeMiB":"3","memoryMiB":"64","vcpus":"1"}
            """));
        legacy.ShouldBe(state);
        VmState.Of(Legacy("""{"acpi":"off","memoryMiB":"512","vcpus":"2"}""")).ShouldSatisfyAllConditions(
            s => s.Acpi.ShouldBeFalse(), s => s.TbSizeMiB.ShouldBeNull("QEMU's default applies"), s => s.MemoryMiB.ShouldBe(512));
        state.Summary.ShouldBe("QEMU -accel tcg -M microvm; kernel 6.1");
    }

    [Fact]
    public void Unikernel_state_round_trips_and_reads_legacy_strings()
    {
        var state = new UnikernelState { App = 1, Port = 5201, MemoryBytes = 64UL << 20, Tap = "lnfuk0123456789", Mac = "02:00:00:00:00:01", Monitor = 777 };
        UnikernelState.Of(Stored(state)).ShouldBe(state);
        UnikernelState.Of(Legacy("""{"memoryBytes":"67108864","app":"1","port":"5201","tap":"lnfuk0123456789","mac":"02:00:00:00:00:01","monitor":"777","process":"777"}"""))
            .ShouldBe(state);
    }

    [Fact]
    public void A_typed_state_is_used_as_is_and_a_missing_one_reads_empty()
    {
        var state = new ProcessState { Supervisor = new ProcessRef(1, 2) };
        ProcessState.Of(new BackendInstance("0123456789ab", Technology.Process, InstanceFacts.None, state)).ShouldBeSameAs(state);
        ProcessState.Of(new BackendInstance("0123456789ab", Technology.Process)).ShouldBe(new ProcessState());
        // A create cut short by kill -9 stored nothing: teardown still finds everything by id.
        ContainerState.Of(Legacy("")).Runtime.ShouldBeNull();
    }
}
