using System.Net;
using System.Text.Json;
using LightNfv.Backends.Oci;
using LightNfv.Backends.Vm;
using LightNfv.Core.Backends;
using LightNfv.Core.Descriptors;
using LightNfv.Core.Errors;
using LightNfv.Core.Tenants;
using LightNfv.Host.Namespaces;
using LightNfv.Host.Spt;
using LightNfv.IntegrationTests.Infrastructure;
using LightNfv.Platform.Audit;
using LightNfv.Platform.Lifecycle;
using LightNfv.Platform.Store;

namespace LightNfv.IntegrationTests.Platform.Resize;

/// <summary>
/// Live resize and per-instance limits on real instances: the cgroup files the kernel enforces change while the VNF keeps
/// its pid and answers TCP; a bandwidth limit on the lab port holds iperf3 from the lab to it; refusals leave the limits
/// as they were. The fixture checks that nothing is left behind (namespaces, cgroups, processes).
/// </summary>
public sealed class LiveResizeTests(ITestOutputHelper output) : IntegrationTest(output)
{
    private const long MiB = 1024 * 1024;

    private static string Yaml(string name, string technology = "process", string extra = "", string tenant = "default") => $"""
        apiVersion: lightnfv/v1
        kind: Vnf
        metadata:
          name: {name}
          tenant: {tenant}
        spec:
          technology: {technology}
          app:
            builtin: iperf3-server
          resources:
            vcpus: 1
            memoryMiB: 64
            pids: 64{extra}
          network:
            ports: [5201]
        """;

    /// <summary>The first of the cgroup's directories (one per v1 hierarchy) that has <paramref name="file"/>, read and trimmed.</summary>
    private string CgroupFile(InstanceRecord r, string file)
    {
        var cg = Lab.Host.Cgroups.Open(r.Facts.Cgroup ?? Lab.CgroupPath(r.Id)).ShouldNotBeNull();
        var path = cg.ProcsFiles.Select(p => Path.Combine(Path.GetDirectoryName(p)!, file)).FirstOrDefault(File.Exists);
        path.ShouldNotBeNull($"{file} in {string.Join(", ", cg.ProcsFiles)}");
        return File.ReadAllText(path).Trim();
    }

    private bool V1 => Lab.Host.Cgroups.Version == "v1";

    /// <summary>CPU quota in µs per 100 ms period, memory limit, swap-included limit (or swap.max on v2), pids.max, cpuset.cpus.</summary>
    private (string Quota, string Memory, string Swap, string Pids, string? CpuSet) Limits(InstanceRecord r) => V1
        ? (CgroupFile(r, "cpu.cfs_quota_us"), CgroupFile(r, "memory.limit_in_bytes"), CgroupFile(r, "memory.memsw.limit_in_bytes"), CgroupFile(r, "pids.max"), TryCgroupFile(r, "cpuset.cpus"))
        : (CgroupFile(r, "cpu.max").Split(' ')[0], CgroupFile(r, "memory.max"), CgroupFile(r, "memory.swap.max"), CgroupFile(r, "pids.max"), TryCgroupFile(r, "cpuset.cpus"));

    private string? TryCgroupFile(InstanceRecord r, string file)
    {
        var cg = Lab.Host.Cgroups.Open(r.Facts.Cgroup ?? Lab.CgroupPath(r.Id))!;
        return cg.ProcsFiles.Select(p => Path.Combine(Path.GetDirectoryName(p)!, file)).Where(File.Exists).Select(f => File.ReadAllText(f).Trim()).FirstOrDefault();
    }

    private void RequireSwapAccounting() =>
        Assert.SkipWhen(V1 && !File.Exists("/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes"), "no swap accounting on this kernel (memory.memsw.* absent): swapaccount=1 is needed to hold swap to the limit");

