using System.Net;
using System.Text.Json;
using LightNfv.Backends.Process;
using LightNfv.Core.Backends;
using LightNfv.Core.Errors;
using LightNfv.Core.Instances;
using LightNfv.Host.Namespaces;
using LightNfv.Host.Processes;
using LightNfv.IntegrationTests.Infrastructure;

namespace LightNfv.IntegrationTests.Backends.Process;

/// <summary>The process backend on the real kernel: traffic, isolation, limits, teardown, failure paths.</summary>
public sealed class ProcessBackendTests(ITestOutputHelper output) : IntegrationTest(output)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Iperf3_builtin_answers_tcp_and_carries_traffic_from_the_lab()
    {
        RequireRoot();
        var record = await Lab.RunAsync(Descriptors.Iperf3());
        var address = IPAddress.Parse(record.Address!);

        Lab.TcpConnect(address, 5201).ShouldBeNull($"TCP connect to {address}:5201 from the lab namespace");

        // The real client, in the lab namespace (nsenter --net: `ip netns exec` would remount /sys).
        HostState.CommandResult? run = null;
        JsonDocument? json = null;
        for (var attempt = 0; attempt < 5; attempt++)
        {
            // The server may still be resetting after the bare connect above ("the server is busy").
            run = HostState.Run("nsenter", [$"--net={NetNamespace.PathOf(Lab.LabName)}", "iperf3", "-c", address.ToString(), "-t", "1", "-J"],
                timeout: TimeSpan.FromSeconds(30));
            json = JsonDocument.Parse(run.Stdout);
            if (run.ExitCode == 0 && !json.RootElement.TryGetProperty("error", out _))
            {
                break;
            }
            Thread.Sleep(500);
        }
        run!.ExitCode.ShouldBe(0, run.ToString());
        var bps = json!.RootElement.GetProperty("end").GetProperty("sum_received").GetProperty("bits_per_second").GetDouble();
        Output.WriteLine($"iperf3 lab -> {address}: {bps / 1e9:0.00} Gb/s");
        bps.ShouldBeGreaterThan(0);
    }

    [Fact]
    public async Task Running_instance_is_pid_1_of_its_own_pid_namespace_in_its_own_network_namespace()
    {
        RequireRoot();
        var record = await Lab.RunAsync(Descriptors.Iperf3());

        var view = Lab.Instances.Inspect(record.Id);
        view.Record.State.ShouldBe(InstanceState.Running);
        view.Observation.ShouldNotBeNull();
        view.Observation.State.ShouldBe(ObservedState.Running);
        var pid = view.Observation.Pid.ShouldNotBeNull();

        var nspids = HostState.NsPids(pid);
        nspids.Count.ShouldBe(2, $"NSpid of {pid}: {string.Join(' ', nspids)}");
        nspids[0].ShouldBe(pid);
        nspids[1].ShouldBe(1);

        HostState.NamespaceOf(pid, "net").ShouldNotBe(HostState.NamespaceOf(Environment.ProcessId, "net"));
        HostState.NamespaceOf(pid, "pid").ShouldNotBe(HostState.NamespaceOf(Environment.ProcessId, "pid"));
        // And it is the namespace the platform pinned for the instance.
        var pinned = new FileInfo(NetNamespace.PathOf(Lab.InstanceNamespace(record.Id)));
        pinned.Exists.ShouldBeTrue();
        Lab.Host.Cgroups.Open(Lab.CgroupPath(record.Id))!.Pids().ShouldContain(pid);
    }

    [Fact]
    public async Task Vnf_mount_table_holds_no_netns_pins_so_new_instances_do_not_copy_every_running_one()
    {
        RequireRoot();
        var first = await Lab.RunAsync(Descriptors.Iperf3("first"));
        var second = await Lab.RunAsync(Descriptors.Iperf3("second"));
        var pid = Lab.Instances.Inspect(second.Id).Observation!.Pid!.Value;

        // The host's mount table pins both instances' namespaces; the VNF's own (started from the lean template) none.
        File.ReadLines("/proc/self/mountinfo").Count(l => l.Contains(" /run/netns/", StringComparison.Ordinal)).ShouldBeGreaterThanOrEqualTo(2);
        var mounts = File.ReadAllLines($"/proc/{pid}/mountinfo");
        mounts.ShouldNotContain(l => l.Contains("/run/netns", StringComparison.Ordinal));
        mounts.Length.ShouldBeLessThan(File.ReadLines("/proc/self/mountinfo").Count() + 2);
        HostState.NamespaceOf(pid, "mnt").ShouldNotBe(HostState.NamespaceOf(Environment.ProcessId, "mnt"));
        // The VNF still sees the host's filesystem: its binary ran, and it answers.
        Lab.TcpConnect(IPAddress.Parse(second.Address!), 5201).ShouldBeNull();
        File.Exists(MountTemplate.PathName).ShouldBeTrue();
        _ = first;
    }

    [Fact]
    public async Task Memory_limit_is_enforced_by_the_oom_killer()
    {
        RequireRoot();
        // tail buffers the whole 200 MB line: far beyond 32 MiB.
        var record = await Lab.RunAsync(Descriptors.Command("hog", ["sh", "-c", "head -c 200m /dev/zero | tail"], memoryMiB: 32));

        var view = Poll.Read(() => Lab.Instances.Inspect(record.Id),
            v => v.Record.State == InstanceState.Exited || v.Observation?.State == ObservedState.Exited, Deadline);
        Output.WriteLine($"state {view.Record.State}, observed {view.Observation?.State}, detail '{view.Observation?.Detail}', error '{view.Record.Error}'");
        (view.Record.State == InstanceState.Exited || view.Observation?.State == ObservedState.Exited).ShouldBeTrue("the memory hog should have ended within 10 s");

        // Read the kernel's count before removing the cgroup.
        var oomKills = HostState.OomKills(Lab.CgroupPath(record.Id));
        Output.WriteLine($"oom_kill = {oomKills}");
        oomKills.ShouldNotBeNull("memory.oom_control (v1) / memory.events (v2) of the instance's cgroup");
        oomKills.Value.ShouldBeGreaterThanOrEqualTo(1UL);

        await Lab.Instances.RemoveAsync(record.Id);
        HostState.CgroupDirectories(Lab.CgroupPath(record.Id)).ShouldBeEmpty();
    }

    [Fact]
    public async Task Pids_limit_is_enforced_and_removal_leaves_no_process_of_the_cgroup()
    {
        RequireRoot();
        var record = await Lab.RunAsync(Descriptors.Command("forker",
            ["sh", "-c", "i=0; while [ $i -lt 200 ]; do sleep 30 & i=$((i+1)); done; wait"], pids: 16));
        var cgroup = Lab.CgroupPath(record.Id);
        var log = Lab.ConsoleLog(record.Id);

        string ReadLog() => File.Exists(log) ? File.ReadAllText(log) : "";
        static bool MentionsForkFailure(string text) =>
            text.Contains("fork", StringComparison.OrdinalIgnoreCase) || text.Contains("Resource temporarily unavailable", StringComparison.Ordinal);

        var text = Poll.Read(ReadLog, MentionsForkFailure, Deadline);
        Output.WriteLine($"console.log:\n{text}");
        MentionsForkFailure(text).ShouldBeTrue("the shell should report that it could not fork");

        var current = HostState.ReadNumber(HostState.CgroupFile("pids", cgroup, "pids.current"));
        Output.WriteLine($"pids.current = {current}");
        current.ShouldNotBeNull();
        current.Value.ShouldBeLessThanOrEqualTo(16UL);
        // The shell gives up at its first failed fork and, as pid 1, takes its children with it: pids.current may
        // already be 0. pids.peak (where the kernel has it) shows the limit held while they were alive.
        if (HostState.ReadNumber(HostState.CgroupFile("pids", cgroup, "pids.peak")) is { } peak)
        {
            Output.WriteLine($"pids.peak = {peak}");
            peak.ShouldBeLessThanOrEqualTo(16UL);
            peak.ShouldBeGreaterThan(1UL);
        }
        if (HostState.ReadKeyed(HostState.CgroupFile("pids", cgroup, "pids.events"), "max") is { } refused)
        {
            Output.WriteLine($"pids.events max = {refused}");
            refused.ShouldBeGreaterThanOrEqualTo(1UL);
        }

        var members = HostState.CgroupPids(cgroup).Select(p => (Pid: p, Stat: HostState.Stat(p))).ToList();
        Output.WriteLine($"processes in the cgroup before rm: {members.Count}");

        await Lab.Instances.RemoveAsync(record.Id);

        HostState.CgroupDirectories(cgroup).ShouldBeEmpty();
        foreach (var (pid, stat) in members)
        {
            var now = HostState.Stat(pid);
            (now is null || stat is null || now.StartTicks != stat.StartTicks)
                .ShouldBeTrue($"process {pid} ({stat?.Comm}) of the removed instance is still there: {now}");
        }
    }

    [Fact]
    public async Task Remove_tears_down_namespace_link_cgroup_processes_and_run_directory()
    {
        RequireRoot();
        var record = await Lab.RunAsync(Descriptors.Iperf3());
        var id = record.Id;
        var ns = Lab.InstanceNamespace(id);
        var link = LightNfv.Backends.Shared.BackendContext.HostLinkName(id);
        var runDir = Lab.RunDirectory(id);
        var vnf = ProcessIdentity.From(record.Facts.Process).ShouldNotBeNull("fact 'process'");
        var supervisor = ProcessIdentity.From(ProcessState.Of(record.AsBackendInstance()).Supervisor).ShouldNotBeNull("process state 'supervisor'");

        // Everything is there before...
        NetNamespace.Exists(ns).ShouldBeTrue();
        HostState.LabLinks(Lab.LabName).ShouldContain(link);
        HostState.CgroupDirectories(Lab.CgroupPath(id)).ShouldNotBeEmpty();
        HostState.IsGone(vnf).ShouldBeFalse();
        HostState.IsGone(supervisor).ShouldBeFalse();
        Directory.Exists(runDir).ShouldBeTrue();

        await Lab.Instances.RemoveAsync(id);

        // ...and nothing after.
        Lab.Instances.List().ShouldBeEmpty();
        NetNamespace.Exists(ns).ShouldBeFalse();
        NetNamespace.List(Lab.LabName + "-").ShouldBeEmpty();
        HostState.LabLinks(Lab.LabName).ShouldNotContain(link);
        HostState.CgroupDirectories(Lab.CgroupPath(id)).ShouldBeEmpty();
        HostState.IsGone(vnf).ShouldBeTrue($"VNF {vnf} still exists: {HostState.Stat(vnf.Pid)}");
        HostState.IsGone(supervisor).ShouldBeTrue($"supervisor {supervisor} still exists (a zombie?): {HostState.Stat(supervisor.Pid)}");
        Directory.Exists(runDir).ShouldBeFalse();
    }

    [Fact]
    public async Task Create_that_fails_at_exec_rolls_back_everything()
    {
        RequireRoot();
        // Exists (passes the PATH check), is not executable: the spawn fails after the namespace and cgroup exist.
        var program = Lab.NonExecutableFile();
        var e = await Should.ThrowAsync<LightNfvException>(() => Lab.RunAsync(Descriptors.Command("badexec", [program])));
        Output.WriteLine(e.Message);
        e.Message.ShouldContain("exec");
        e.Message.ShouldContain(program);
        e.Message.ShouldContain("Permission denied");

        Lab.Instances.List().ShouldBeEmpty();
        NetNamespace.List(Lab.LabName + "-").ShouldBeEmpty();
        HostState.CgroupDirectories(Lab.CgroupParent).SelectMany(Directory.EnumerateDirectories).ShouldBeEmpty();
        HostState.LabLinks(Lab.LabName).ShouldNotContain("lnfv");
        if (Directory.Exists(Lab.Options.InstancesDirectory))
        {
            Directory.EnumerateDirectories(Lab.Options.InstancesDirectory).ShouldBeEmpty("no run directory may remain");
        }
    }

    [Fact]
    public async Task Failed_exec_leaves_no_zombie_supervisor()
    {
        RequireRoot();
        var before = HostState.ZombieChildren(NamespacedSpawner.HelperName).Select(z => z.Pid).ToHashSet();
        await Should.ThrowAsync<LightNfvException>(() => Lab.RunAsync(Descriptors.Command("badexec", [Lab.NonExecutableFile()])));

        // The supervisor reports the exec failure and exits; someone has to reap it.
        var zombies = Poll.Read(() => HostState.ZombieChildren(NamespacedSpawner.HelperName).Where(z => !before.Contains(z.Pid)).ToList(),
            z => z.Count == 0, TimeSpan.FromSeconds(2));
        zombies.ShouldBeEmpty($"zombie supervisors left by the failed spawn: {string.Join(", ", zombies)}");
    }

    [Fact]
    public async Task Missing_command_is_rejected_before_anything_is_created()
    {
        RequireRoot();
        var e = await Should.ThrowAsync<LightNfvException>(() => Lab.RunAsync(Descriptors.Command("nobin", ["no-such-binary-xyz"])));
        Output.WriteLine(e.Message);
        e.Kind.ShouldBe(ErrorKind.Invalid);
        e.Message.ShouldContain("spec.app.command");
        e.Message.ShouldContain("no-such-binary-xyz");

        Lab.Instances.List().ShouldBeEmpty();
        NetNamespace.List(Lab.LabName).ShouldBeEmpty();
        HostState.CgroupDirectories(Lab.CgroupParent).ShouldBeEmpty();
    }

    [Fact]
    public async Task Vnf_killed_from_outside_is_reported_exited_with_its_signal()
    {
        RequireRoot();
        var record = await Lab.RunAsync(Descriptors.Iperf3());
        var pid = Lab.Instances.Inspect(record.Id).Observation!.Pid.ShouldNotBeNull();

        Native.kill(pid, Native.SIGKILL).ShouldBe(0);
        // Its supervisor reaps it; only then does the pid vanish from /proc.
        Poll.Until(() => HostState.IsGone(pid), Deadline).ShouldBeTrue($"pid {pid} should be gone after kill -9");

        var view = Poll.Read(() => Lab.Instances.List().Single(), v => v.Record.State == InstanceState.Exited, Deadline, TimeSpan.FromMilliseconds(50));
        Output.WriteLine($"state {view.Record.State}, error '{view.Record.Error}', observed {view.Observation?.State} '{view.Observation?.Detail}'");
        view.Record.State.ShouldBe(InstanceState.Exited);
        (view.Record.Error ?? view.Observation?.Detail).ShouldNotBeNull().ShouldContain("killed 9");
    }
    [Fact]
    public async Task Exit_cause_is_recorded_even_when_inspected_the_moment_the_vnf_dies()
    {
        RequireRoot();
        // Between the VNF's death and its supervisor writing the exit file there is a short window; an inspection
        // landing in it must not record a vague cause for good. Polled without pause, it lands there now and then.
        const int rounds = 20;
        var wrong = new List<string>();
        for (var i = 0; i < rounds; i++)
        {
            var record = await Lab.RunAsync(Descriptors.Iperf3($"race{i}"));
            Lab.WaitForTcp(IPAddress.Parse(record.Address!), 5201).ShouldBeTrue();
            var pid = Lab.Instances.Inspect(record.Id).Observation!.Pid.ShouldNotBeNull();
            Native.kill(pid, Native.SIGKILL).ShouldBe(0);
            var view = Poll.Read(() => Lab.Instances.Inspect(record.Id), v => v.Record.State == InstanceState.Exited, Deadline, TimeSpan.Zero);
            view.Record.State.ShouldBe(InstanceState.Exited);
            if (view.Record.Error?.Contains("killed 9", StringComparison.Ordinal) != true)
            {
                wrong.Add($"round {i}: recorded '{view.Record.Error}', now observed '{Lab.Instances.Inspect(record.Id).Observation?.Detail}'");
            }
            await Lab.Instances.RemoveAsync(record.Id);
        }
        wrong.ShouldBeEmpty($"{wrong.Count} of {rounds} kill -9s were recorded without their cause");
    }
}
