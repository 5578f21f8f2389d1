using System.Diagnostics;
using System.Net;
using System.Text.Json;
using LightNfv.Backends.Process;
using LightNfv.Bench.Experiments;
using LightNfv.Host.UnixSockets;
using LightNfv.IntegrationTests.Infrastructure;
using static LightNfv.IntegrationTests.Infrastructure.DaemonApi;

namespace LightNfv.IntegrationTests.Server;

/// <summary>
/// The drills of issue 12 against a real `lightnfv serve`: a replica stopped with SIGSTOP (the kernel still completes
/// its handshakes) is healed by a new process and the stopped one is gone; a replica left failed by its heal budget
/// does not hold the next scale, which completes by replacing it, and a scale that cannot progress fails with its
/// reason instead of holding every other operation at 409. Times are reported in the output, never asserted.
/// </summary>
public sealed class LivenessTests(ITestOutputHelper output) : IntegrationTest(output)
{
    private const int SIGSTOP = 19, SIGCONT = 18;

    /// <summary>The iperf3 example's shape with a given probe and budget (probe budget: 2 x 500 ms + 200 ms).</summary>
    private static string Iperf3(string name, string probe, int budget) => Descriptors.Iperf3(name) + $"""

          health:
            probe: {probe}
            interval: 500ms
            timeout: 200ms
            failureThreshold: 2
            budget: {budget}
        """;

    private DaemonProcess StartDaemon(IReadOnlyDictionary<string, string>? extraEnvironment = null) => DaemonApi.StartDaemon(Lab, extraEnvironment);

    private static int? PidOf(JsonElement replica) => replica.TryGetProperty("pid", out var p) && p.ValueKind == JsonValueKind.Number ? p.GetInt32() : null;

    private static string StateOf(JsonElement replica) => replica.GetProperty("state").GetString()!;

    private async Task Teardown(HttpClient http, DaemonProcess daemon, string vnf)
    {
        var op = await Send(http, HttpMethod.Post, $"api/v1/vnfs/{vnf}/terminate");
        (await WaitOperation(http, op.GetProperty("id").GetString()!, TimeSpan.FromSeconds(60))).GetProperty("state").GetString().ShouldBe("completed");
        daemon.Stop();
        Lab.ReapSupervisorZombies();
    }

    [Fact]
    public async Task Stopped_vnf_is_healed_by_a_new_process_and_the_stopped_one_is_gone()
    {
        RequireRoot();
        using var daemon = StartDaemon();
        using var http = UnixHttp.Create(daemon.Socket);
        // The handshake probe alone passes for a stopped iperf3 (its kernel still answers): the heal must come from
        // the process state.
        await Send(http, HttpMethod.Post, "api/v1/descriptors", Iperf3("frozen", "tcp:5201", 10));
        var op = await Send(http, HttpMethod.Post, "api/v1/vnfs/frozen/instantiate", body: new { replicas = 1 });
        (await WaitOperation(http, op.GetProperty("id").GetString()!, TimeSpan.FromSeconds(30))).GetProperty("state").GetString().ShouldBe("completed");
        var before = (await Replicas(http, "frozen")).Single();
        var pid = PidOf(before).ShouldNotBeNull();
        var address = IPAddress.Parse(before.GetProperty("address").GetString()!);
        Lab.WaitForTcp(address, 5201).ShouldBeTrue();
        var startTicks = StartTicks(pid).ShouldNotBeNull();

        var sw = Stopwatch.StartNew();
        Native.kill(pid, SIGSTOP).ShouldBe(0);
        try
        {
            var after = before;
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            while (DateTime.UtcNow < deadline && (PidOf(after) is not { } p || p == pid || StateOf(after) != "running"))
            {
                await Task.Delay(50);
                after = (await Replicas(http, "frozen")).Single();
            }
            var healedMs = sw.Elapsed.TotalMilliseconds;
            PidOf(after).ShouldNotBeNull().ShouldNotBe(pid, "a stopped VNF is replaced by a new process");
            after.GetProperty("id").GetString().ShouldBe(before.GetProperty("id").GetString(), "restart heals in place");
            Lab.TcpConnect(address, 5201, TimeSpan.FromSeconds(10)).ShouldBeNull("the new process answers");
            Output.WriteLine($"SIGSTOP to a new running pid: {healedMs:0} ms (probe budget 2 x 500 ms + 200 ms, plus the restart)");

            // The stopped process is gone, not left stopped beside the new one.
            Poll.Until(() => StartTicks(pid) != startTicks, TimeSpan.FromSeconds(10)).ShouldBeTrue($"stopped process {pid} still exists after the heal");

            var alerts = (await Send(http, HttpMethod.Get, "api/v1/alerts")).EnumerateArray().ToList();
            alerts.ShouldContain(a => a.GetProperty("notificationType").GetString() == "instance.failed" && a.GetProperty("message").GetString()!.Contains("stopped"));
            alerts.ShouldContain(a => a.GetProperty("notificationType").GetString() == "instance.healed");
        }
        finally
        {
            if (StartTicks(pid) == startTicks)
            {
                // Failed test: never leave a stopped process behind.
                Native.kill(pid, SIGCONT);
                Native.kill(pid, Native.SIGKILL);
            }
        }
        await Teardown(http, daemon, "frozen");
    }