    /// <summary>iperf3 from the lab to the instance for <paramref name="seconds"/> s; the receiver's Mbit/s.</summary>
    private double Iperf3Mbps(InstanceRecord r, int seconds = 2)
    {
        // iperf3's server takes one test at a time and may still be closing the previous one ("the server is busy"):
        // such an answer (JSON with "error" and no "end") is asked again, a few times.
        for (var attempt = 1; ; attempt++)
        {
            var run = HostState.Run("nsenter", [$"--net={NetNamespace.PathOf(Lab.LabName)}", "iperf3", "-c", r.Address!, "-t", seconds.ToString(System.Globalization.CultureInfo.InvariantCulture), "-J"],
                timeout: TimeSpan.FromSeconds(seconds + 15));
            using var doc = JsonDocument.Parse(run.Stdout);
            if (doc.RootElement.TryGetProperty("end", out var end) && end.TryGetProperty("sum_received", out var received))
            {
                run.ExitCode.ShouldBe(0, run.ToString());
                var mbps = received.GetProperty("bits_per_second").GetDouble() / 1e6;
                Output.WriteLine($"iperf3 lab -> {r.Name}: {mbps:0.0} Mbit/s");
                return mbps;
            }
            Output.WriteLine($"iperf3 attempt {attempt}: {run}");
            attempt.ShouldBeLessThan(4, $"iperf3 gave no result: {run}");
            Thread.Sleep(500);
        }
    }

    [Fact]
    public async Task Resize_changes_the_cgroup_limits_of_a_running_process_vnf_which_keeps_its_pid_and_answers_and_a_restart_keeps_the_new_size()
    {
        RequireRoot();
        RequireSwapAccounting();
        var r = await Lab.RunAsync(Yaml("rz"));
        var address = IPAddress.Parse(r.Address!);
        Lab.TcpConnect(address, 5201).ShouldBeNull();
        var pid = r.Facts.Process.ShouldNotBeNull().Pid;
        var before = Limits(r);
        before.Quota.ShouldBe("100000");
        before.Memory.ShouldBe((64 * MiB).ToString(System.Globalization.CultureInfo.InvariantCulture));
        before.Pids.ShouldBe("64");

        var resized = await Lab.Instances.ResizeAsync(r.Id, new ResourceChange(Vcpus: 2, MemoryMiB: 96, Pids: 100, CpuSet: "0"));

        var after = Limits(resized);
        after.Quota.ShouldBe("200000");
        after.Memory.ShouldBe((96 * MiB).ToString(System.Globalization.CultureInfo.InvariantCulture));
        // No swap beyond the limit: v1 holds memory+swap to the limit, v2 allows no swap at all.
        after.Swap.ShouldBe(V1 ? after.Memory : "0");
        after.Pids.ShouldBe("100");
        after.CpuSet.ShouldBe("0");
        // Same process, still answering, now confined to CPU 0 as the kernel sees it.
        resized.Facts.Process.ShouldNotBeNull().Pid.ShouldBe(pid);
        HostState.IsGone(pid).ShouldBeFalse();
        File.ReadAllText($"/proc/{pid}/status").ShouldContain("Cpus_allowed_list:\t0\n");
        Lab.TcpConnect(address, 5201).ShouldBeNull();

        // Stored (the tenant's usage counts it), evented and audited.
        var stored = DescriptorParser.Parse(Lab.Store.Get(r.Id)!.Descriptor).Spec.Resources;
        (stored.Vcpus, stored.MemoryMiB, stored.Pids, stored.CpuSet).ShouldBe((2, 96, 100, "0"));
        Lab.Store.Usage("default").MemoryMiB.ShouldBe(96);
        var audit = Lab.Store.AuditRecords().Last(a => a.Action == AuditActions.InstanceResize);
        audit.Result.ShouldBe(AuditRecord.Ok);
        audit.Parameters.ShouldContain("memoryMiB");
        audit.Parameters.ShouldContain("96");

        // A restart (what a heal in place does) starts it at the new size.
        await Lab.Instances.StopAsync(r.Id);
        var restarted = await Lab.Instances.StartAsync(r.Id);
        Limits(restarted).ShouldBe(after);
        Lab.TcpConnect(address, 5201).ShouldBeNull();

        // Shrinking works live as well, and "" unpins.
        var smaller = await Lab.Instances.ResizeAsync(r.Id, new ResourceChange(Vcpus: 1, MemoryMiB: 48, CpuSet: ""));
        Limits(smaller).Memory.ShouldBe((48 * MiB).ToString(System.Globalization.CultureInfo.InvariantCulture));
        Limits(smaller).Quota.ShouldBe("100000");
        DescriptorParser.Parse(smaller.Descriptor).Spec.Resources.CpuSet.ShouldBeNull();
        Lab.TcpConnect(address, 5201).ShouldBeNull();
        await Lab.Instances.RemoveAsync(r.Id);
    }

