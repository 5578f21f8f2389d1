using System.Net;
using LightNfv.Backends.Process;
using LightNfv.Core.Backends;
using LightNfv.Core.Descriptors;
using LightNfv.Core.Errors;
using LightNfv.Core.Instances;
using LightNfv.Platform.Store;

namespace LightNfv.Server.Tests.Store;

/// <summary>The instantiation path's store writes: reserve (name and address under the write lock) and mark running.</summary>
public sealed class InstanceStoreTests() : TempStoreFile("lnfvs-inst")
{
    private static VnfDescriptor Descriptor(string name) => DescriptorParser.Parse($"""
        apiVersion: lightnfv/v1
        kind: Vnf
        metadata: {"{"}name: {name}{"}"}
        spec:
          technology: process
          app: {"{"}builtin: iperf3-server{"}"}
          network: {"{"}ports: [5201]{"}"}
        """);

    private static IPAddress Next(IReadOnlyList<IPAddress> used) => IPAddress.Parse($"10.99.0.{used.Count + 2}");

    [Fact]
    public void A_running_instance_is_stored_as_returned_with_its_event_in_the_same_write()
    {
        using var store = new PlatformStore(StorePath);
        var reserved = store.Reserve("0123456789ab", Descriptor("web"), Next);
        reserved.State.ShouldBe(InstanceState.Creating);
        reserved.Address.ShouldBe("10.99.0.2");

        var instance = new BackendInstance(reserved.Id, Technology.Process,
            new InstanceFacts { Process = new ProcessRef(42, 7), Cgroup = "lnfv/0123456789ab", Address = IPAddress.Parse("10.99.0.2") },
            new ProcessState { Supervisor = new ProcessRef(41, 6) });
        var running = store.MarkRunning(reserved, instance, "instance.started", "web running");
        var stored = store.Get("0123456789ab").ShouldNotBeNull();
        stored.State.ShouldBe(InstanceState.Running);
        running.State.ShouldBe(InstanceState.Running);
        stored.Facts.ShouldBe(instance.Facts);
        running.Facts.ShouldBe(stored.Facts);
        stored.BackendState.ShouldBeOfType<StoredBackendState>().Json.ShouldBe("""{"supervisor":"41@6"}""");
        running.BackendState.ShouldBeSameAs(instance.State, "the record as returned keeps the typed state: no parse on the instantiation path");
        running.UpdatedAt.ShouldBe(stored.UpdatedAt);
        store.Events().Single().ShouldSatisfyAllConditions(e => e.Kind.ShouldBe("instance.started"), e => e.InstanceId.ShouldBe("0123456789ab"));

        // The prepared statements serve the next instance too (a fresh address, its own row).
        var second = store.Reserve("0123456789ac", Descriptor("db"), Next);
        second.Address.ShouldBe("10.99.0.3");
        store.MarkRunning(second, new BackendInstance(second.Id, Technology.Process), "instance.started", "db running");
        store.Get(second.Id).ShouldNotBeNull().BackendState.ShouldBeNull();
        store.List().Select(r => r.State).ShouldAllBe(s => s == InstanceState.Running);
    }

    [Fact]
    public void A_second_instance_of_the_same_name_is_refused_naming_the_first_and_nothing_is_stored()
    {
        using var store = new PlatformStore(StorePath);
        store.Reserve("0123456789ab", Descriptor("web"), Next);
        var e = Should.Throw<LightNfvException>(() => store.Reserve("ba9876543210", Descriptor("web"), Next));
        e.Kind.ShouldBe(ErrorKind.Conflict);
        e.Message.ShouldStartWith("metadata.name:");
        e.Message.ShouldContain("0123456789ab");
        store.List().Count.ShouldBe(1);
        store.Get("ba9876543210").ShouldBeNull();
    }

    [Fact]
    public void Marking_an_instance_the_store_lost_running_fails_as_not_found()
    {
        using var store = new PlatformStore(StorePath);
        var reserved = store.Reserve("0123456789ab", Descriptor("web"), Next);
        store.Delete(reserved.Id);
        Should.Throw<LightNfvException>(() => store.MarkRunning(reserved, new BackendInstance(reserved.Id, Technology.Process), "instance.started", "x"))
            .Kind.ShouldBe(ErrorKind.NotFound);
        store.Events().ShouldBeEmpty();
    }
}
