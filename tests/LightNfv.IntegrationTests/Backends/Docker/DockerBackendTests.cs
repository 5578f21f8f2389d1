using System.Net;
using System.Text.RegularExpressions;
using LightNfv.Backends.Docker;
using LightNfv.Core.Backends;
using LightNfv.Core.Descriptors;
using LightNfv.Host.Namespaces;
using LightNfv.Host.Processes;
using LightNfv.IntegrationTests.Infrastructure;

namespace LightNfv.IntegrationTests.Backends.Docker;

/// <summary>
/// The docker backend with the real dockerd: a private daemon started in the lab namespace on first use, the image
/// imported from the VNF's rootfs, the container's namespace plugged into the lab, and `down` taking all of it back.
/// Each test has its own lab, so each pays for one dockerd start (about a second).
/// </summary>
public sealed partial class DockerBackendTests(ITestOutputHelper output) : IntegrationTest(output)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    private static string Yaml(string name, string app, int memoryMiB = 64, string caps = "") =>
        Descriptors.Image("docker", name, app, null, memoryMiB, caps);

    private const string Iperf3App = Descriptors.Iperf3App;

    private static string Shell(string script) => Descriptors.Shell(script);

    private DockerBackend Backend => (DockerBackend)Lab.Registry.Find(Technology.Docker)!;

    private void RequireDocker() => RequireAvailable(Technology.Docker);

    /// <summary>Whether the tests run on a private dockerd (no host daemon answers): only then can they check its shutdown.</summary>
    private bool UsesPrivateDaemon => Backend.Daemon.RunningPrivate() is not null;

    [Fact]
    public async Task Iperf3_in_docker_answers_iperf3_from_the_lab_and_down_leaves_nothing()
    {
        RequireDocker();
        var runDirectoriesBefore = DockerDaemon.RunDirectories.Where(Directory.Exists).ToList();
        var record = await Lab.RunAsync(Yaml("dock", Iperf3App));
        var address = IPAddress.Parse(record.Address!);
        Lab.TcpConnect(address, 5201).ShouldBeNull();

        var run = HostState.Run("nsenter", [$"--net={NetNamespace.PathOf(Lab.LabName)}", "iperf3", "-c", address.ToString(), "-t", "1", "-J"], timeout: TimeSpan.FromSeconds(20));
        run.ExitCode.ShouldBe(0, run.Stderr);
        run.Stdout.ShouldContain("bits_per_second");

        var view = Lab.Instances.Inspect(record.Id);
        view.Observation!.State.ShouldBe(ObservedState.Running);
        DockerState.Of(view.Record.AsBackendInstance()).ContainerName.ShouldBe($"lightnfv-{record.Id}");
        var image = view.Record.Facts.Image.ShouldNotBeNull();
        image.Reference.ShouldNotBeNull().ShouldStartWith("lightnfv/vnf:");
        image.TarGzBytes.ShouldNotBeNull().ShouldBeLessThan(5_000_000);
        image.Bytes.ShouldNotBeNull().ShouldBeGreaterThan(0);
        // Docker applied the descriptor's limits to a cgroup below the lab's parent, and the stats read it.
        var cgroup = view.Record.Facts.Cgroup.ShouldNotBeNull();
        cgroup.ShouldStartWith($"{Lab.CgroupParent}/docker/");
        HostState.ReadNumber(HostState.CgroupFile("memory", cgroup, HostState.IsCgroupV1 ? "memory.limit_in_bytes" : "memory.max")).ShouldBe((ulong)(64L << 20));
        view.Stats!.MemoryLimitBytes.ShouldBe((ulong)(64L << 20));
        view.Stats.MemoryBytes.ShouldBeGreaterThan(0UL);
        var pid = view.Observation.Pid!.Value;
        HostState.NamespaceOf(pid, "pid").ShouldNotBe(HostState.NamespaceOf(Environment.ProcessId, "pid"));
        // The instance's namespace is the container's own, pinned where every backend's is.
        new FileInfo(NetNamespace.PathOf(Lab.InstanceNamespace(record.Id))).Exists.ShouldBeTrue();
        HostState.NamespaceOf(pid, "net").ShouldNotBe(HostState.NamespaceOf(Environment.ProcessId, "net"));

        if (!UsesPrivateDaemon)
        {
            Output.WriteLine("a host dockerd answers: the private daemon's shutdown is not exercised");
            return;
        }
        // The private daemon runs in the lab's network namespace, not the host's.
        var dockerd = Backend.Daemon.RunningPrivate()!.Value;
        HostState.NamespaceOf(dockerd.Pid, "net").ShouldBe(LabNamespaceLink());
        var daemonProcesses = HostState.ProcessesMentioning(Backend.Daemon.ExecRoot).Select(p => p.Pid).Append(dockerd.Pid).Distinct().ToList();
        Output.WriteLine($"daemon processes: {string.Join(", ", daemonProcesses.Select(p => $"{p} {HostState.Stat(p)?.Comm}"))}");
        daemonProcesses.Count.ShouldBeGreaterThanOrEqualTo(3); // dockerd, containerd, the shim

        var removed = await Lab.Instances.DownAsync();
        Output.WriteLine($"down: {string.Join(", ", removed)}");
        removed.ShouldContain(r => r.StartsWith("dockerd (pid", StringComparison.Ordinal));
        AssertNothingLeft(daemonProcesses, runDirectoriesBefore);
    }

    /// <summary>The lab namespace as /proc/PID/ns/net names it (net:[inode]).</summary>
    private string LabNamespaceLink() =>
        Lab.Host.Lab.RunInLab(() => new FileInfo("/proc/thread-self/ns/net").LinkTarget!);

    private void AssertNothingLeft(IReadOnlyList<int> daemonProcesses, IReadOnlyList<string> runDirectoriesBefore)
    {
        ReapDaemonZombies();
        foreach (var p in daemonProcesses)
        {
            Poll.Until(() => HostState.Stat(p) is null or { State: 'Z' }, Deadline).ShouldBeTrue($"pid {p} ({HostState.Cmdline(p)}) still runs");
        }
        HostState.ProcessesMentioning(Lab.StateDirectory).ShouldBeEmpty();
        HostState.ProcessesMentioning(Backend.Daemon.ExecRoot).ShouldBeEmpty();
        File.ReadAllLines("/proc/self/mountinfo")
            .Where(l => l.Contains(Lab.StateDirectory, StringComparison.Ordinal) || l.Contains(Backend.Daemon.ExecRoot, StringComparison.Ordinal))
            .ShouldBeEmpty();
        HostState.CgroupDirectories(Lab.CgroupParent).ShouldBeEmpty();
        NetNamespace.List(Lab.LabName).ShouldBeEmpty();
        Directory.Exists(Backend.Daemon.Root).ShouldBeFalse();
        Directory.Exists(Backend.Daemon.ExecRoot).ShouldBeFalse();
        foreach (var dir in DockerDaemon.RunDirectories.Except(runDirectoriesBefore))
        {
            Directory.Exists(dir).ShouldBeFalse($"{dir} was made by the private dockerd and should be gone");
        }
    }

    /// <summary>dockerd and shims started from this process (a subreaper) that `down` ended; the CLI leaves them to us.</summary>
    private static void ReapDaemonZombies()
    {
        foreach (var comm in new[] { "dockerd", "containerd", "containerd-shim" })
        {
            foreach (var z in HostState.ZombieChildren(comm))
            {
                Native.TryReap(z.Pid);
            }
        }
    }

    [Fact]
    public async Task Down_after_dockerd_was_killed_removes_containerd_shim_container_mounts_and_cgroups()
    {
        RequireDocker();
        var runDirectoriesBefore = DockerDaemon.RunDirectories.Where(Directory.Exists).ToList();
        var record = await Lab.RunAsync(Yaml("orphan", Iperf3App));
        Assert.SkipUnless(UsesPrivateDaemon, "a host dockerd answers, and this test kills the daemon");
        var vnf = Lab.Instances.Inspect(record.Id).Observation!.Pid!.Value;
        var dockerd = Backend.Daemon.RunningPrivate()!.Value;
        var daemonProcesses = HostState.ProcessesMentioning(Backend.Daemon.ExecRoot).Select(p => p.Pid).Append(dockerd.Pid).Append(vnf).Distinct().ToList();

        // A crash: dockerd dies, its containerd, the shim and the VNF keep running with their mounts.
        ProcessSignals.Send(dockerd, 9).ShouldBeTrue();
        ProcessSignals.WaitForExit(dockerd, Deadline).ShouldBeTrue();
        HostState.Stat(vnf).ShouldNotBeNull();
        File.ReadAllLines("/proc/self/mountinfo").ShouldContain(l => l.Contains(Backend.Daemon.DataRoot, StringComparison.Ordinal));

        var removed = await Lab.Instances.DownAsync();
        Output.WriteLine($"down: {string.Join(", ", removed)}");
        AssertNothingLeft(daemonProcesses, runDirectoriesBefore);
    }

    [Fact]
    public async Task Stop_and_start_run_the_container_again_at_the_same_address()
    {
        RequireDocker();
        var record = await Lab.RunAsync(Yaml("again", Iperf3App));
        var address = IPAddress.Parse(record.Address!);
        Lab.TcpConnect(address, 5201).ShouldBeNull();
        var firstPid = Lab.Instances.Inspect(record.Id).Observation!.Pid!.Value;

        await Lab.Instances.StopAsync(record.Id, TimeSpan.FromSeconds(2));
        Lab.Instances.Inspect(record.Id).Observation!.State.ShouldBe(ObservedState.Stopped);
        NetNamespace.Exists(Lab.InstanceNamespace(record.Id)).ShouldBeFalse();
        Poll.Until(() => HostState.Stat(firstPid) is null or { State: 'Z' }, Deadline).ShouldBeTrue();

        // Docker gives the container a new network namespace at every start; the platform plugs that one in.
        await Lab.Instances.StartAsync(record.Id);
        Lab.TcpConnect(address, 5201).ShouldBeNull();
        var view = Lab.Instances.Inspect(record.Id);
        view.Observation!.State.ShouldBe(ObservedState.Running);
        view.Observation.Pid.ShouldNotBe(firstPid);
    }

    [Fact]
    public async Task Remove_leaves_no_container_namespace_cgroup_or_run_directory()
    {
        RequireDocker();
        var record = await Lab.RunAsync(Yaml("gone", Iperf3App));
        var stored = Lab.Instances.Inspect(record.Id).Record;
        var data = DockerState.Of(stored.AsBackendInstance());
        var pid = Lab.Instances.Inspect(record.Id).Observation!.Pid!.Value;
        using var client = new EngineClient(data.DockerSocket!);
        (await client.InspectContainerAsync(data.Container!, CancellationToken.None)).ShouldNotBeNull();

        await Lab.Instances.RemoveAsync(record.Id);

        (await client.InspectContainerAsync(data.Container!, CancellationToken.None)).ShouldBeNull();
        // The image stays for the next instance: it is shared, and `down` removes it with the data root.
        (await client.InspectImageAsync(stored.Facts.Image!.Reference!, CancellationToken.None)).ShouldNotBeNull();
        NetNamespace.Exists(Lab.InstanceNamespace(record.Id)).ShouldBeFalse();
        HostState.CgroupDirectories(stored.Facts.Cgroup!).ShouldBeEmpty();
        Poll.Until(() => HostState.Stat(pid) is null or { State: 'Z' }, Deadline).ShouldBeTrue();
        Directory.Exists(Lab.RunDirectory(record.Id)).ShouldBeFalse();
    }

    [Fact]
    public async Task Capabilities_are_dropped_and_the_root_filesystem_is_read_only()
    {
        RequireDocker();
        var record = await Lab.RunAsync(Yaml("locked", Shell("grep CapEff /proc/self/status; touch /probe 2>&1; echo touch-rc=$?; touch /tmp/ok && echo tmp-rc=$?; sleep 30")));
        var data = DockerState.Of(Lab.Instances.Inspect(record.Id).Record.AsBackendInstance());
        using var client = new EngineClient(data.DockerSocket!);
        var text = "";
        Poll.Until(() => (text = client.LogsAsync(data.Container!, 50, CancellationToken.None).GetAwaiter().GetResult()).Contains("tmp-rc=", StringComparison.Ordinal), Deadline)
            .ShouldBeTrue(text);
        Output.WriteLine(text);
        text.ShouldContain("CapEff:\t0000000000000000");
        text.ShouldContain("Read-only file system");
        text.ShouldContain("tmp-rc=0");
        // `lightnfv logs` reads docker's json-file: the same lines, each with the time docker's shim gave it.
        var lines = new List<LightNfv.Host.Logs.LogLine>();
        await foreach (var l in Lab.Instances.ReadLogAsync(record.Id, new LightNfv.Host.Logs.LogQuery(), CancellationToken.None))
        {
            lines.Add(l);
        }
        lines.Select(l => l.Text).ShouldContain("tmp-rc=0");
        lines.ShouldAllBe(l => l.Time > DateTimeOffset.UtcNow.AddMinutes(-5) && l.Time <= DateTimeOffset.UtcNow);
    }

    [Fact]
    public async Task A_declared_capability_is_kept()
    {
        RequireDocker();
        var record = await Lab.RunAsync(Yaml("netadmin", Shell("grep CapEff /proc/self/status; sleep 30"), caps: "NET_ADMIN"));
        var data = DockerState.Of(Lab.Instances.Inspect(record.Id).Record.AsBackendInstance());
        using var client = new EngineClient(data.DockerSocket!);
        var text = "";
        Poll.Until(() => (text = client.LogsAsync(data.Container!, 50, CancellationToken.None).GetAwaiter().GetResult()).Contains("CapEff", StringComparison.Ordinal), Deadline)
            .ShouldBeTrue(text);
        // CAP_NET_ADMIN is bit 12.
        text.ShouldContain("CapEff:\t0000000000001000");
    }

    [GeneratedRegex(@"^(?<id>[0-9a-f]{12})  (?<address>\d+\.\d+\.\d+\.\d+)$")]
    private static partial Regex RunOutput();

    [Fact]
    public void The_daemon_outlives_the_cli_that_started_it_and_cli_down_stops_it()
    {
        RequireDocker();
        var runDirectoriesBefore = DockerDaemon.RunDirectories.Where(Directory.Exists).ToList();
        var descriptor = Path.Combine(Lab.StateDirectory, "docker.yaml");
        Directory.CreateDirectory(Lab.StateDirectory);
        File.WriteAllText(descriptor, Yaml("cli", Iperf3App));

        var run = Lightnfv("run", "-f", descriptor);
        run.ExitCode.ShouldBe(0, run.ToString());
        var m = RunOutput().Match(run.Stdout.Trim());
        m.Success.ShouldBeTrue(run.Stdout);
        Lab.TcpConnect(IPAddress.Parse(m.Groups["address"].Value), 5201).ShouldBeNull();

        // A later invocation finds the daemon by its record.
        var ps = Lightnfv("ps");
        ps.ExitCode.ShouldBe(0, ps.ToString());
        ps.Stdout.ShouldContain("running");
        var private_ = UsesPrivateDaemon;
        var daemonProcesses = HostState.ProcessesMentioning(Backend.Daemon.ExecRoot).Select(p => p.Pid).ToList();

        var down = Lightnfv("down");
        down.ExitCode.ShouldBe(0, down.ToString());
        if (private_)
        {
            down.Stdout.ShouldContain("dockerd (pid");
            AssertNothingLeft(daemonProcesses, runDirectoriesBefore);
        }
    }

    private HostState.CommandResult Lightnfv(params string[] args)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "lightnfv.dll");
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";
        var r = HostState.Run(dotnet, [dll, .. args], Lab.CliEnvironment, TimeSpan.FromSeconds(90));
        Output.WriteLine($"$ lightnfv {string.Join(' ', args)}  -> exit {r.ExitCode}\n{r.Stdout}{r.Stderr}");
        return r;
    }
}