    [Fact]
    public async Task A_bandwidth_limit_on_the_lab_port_holds_iperf3_from_the_lab_and_a_resize_changes_or_lifts_it_live()
    {
        RequireRoot();
        var r = await Lab.RunAsync(Yaml("bw", extra: "\n    bandwidthMbps: 40"));
        var address = IPAddress.Parse(r.Address!);
        Lab.TcpConnect(address, 5201).ShouldBeNull();
        Lab.Host.Lab.PortQdisc(r.Facts.HostLink!).ShouldBe("tbf");
        var limited = Iperf3Mbps(r);
        // The token bucket's 64 KiB burst adds at most a few per cent over 2 s; veth alone does gigabits here.
        limited.ShouldBeInRange(4, 40 * 1.15);

        // What setting a limit costs: one rtnetlink request, against spawning tc(8) for the same change (printed, not asserted).
        var link = r.Facts.HostLink!;
        var netlink = Enumerable.Range(0, 21).Select(i =>
        {
            var t = System.Diagnostics.Stopwatch.GetTimestamp();
            Lab.Host.Lab.SetPortBandwidth(link, 40 + (i % 2));
            return System.Diagnostics.Stopwatch.GetElapsedTime(t).TotalMicroseconds;
        }).Order().ToList();
        var spawned = Enumerable.Range(0, 5).Select(i =>
        {
            var t = System.Diagnostics.Stopwatch.GetTimestamp();
            HostState.Run("nsenter", [$"--net={NetNamespace.PathOf(Lab.LabName)}", "tc", "qdisc", "replace", "dev", link, "root", "tbf", "rate", "40mbit", "burst", "64kb", "latency", "50ms"]);
            return System.Diagnostics.Stopwatch.GetElapsedTime(t).TotalMicroseconds;
        }).Order().ToList();
        Output.WriteLine($"set a port's rate: netlink median {netlink[10]:0} us (21 runs), nsenter+tc median {spawned[2]:0} us (5 runs)");
        Lab.Host.Lab.PortQdisc(link).ShouldBe("tbf");

        var pid = r.Facts.Process.ShouldNotBeNull().Pid;
        await Lab.Instances.ResizeAsync(r.Id, new ResourceChange(BandwidthMbps: 8));
        var resized = Iperf3Mbps(r);
        resized.ShouldBeInRange(1, 8 * 1.15);
        Lab.Store.Get(r.Id)!.Facts.Process.ShouldNotBeNull().Pid.ShouldBe(pid);

        // 0 lifts the limit: the port is back to the kernel's default, and the VNF to veth speed.
        var lifted = await Lab.Instances.ResizeAsync(r.Id, new ResourceChange(BandwidthMbps: 0));
        Lab.Host.Lab.PortQdisc(r.Facts.HostLink!).ShouldNotBe("tbf");
        DescriptorParser.Parse(lifted.Descriptor).Spec.Resources.BandwidthMbps.ShouldBeNull();
        Iperf3Mbps(r).ShouldBeGreaterThan(8 * 3);
        await Lab.Instances.RemoveAsync(r.Id);
    }

