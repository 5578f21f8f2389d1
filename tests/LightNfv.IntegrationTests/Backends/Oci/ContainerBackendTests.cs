using System.Net;
using LightNfv.Backends.Oci;
using LightNfv.Core.Backends;
using LightNfv.Core.Descriptors;
using LightNfv.Host.Namespaces;
using LightNfv.IntegrationTests.Infrastructure;

namespace LightNfv.IntegrationTests.Backends.Oci;

/// <summary>The container backend with the real crun and runc: image built from the VNF, bundle written by LightNFV.</summary>
public sealed class ContainerBackendTests(ITestOutputHelper output) : IntegrationTest(output)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    private static string Yaml(string name, string runtime, string app, int memoryMiB = 64, string caps = "") =>
        Descriptors.Image("container", name, app, runtime, memoryMiB, caps);

    private const string Iperf3App = Descriptors.Iperf3App;

    private static string Shell(string script) => Descriptors.Shell(script);

    /// <summary>Skips the test when this host lacks the runtime.</summary>
    private void RequireRuntime(string runtime)
    {
        RequireRoot();
        Assert.SkipUnless(Lab.Registry.Find(Technology.Container) is ContainerBackend c && c.Runtime(runtime) is not null, $"{runtime} is not installed");
    }

    [Theory]
    [InlineData("crun")]
    [InlineData("runc")]
    public async Task Iperf3_container_answers_over_tcp_and_iperf3_from_the_lab(string runtime)
    {
        RequireRuntime(runtime);
        var record = await Lab.RunAsync(Yaml("ctr-" + runtime, runtime, Iperf3App));
        var address = IPAddress.Parse(record.Address!);
        Lab.TcpConnect(address, 5201).ShouldBeNull();

        var run = HostState.Run("nsenter", [$"--net={NetNamespace.PathOf(Lab.LabName)}", "iperf3", "-c", address.ToString(), "-t", "1", "-J"], timeout: TimeSpan.FromSeconds(20));
        run.ExitCode.ShouldBe(0, run.Stderr);
        run.Stdout.ShouldContain("bits_per_second");

        var view = Lab.Instances.Inspect(record.Id);
        view.Observation!.State.ShouldBe(ObservedState.Running);
        ContainerState.Of(view.Record.AsBackendInstance()).Runtime.ShouldBe(runtime);
        // The runtime applied the descriptor's limits to the cgroup LightNFV named.
        File.ReadAllText($"/sys/fs/cgroup/memory/{Lab.CgroupPath(record.Id)}/memory.limit_in_bytes").Trim().ShouldBe((64L << 20).ToString(System.Globalization.CultureInfo.InvariantCulture));
        HostState.NamespaceOf(view.Observation.Pid!.Value, "pid").ShouldNotBe(HostState.NamespaceOf(Environment.ProcessId, "pid"));
        view.Record.Facts.Image!.TarGzBytes.ShouldNotBeNull().ShouldBeLessThan(5_000_000);
    }

    [Fact]
    public async Task Seccomp_blocks_unshare_even_with_CAP_SYS_ADMIN()
    {
        RequireRuntime("crun");
        // With CAP_SYS_ADMIN granted, only the seccomp profile can refuse unshare(CLONE_NEWNET).
        var record = await Lab.RunAsync(Yaml("seccomp", "crun", Shell("busybox unshare -n true; echo unshare-rc=$?; sleep 30"), caps: "SYS_ADMIN"));
        var log = Lab.ConsoleLog(record.Id);
        Poll.Until(() => File.Exists(log) && File.ReadAllText(log).Contains("unshare-rc=", StringComparison.Ordinal), Deadline).ShouldBeTrue();
        var text = File.ReadAllText(log);
        Output.WriteLine(text);
        text.ShouldContain("Operation not permitted");
        text.ShouldNotContain("unshare-rc=0");
    }

    [Fact]
    public async Task Capabilities_are_dropped_and_the_root_filesystem_is_read_only()
    {
        RequireRuntime("crun");
        var record = await Lab.RunAsync(Yaml("locked", "crun", Shell("grep CapEff /proc/self/status; touch /probe 2>&1; echo touch-rc=$?; sleep 30")));
        var log = Lab.ConsoleLog(record.Id);
        Poll.Until(() => File.Exists(log) && File.ReadAllText(log).Contains("touch-rc=", StringComparison.Ordinal), Deadline).ShouldBeTrue();
        var text = File.ReadAllText(log);
        Output.WriteLine(text);
        text.ShouldContain("CapEff:\t0000000000000000");
        text.ShouldContain("Read-only file system");
    }

    [Fact]
    public async Task Remove_leaves_no_container_namespace_cgroup_or_process()
    {
        RequireRuntime("crun");
        var record = await Lab.RunAsync(Yaml("gone", "crun", Iperf3App));
        var pid = Lab.Instances.Inspect(record.Id).Observation!.Pid!.Value;
        var runtimeState = Path.Combine(Lab.StateDirectory, "runtime", "crun", record.Id);
        Directory.Exists(runtimeState).ShouldBeTrue();

        await Lab.Instances.RemoveAsync(record.Id);

        Directory.Exists(runtimeState).ShouldBeFalse();
        NetNamespace.Exists(Lab.InstanceNamespace(record.Id)).ShouldBeFalse();
        HostState.CgroupDirectories(Lab.CgroupPath(record.Id)).ShouldBeEmpty();
        Poll.Until(() => HostState.Stat(pid) is null or { State: 'Z' }, Deadline).ShouldBeTrue();
        Directory.Exists(Lab.RunDirectory(record.Id)).ShouldBeFalse();
    }

    [Fact]
    public async Task A_runtime_that_fails_to_start_leaves_nothing_behind()
    {
        RequireRuntime("runc");
        // A file where runc's state directory goes: the start fails after the namespace, veth and bundle were made.
        var root = Path.Combine(Lab.StateDirectory, "runtime", "runc");
        Directory.CreateDirectory(Path.GetDirectoryName(root)!);
        if (Directory.Exists(root))
        {
            Directory.Delete(root, recursive: true);
        }
        File.WriteAllText(root, "in the way");
        try
        {
            await Should.ThrowAsync<IOException>(() => Lab.RunAsync(Yaml("broken", "runc", Iperf3App)));

            Lab.Instances.List().ShouldBeEmpty();
            HostState.LabLinks(Lab.LabName).ShouldNotContain(": lnfv", Case.Sensitive, "no instance veth left on the bridge");
            Directory.GetFiles("/run/netns").ShouldNotContain(f => Path.GetFileName(f).StartsWith(Lab.LabName + "-", StringComparison.Ordinal));
            Directory.EnumerateDirectories(Path.Combine(Lab.StateDirectory, "instances")).ShouldBeEmpty();
        }
        finally
        {
            File.Delete(root);
        }
    }

    [Fact]
    public async Task Stop_and_start_run_the_container_again_at_the_same_address()
    {
        RequireRuntime("crun");
        var record = await Lab.RunAsync(Yaml("again", "crun", Iperf3App));
        var address = IPAddress.Parse(record.Address!);
        await Lab.Instances.StopAsync(record.Id, TimeSpan.FromSeconds(2));
        Lab.Instances.Inspect(record.Id).Observation!.State.ShouldBe(ObservedState.Stopped);
        await Lab.Instances.StartAsync(record.Id);
        Lab.TcpConnect(address, 5201).ShouldBeNull();
    }
}
