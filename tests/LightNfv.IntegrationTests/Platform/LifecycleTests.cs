using System.Net;
using LightNfv.Backends.Process;
using LightNfv.Core.Backends;
using LightNfv.Core.Descriptors;
using LightNfv.Core.Errors;
using LightNfv.Core.Instances;
using LightNfv.Host.Namespaces;
using LightNfv.Host.Processes;
using LightNfv.IntegrationTests.Infrastructure;

namespace LightNfv.IntegrationTests.Platform;

/// <summary>The control plane's lifecycle (InstanceService) driving the process backend on the real kernel.</summary>
public sealed class LifecycleTests(ITestOutputHelper output) : IntegrationTest(output)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Same_name_twice_is_a_conflict_and_the_first_keeps_running()
    {
        RequireRoot();
        var first = await Lab.RunAsync(Descriptors.Iperf3("dup"));

        var e = await Should.ThrowAsync<LightNfvException>(() => Lab.RunAsync(Descriptors.Iperf3("dup")));
        Output.WriteLine(e.Message);
        e.Kind.ShouldBe(ErrorKind.Conflict);
        e.Message.ShouldContain("already exists");

        var list = Lab.Instances.List();
        list.Count.ShouldBe(1);
        list[0].Record.Id.ShouldBe(first.Id);
        list[0].Record.State.ShouldBe(InstanceState.Running);
        list[0].Observation!.State.ShouldBe(ObservedState.Running);
        Lab.TcpConnect(IPAddress.Parse(first.Address!), 5201).ShouldBeNull();
        // The refused create made nothing on the host.
        NetNamespace.List(Lab.LabName + "-").ShouldBe([Lab.InstanceNamespace(first.Id)]);
    }

    [Fact]
    public async Task A_create_cut_short_before_its_record_was_updated_is_still_removed_completely()
    {
        RequireRoot();
        // What a kill -9 of the CLI between "create" and "start" leaves: a Creating record with no backend data,
        // and a cgroup and run directory on the host.
        var descriptor = DescriptorParser.Parse(Descriptors.Iperf3("cut"));
        var id = InstanceId.New();
        var record = Lab.Store.Reserve(id, descriptor, used => Lab.Host.Pool.Allocate(used));
        var backend = Lab.Registry.Require(Technology.Process);
        await backend.CreateAsync(Lab.Instances.SpecFor(record, descriptor), CancellationToken.None);
        HostState.CgroupDirectories(Lab.CgroupPath(id)).ShouldNotBeEmpty();
        Lab.Store.Get(id)!.ShouldSatisfyAllConditions(r => r.Facts.ShouldBe(InstanceFacts.None), r => r.BackendState.ShouldBeNull());

        await Lab.Instances.RemoveAsync(id);

        Lab.Instances.List().ShouldBeEmpty();
        HostState.CgroupDirectories(Lab.CgroupPath(id)).ShouldBeEmpty();
        Directory.Exists(Lab.RunDirectory(id)).ShouldBeFalse();
        NetNamespace.Exists(Lab.InstanceNamespace(id)).ShouldBeFalse();
    }

    [Fact]
    public async Task Requested_address_already_in_use_is_a_conflict()
    {
        RequireRoot();
        var address = Lab.Address(50);
        var first = await Lab.RunAsync(Descriptors.Iperf3("first", address));
        first.Address.ShouldBe(address.ToString());

        var e = await Should.ThrowAsync<LightNfvException>(() => Lab.RunAsync(Descriptors.Iperf3("second", address)));
        Output.WriteLine(e.Message);
        e.Kind.ShouldBe(ErrorKind.Conflict);
        e.Message.ShouldContain(address.ToString());

        Lab.Instances.List().Select(v => v.Record.Name).ShouldBe(["first"]);
        Lab.TcpConnect(address, 5201).ShouldBeNull();
    }

    [Fact]
    public async Task Stop_keeps_the_namespace_and_start_serves_again()
    {
        RequireRoot();
        var record = await Lab.RunAsync(Descriptors.Iperf3());
        var address = IPAddress.Parse(record.Address!);
        var ns = Lab.InstanceNamespace(record.Id);
        Lab.TcpConnect(address, 5201).ShouldBeNull();
        var before = ProcessIdentity.From(Lab.Store.Get(record.Id)!.Facts.Process).ShouldNotBeNull();

        var stopped = await Lab.Instances.StopAsync(record.Id, TimeSpan.FromSeconds(2));
        stopped.State.ShouldBe(InstanceState.Stopped);
        var view = Lab.Instances.Inspect(record.Id);
        view.Record.State.ShouldBe(InstanceState.Stopped);
        view.Observation!.State.ShouldBe(ObservedState.Stopped);
        view.Observation.Pid.ShouldBeNull();
        Poll.Until(() => HostState.IsGone(before), Deadline).ShouldBeTrue($"VNF {before} should be gone after stop");
        NetNamespace.Exists(ns).ShouldBeTrue("stop keeps the network namespace");
        HostState.CgroupDirectories(Lab.CgroupPath(record.Id)).ShouldNotBeEmpty("stop keeps the cgroup");
        HostState.CgroupPids(Lab.CgroupPath(record.Id)).ShouldBeEmpty();

        var started = await Lab.Instances.StartAsync(record.Id);
        started.State.ShouldBe(InstanceState.Running);
        started.Address.ShouldBe(record.Address);
        view = Lab.Instances.Inspect(record.Id);
        view.Observation!.State.ShouldBe(ObservedState.Running);
        view.Observation.Pid.ShouldNotBeNull().ShouldNotBe(before.Pid);
        Lab.TcpConnect(address, 5201).ShouldBeNull("the restarted VNF should answer TCP again");
    }

    [Fact]
    public async Task Stop_of_a_stopped_instance_is_a_state_error()
    {
        RequireRoot();
        var record = await Lab.RunAsync(Descriptors.Iperf3());
        await Lab.Instances.StopAsync(record.Id, TimeSpan.FromSeconds(2));
        var e = await Should.ThrowAsync<LightNfvException>(() => Lab.Instances.StopAsync(record.Id));
        e.Kind.ShouldBe(ErrorKind.State);
        (await Lab.Instances.StartAsync(record.Id)).State.ShouldBe(InstanceState.Running);
        var s = await Should.ThrowAsync<LightNfvException>(() => Lab.Instances.StartAsync(record.Id));
        s.Kind.ShouldBe(ErrorKind.State);
        s.Message.ShouldContain("already running");
    }

    [Fact]
    public async Task Down_removes_every_instance_and_the_lab()
    {
        RequireRoot();
        var records = new[]
        {
            await Lab.RunAsync(Descriptors.Iperf3("one")),
            await Lab.RunAsync(Descriptors.Iperf3("two")),
            await Lab.RunAsync(Descriptors.Iperf3("three")),
        };
        records.Select(r => r.Address).Distinct().Count().ShouldBe(3);
        var vnfs = records.Select(r => ProcessIdentity.From(r.Facts.Process).ShouldNotBeNull()).ToList();
        var supervisors = records.Select(r => ProcessIdentity.From(ProcessState.Of(r.AsBackendInstance()).Supervisor).ShouldNotBeNull()).ToList();
        NetNamespace.List(Lab.LabName).Count.ShouldBe(4); // the lab and one per instance

        var removed = await Lab.Instances.DownAsync();
        Output.WriteLine(string.Join(", ", removed));

        Lab.Instances.List().ShouldBeEmpty();
        NetNamespace.List(Lab.LabName).ShouldBeEmpty();
        NetNamespace.Exists(Lab.LabName).ShouldBeFalse();
        HostState.CgroupDirectories(Lab.CgroupParent).ShouldBeEmpty();
        foreach (var p in vnfs.Concat(supervisors))
        {
            HostState.IsGone(p).ShouldBeTrue($"{p} still exists: {HostState.Stat(p.Pid)}");
        }
    }
}