    [Fact]
    public async Task Resizes_over_the_tenant_quota_or_out_of_bounds_are_refused_with_the_reason_and_change_nothing()
    {
        RequireRoot();
        Lab.Store.CreateTenant("rzq", new TenantQuota(MemoryMiB: 100));
        var r = await Lab.RunAsync(Yaml("rzq1", tenant: "rzq"));
        var before = Limits(r);

        var quota = await Should.ThrowAsync<LightNfvException>(() => Lab.Instances.ResizeAsync(r.Id, new ResourceChange(MemoryMiB: 128)));
        quota.Kind.ShouldBe(ErrorKind.Quota);
        quota.Message.ShouldContain("maxMemoryMiB");
        quota.Message.ShouldContain("resizing 'rzq1'");

        var bounds = await Should.ThrowAsync<DescriptorException>(() => Lab.Instances.ResizeAsync(r.Id, new ResourceChange(Vcpus: 65)));
        bounds.Field.ShouldBe("spec.resources.vcpus");

        var cpu = await Should.ThrowAsync<DescriptorException>(() => Lab.Instances.ResizeAsync(r.Id, new ResourceChange(CpuSet: "4095")));
        cpu.Field.ShouldBe("spec.resources.cpuset");
        cpu.Message.ShouldContain("which this host does not offer");

        (await Should.ThrowAsync<LightNfvException>(() => Lab.Instances.ResizeAsync(r.Id, new ResourceChange()))).Message.ShouldContain("nothing to change");

        // The host's limits and the stored size are as they were, and each refusal is in the audit trail.
        Limits(Lab.Store.Get(r.Id)!).ShouldBe(before);
        DescriptorParser.Parse(Lab.Store.Get(r.Id)!.Descriptor).Spec.Resources.MemoryMiB.ShouldBe(64);
        Lab.Store.AuditRecords().Count(a => a.Action == AuditActions.InstanceResize && a.Result != AuditRecord.Ok).ShouldBe(4);

        // Within the quota it goes through.
        await Lab.Instances.ResizeAsync(r.Id, new ResourceChange(MemoryMiB: 100));
        Limits(Lab.Store.Get(r.Id)!).Memory.ShouldBe((100 * MiB).ToString(System.Globalization.CultureInfo.InvariantCulture));

        // A stopped instance has no live limits to change.
        await Lab.Instances.StopAsync(r.Id);
        (await Should.ThrowAsync<LightNfvException>(() => Lab.Instances.ResizeAsync(r.Id, new ResourceChange(Pids: 80)))).Kind.ShouldBe(ErrorKind.State);
        await Lab.Instances.RemoveAsync(r.Id);
    }

    [Theory]
    [InlineData("container")]
    [InlineData("docker")]
    public async Task A_container_pinned_and_limited_at_create_resizes_live_keeps_its_pid_and_a_restart_keeps_the_new_size(string technology)
    {
        TechnologyNames.TryParse(technology, out var tech).ShouldBeTrue();
        RequireAvailable(tech);
        if (tech == Technology.Container)
        {
            Assert.SkipUnless(Lab.Registry.Find(tech) is ContainerBackend c && c.Runtime("crun") is not null, "crun is not installed");
        }
        var all = $"0-{Environment.ProcessorCount - 1}";
        var r = await Lab.RunAsync(Yaml("rz" + technology, technology, "\n    cpuset: \"0\"\n    bandwidthMbps: 30"));
        var address = IPAddress.Parse(r.Address!);
        Lab.TcpConnect(address, 5201).ShouldBeNull();
        var pid = r.Facts.Process.ShouldNotBeNull().Pid;
        File.ReadAllText($"/proc/{pid}/status").ShouldContain("Cpus_allowed_list:\t0\n");
        Lab.Host.Lab.PortQdisc(r.Facts.HostLink!).ShouldBe("tbf");

        var resized = await Lab.Instances.ResizeAsync(r.Id, new ResourceChange(Vcpus: 2, MemoryMiB: 80, Pids: 90, CpuSet: all));
        var limits = Limits(resized);
        limits.Quota.ShouldBe("200000");
        limits.Memory.ShouldBe((80 * MiB).ToString(System.Globalization.CultureInfo.InvariantCulture));
        limits.Pids.ShouldBe("90");
        limits.CpuSet.ShouldBe(all);
        resized.Facts.Process.ShouldNotBeNull().Pid.ShouldBe(pid);
        File.ReadAllText($"/proc/{pid}/status").ShouldContain($"Cpus_allowed_list:\t{all}\n");
        Lab.TcpConnect(address, 5201).ShouldBeNull();

        await Lab.Instances.StopAsync(r.Id);
        var restarted = await Lab.Instances.StartAsync(r.Id);
        Lab.TcpConnect(address, 5201).ShouldBeNull();
        var again = Limits(restarted);
        (again.Quota, again.Memory, again.Pids).ShouldBe((limits.Quota, limits.Memory, limits.Pids));
        Lab.Host.Lab.PortQdisc(r.Facts.HostLink!).ShouldBe("tbf");
        await Lab.Instances.RemoveAsync(r.Id);
    }