    [Fact]
    public async Task Hung_vnf_that_accepts_but_never_answers_is_healed_by_the_answer_probe()
    {
        RequireRoot();
        using var daemon = StartDaemon();
        using var http = UnixHttp.Create(daemon.Socket);
        // An echo server whose connections hang (accepted, never answered, process running) while the marker exists:
        // what a deadlocked VNF looks like from outside. Its handshakes and its process state are fine.
        // The marker sits in the VNF's own state directory: the only host directory a process VNF sees besides the
        // read-only tree (the platform's state directory is root's only, and its /tmp is private).
        var script = $"exec busybox nc -ll -p 7 -e busybox sh -c 'if [ -e {ProcessBackend.StateDirectoryInside}/hang ]; then exec sleep 1000; fi; exec cat'";
        await Send(http, HttpMethod.Post, "api/v1/descriptors", Descriptors.Command("hung", ["busybox", "sh", "-c", script]) + """

              network:
                ports: [7]
              health:
                probe: {tcp: 7, send: "ping\n", expect: ping}
                interval: 500ms
                timeout: 300ms
                failureThreshold: 2
                budget: 20
            """);
        var op = await Send(http, HttpMethod.Post, "api/v1/vnfs/hung/instantiate", body: new { replicas = 1 });
        (await WaitOperation(http, op.GetProperty("id").GetString()!, TimeSpan.FromSeconds(30))).GetProperty("state").GetString().ShouldBe("completed");
        var before = (await Replicas(http, "hung")).Single();
        var pid = PidOf(before).ShouldNotBeNull();
        var startTicks = StartTicks(pid).ShouldNotBeNull();
        var marker = Path.Combine(ProcessBackend.StateDirectory(Lab.RunDirectory(before.GetProperty("id").GetString()!)), "hang");

        var sw = Stopwatch.StartNew();
        await File.WriteAllTextAsync(marker, "");
        var healed = false;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!healed && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
            healed = (await Send(http, HttpMethod.Get, "api/v1/alerts")).EnumerateArray()
                .Any(a => a.GetProperty("notificationType").GetString() == "instance.healed");
        }
        Output.WriteLine($"hang to heal: {sw.Elapsed.TotalMilliseconds:0} ms (probe budget 2 x 500 ms + 300 ms, plus the restart)");
        File.Delete(marker);
        healed.ShouldBeTrue("the hung replica is healed");
        var failed = (await Send(http, HttpMethod.Get, "api/v1/alerts")).EnumerateArray()
            .First(a => a.GetProperty("notificationType").GetString() == "instance.failed").GetProperty("message").GetString()!;
        Output.WriteLine($"reason: {failed}");
        failed.ShouldContain("no answer");