    [Fact]
    public async Task A_unikernel_under_the_process_tender_changes_its_cpu_quota_live_and_refuses_a_memory_change_with_the_reason()
    {
        RequireAvailable(Technology.Unikernel);
        Assert.SkipWhen(SptTender.Problem() is not null, SptTender.Problem() ?? "");
        var r = await Lab.RunAsync(Yaml("rzuk", "unikernel").Replace("technology: unikernel", "technology: unikernel\n  accel: process", StringComparison.Ordinal));
        var pid = r.Facts.Process.ShouldNotBeNull().Pid;
        Lab.TcpConnect(IPAddress.Parse(r.Address!), 5201).ShouldBeNull();

        var memory = await Should.ThrowAsync<LightNfvException>(() => Lab.Instances.ResizeAsync(r.Id, new ResourceChange(MemoryMiB: 128)));
        memory.Kind.ShouldBe(ErrorKind.Unavailable);
        memory.Message.ShouldStartWith("memoryMiB: a unikernel's memory is fixed");

        var resized = await Lab.Instances.ResizeAsync(r.Id, new ResourceChange(Vcpus: 2, BandwidthMbps: 50));
        Limits(resized).Quota.ShouldBe("200000");
        Lab.Host.Lab.PortQdisc(r.Facts.HostLink!).ShouldBe("tbf");
        HostState.IsGone(pid).ShouldBeFalse();
        Lab.TcpConnect(IPAddress.Parse(r.Address!), 5201).ShouldBeNull();
        await Lab.Instances.RemoveAsync(r.Id);
    }

    [Fact]
    public async Task A_vm_refuses_a_live_vcpu_or_memory_change_naming_the_field_and_the_way_to_change_it()
    {
        RequireRoot();
        var vm = Lab.Registry.Find(Technology.Tinyx).ShouldNotBeNull();
        var instance = new BackendInstance("0123456789ab", Technology.Tinyx, InstanceFacts.None, new VmState { Vcpus = 1, MemoryMiB = 256 });
        var e = await Should.ThrowAsync<LightNfvException>(() => vm.ResizeAsync(instance, new ResourceSpec(2, 256, 64), CancellationToken.None));
        e.Kind.ShouldBe(ErrorKind.Unavailable);
        e.Message.ShouldStartWith("vcpus: a tinyx guest's vCPUs and memory are fixed when QEMU starts it");
        e.Message.ShouldContain("only bandwidthMbps changes live");
        (await Should.ThrowAsync<LightNfvException>(() => vm.ResizeAsync(instance, new ResourceSpec(1, 512, 64), CancellationToken.None))).Message.ShouldStartWith("memoryMiB:");
        // A pin is refused at validation: QEMU has no cgroup of its own to pin.
        Should.Throw<DescriptorException>(() => vm.Validate(DescriptorParser.Parse(Yaml("vmpin", "tinyx", "\n    cpuset: \"0\"")).Spec)).Field.ShouldBe("spec.resources.cpuset");
    }
}