        Poll.Until(() => StartTicks(pid) != startTicks, TimeSpan.FromSeconds(10)).ShouldBeTrue($"hung process {pid} still exists after the heal");
        var after = (await Replicas(http, "hung")).Single();
        deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (DateTime.UtcNow < deadline && (StateOf(after) != "running" || PidOf(after) is null || PidOf(after) == pid))
        {
            await Task.Delay(100);
            after = (await Replicas(http, "hung")).Single();
        }
        StateOf(after).ShouldBe("running");
        Lab.TcpConnect(IPAddress.Parse(after.GetProperty("address").GetString()!), 7, TimeSpan.FromSeconds(10)).ShouldBeNull("the healed echo answers");
        await Teardown(http, daemon, "hung");
    }

    [Fact]
    public async Task Frozen_replica_is_held_not_healed_and_answers_again_when_thawed()
    {
        RequireRoot();
        var freezerRoot = LightNfv.Host.Cgroups.MountInfo.Read()
            .FirstOrDefault(m => m.FsType == "cgroup" && m.Root == "/" && m.SuperOptionList.Contains("freezer"))?.MountPoint;
        Assert.SkipWhen(freezerRoot is null, "needs a cgroup v1 freezer hierarchy (this test freezes through it)");
        using var daemon = StartDaemon();
        using var http = UnixHttp.Create(daemon.Socket);
        // The answer probe would fail for a frozen iperf3 (it accepts nothing), so only the hold keeps it from a heal.
        await Send(http, HttpMethod.Post, "api/v1/descriptors", Iperf3("cold", "{tcp: 5201}", 10));
        var op = await Send(http, HttpMethod.Post, "api/v1/vnfs/cold/instantiate", body: new { replicas = 1 });
        (await WaitOperation(http, op.GetProperty("id").GetString()!, TimeSpan.FromSeconds(30))).GetProperty("state").GetString().ShouldBe("completed");
        var replica = (await Replicas(http, "cold")).Single();
        var id = replica.GetProperty("id").GetString()!;
        var pid = PidOf(replica).ShouldNotBeNull();
        var address = IPAddress.Parse(replica.GetProperty("address").GetString()!);

        // Freeze it the way a quarantine would: its processes in a freezer cgroup of the same path, FROZEN.
        var parent = Path.Combine(freezerRoot!, Lab.CgroupParent);
        var freezer = Path.Combine(freezerRoot!, Lab.CgroupPath(id));
        Directory.CreateDirectory(freezer);
        try
        {
            var memoryProcs = Path.Combine("/sys/fs/cgroup/memory", Lab.CgroupPath(id), "cgroup.procs");
            foreach (var p in File.ReadAllLines(memoryProcs).Where(l => l.Length > 0))
            {
                File.WriteAllText(Path.Combine(freezer, "cgroup.procs"), p);
            }
            File.WriteAllText(Path.Combine(freezer, "freezer.state"), "FROZEN");
            Poll.Until(() => File.ReadAllText(Path.Combine(freezer, "freezer.state")).Trim() == "FROZEN", TimeSpan.FromSeconds(10)).ShouldBeTrue();

            // Three probe budgets (3 x (2 x 500 ms + 200 ms)): long enough for several heals were it judged.
            await Task.Delay(TimeSpan.FromSeconds(3.6));
            var alerts = (await Send(http, HttpMethod.Get, "api/v1/alerts")).EnumerateArray().ToList();
            alerts.ShouldNotContain(a => a.GetProperty("notificationType").GetString() == "instance.failed", "a frozen replica is held, not healed");
            var held = (await Replicas(http, "cold")).Single();
            StateOf(held).ShouldBe("running");
            PidOf(held).ShouldBe(pid);

            File.WriteAllText(Path.Combine(freezer, "freezer.state"), "THAWED");
            Lab.TcpConnect(address, 5201, TimeSpan.FromSeconds(10)).ShouldBeNull("thawed, it answers");
            await Task.Delay(TimeSpan.FromSeconds(1.2)); // one more probe budget: thawing is not counted against it
            (await Send(http, HttpMethod.Get, "api/v1/alerts")).EnumerateArray()
                .ShouldNotContain(a => a.GetProperty("notificationType").GetString() == "instance.failed");
            PidOf((await Replicas(http, "cold")).Single()).ShouldBe(pid);
        }
        finally
        {
            // Whatever happened: thawed, its processes back in the freezer's root, the directories removed.
            File.WriteAllText(Path.Combine(freezer, "freezer.state"), "THAWED");
            foreach (var p in File.ReadAllLines(Path.Combine(freezer, "cgroup.procs")).Where(l => l.Length > 0))
            {
                File.WriteAllText(Path.Combine(freezerRoot!, "cgroup.procs"), p);
            }
            Directory.Delete(freezer);
            Directory.Delete(parent);
        }
        await Teardown(http, daemon, "cold");
    }

    [Fact]
    public async Task Replica_failed_beyond_its_heal_budget_does_not_block_a_scale()
    {
        RequireRoot();
        using var daemon = StartDaemon();
        using var http = UnixHttp.Create(daemon.Socket);
        // Budget 0: the first heal is already over budget, so a kill -9 leaves the replica failed.
        await Send(http, HttpMethod.Post, "api/v1/descriptors", Iperf3("broke", "tcp:5201", 0));
        var op = await Send(http, HttpMethod.Post, "api/v1/vnfs/broke/instantiate", body: new { replicas = 1 });
        (await WaitOperation(http, op.GetProperty("id").GetString()!, TimeSpan.FromSeconds(30))).GetProperty("state").GetString().ShouldBe("completed");
        var failed = (await Replicas(http, "broke")).Single();
        Native.kill(PidOf(failed).ShouldNotBeNull(), Native.SIGKILL).ShouldBe(0);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (DateTime.UtcNow < deadline && StateOf(failed) != "failed")
        {
            await Task.Delay(50);
            failed = (await Replicas(http, "broke")).Single();
        }
        StateOf(failed).ShouldBe("failed", "budget 0 leaves the killed replica failed");

        var sw = Stopwatch.StartNew();
        var scale = await Send(http, HttpMethod.Post, "api/v1/vnfs/broke/scale", body: new { replicas = 2 });
        var done = await WaitOperation(http, scale.GetProperty("id").GetString()!, TimeSpan.FromSeconds(120));
        Output.WriteLine($"scale 1 (failed) -> 2: {done.GetProperty("state").GetString()} in {sw.Elapsed.TotalMilliseconds:0} ms");
        done.GetProperty("state").GetString().ShouldBe("completed", done.ToString());
        var replicas = await Replicas(http, "broke");
        replicas.Count.ShouldBe(2);
        replicas.ShouldAllBe(r => StateOf(r) == "running");
        replicas.ShouldNotContain(r => r.GetProperty("id").GetString() == failed.GetProperty("id").GetString(), "the failed replica is replaced");
        foreach (var r in replicas)
        {
            Lab.TcpConnect(IPAddress.Parse(r.GetProperty("address").GetString()!), 5201, TimeSpan.FromSeconds(10)).ShouldBeNull();
        }

        // Another operation is accepted at once: nothing holds the VNF.
        var (status, body) = await Call(http, HttpMethod.Post, "api/v1/vnfs/broke/scale", body: new { replicas = 1 });
        status.ShouldBe(202, body.ToString());
        (await WaitOperation(http, body.GetProperty("id").GetString()!, TimeSpan.FromSeconds(60))).GetProperty("state").GetString().ShouldBe("completed");
        await Teardown(http, daemon, "broke");
    }

    [Fact]
    public async Task Scale_that_cannot_progress_fails_with_its_reason_within_its_bound_and_frees_the_vnf()
    {
        RequireRoot();
        // A short bound for scales (LIGHTNFV_OPERATION_TIMEOUT), so the test does not wait out the default.
        using var daemon = StartDaemon(new Dictionary<string, string> { ["LIGHTNFV_OPERATION_TIMEOUT"] = "scale=5s" });
        using var http = UnixHttp.Create(daemon.Socket);
        await Send(http, HttpMethod.Post, "api/v1/descriptors", Iperf3("held", "tcp:5201", 10));
        var op = await Send(http, HttpMethod.Post, "api/v1/vnfs/held/instantiate", body: new { replicas = 1 });
        (await WaitOperation(http, op.GetProperty("id").GetString()!, TimeSpan.FromSeconds(30))).GetProperty("state").GetString().ShouldBe("completed");
        // The operator stops the replica by hand (`lightnfv stop ID`): the daemon neither heals nor replaces it, so a
        // scale can never see every replica running.
        var stopped = (await Replicas(http, "held")).Single().GetProperty("id").GetString()!;
        await Lab.Instances.StopAsync(stopped, TimeSpan.Zero);

        var sw = Stopwatch.StartNew();
        var scale = await Send(http, HttpMethod.Post, "api/v1/vnfs/held/scale", body: new { replicas = 2 });
        var done = await WaitOperation(http, scale.GetProperty("id").GetString()!, TimeSpan.FromSeconds(120));
        Output.WriteLine($"scale that cannot complete: {done.GetProperty("state").GetString()} after {sw.Elapsed.TotalMilliseconds:0} ms: {done.GetProperty("error")}");
        done.GetProperty("state").GetString().ShouldBe("failed");
        var error = done.GetProperty("error").GetString().ShouldNotBeNull();
        error.ShouldContain("did not complete within 5 s");
        error.ShouldContain("stopped", customMessage: "the reason names the replica that holds it");

        // The VNF is not held: the operator's next operation is accepted and completes.
        var (status, body) = await Call(http, HttpMethod.Post, "api/v1/vnfs/held/terminate");
        status.ShouldBe(202, body.ToString());
        (await WaitOperation(http, body.GetProperty("id").GetString()!, TimeSpan.FromSeconds(60))).GetProperty("state").GetString().ShouldBe("completed");
        daemon.Stop();
        Lab.ReapSupervisorZombies();
    }

    /// <summary>Start time of a live process (field 22 of /proc/PID/stat), null when it is gone or a zombie.</summary>
    private static ulong? StartTicks(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return fields[0] == "Z" ? null : ulong.Parse(fields[19], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return null;
        }
    }
}
