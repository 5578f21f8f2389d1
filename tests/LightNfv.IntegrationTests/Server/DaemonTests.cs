using System.Diagnostics;
using System.Net;
using System.Text.Json;
using LightNfv.Bench.Experiments;
using LightNfv.Core.Descriptors;
using LightNfv.Host.Namespaces;
using LightNfv.Host.Network;
using LightNfv.Host.Probes;
using LightNfv.Host.UnixSockets;
using LightNfv.IntegrationTests.Infrastructure;
using LightNfv.Platform.Control;
using LightNfv.Platform.Store;
using static LightNfv.IntegrationTests.Infrastructure.DaemonApi;

namespace LightNfv.IntegrationTests.Server;

/// <summary>
/// End to end against a real `lightnfv serve` process on the test's private lab: healing after kill -9, kill -9 of
/// the daemon in the middle of a scale-out, a scaling policy under synthetic load, webhooks, a rolling update.
/// Each test stops its daemon (after terminating its VNFs) before the fixture's `down` and leftover checks.
/// </summary>
public sealed class DaemonTests(ITestOutputHelper output) : IntegrationTest(output)
{
    private static string Iperf3(string name, int memoryMiB = 64, string extra = "") => Descriptors.Iperf3(name, memoryMiB: memoryMiB) + $"""

          health:
            probe: tcp:5201
            interval: 500ms
            timeout: 200ms
            failureThreshold: 2
            budget: 20
        {extra}
        """;

    private DaemonProcess StartDaemon() => DaemonApi.StartDaemon(Lab);

    private static async Task<string> WaitOperation(HttpClient http, string id, TimeSpan timeout) =>
        (await DaemonApi.WaitOperation(http, id, timeout)).GetProperty("state").GetString()!;

    private static async Task<List<JsonElement>> Alerts(HttpClient http) => (await Send(http, HttpMethod.Get, "api/v1/alerts")).EnumerateArray().ToList();

    private async Task Teardown(HttpClient http, DaemonProcess daemon, params string[] vnfs)
    {
        foreach (var v in vnfs)
        {
            var op = await Send(http, HttpMethod.Post, $"api/v1/vnfs/{v}/terminate");
            (await WaitOperation(http, op.GetProperty("id").GetString()!, TimeSpan.FromSeconds(60))).ShouldBe("completed");
        }
        daemon.Stop();
        Lab.ReapSupervisorZombies();
    }

    [Fact]
    public async Task Killed_vnf_is_healed_and_a_webhook_arrives()
    {
        RequireRoot();
        using var listener = new HttpListener();
        var port = Random.Shared.Next(20000, 40000);
        listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        listener.Start();
        using var daemon = StartDaemon();
        using var http = UnixHttp.Create(daemon.Socket);
        // The daemon checks a callback before subscribing it: a GET that must answer 204.
        var check = Task.Run(async () =>
        {
            var c = await listener.GetContextAsync();
            c.Response.StatusCode = 204;
            c.Response.Close();
        });
        await Send(http, HttpMethod.Post, "api/v1/subscriptions", body: new { callbackUri = $"http://127.0.0.1:{port}/hook", filter = new { notificationTypes = new[] { "instance.healed" } } });
        await check;
        await Send(http, HttpMethod.Post, "api/v1/descriptors", Iperf3("web"));
        var op = await Send(http, HttpMethod.Post, "api/v1/vnfs/web/instantiate", body: new { replicas = 1 });
        (await WaitOperation(http, op.GetProperty("id").GetString()!, TimeSpan.FromSeconds(30))).ShouldBe("completed");
        var before = (await Replicas(http, "web")).Single();
        var pid = before.GetProperty("pid").GetInt32();
        var address = IPAddress.Parse(before.GetProperty("address").GetString()!);
        Lab.WaitForTcp(address, 5201).ShouldBeTrue();

        Process.GetProcessById(pid).Kill();
        // Probe budget: failureThreshold 2 x interval 500 ms (the pidfd sees the exit sooner); allow generous slack on a shared machine.
        var probe = TcpReadinessProbe.WaitForAnswer(Lab.Host.Lab, address, 5201, Stopwatch.GetTimestamp(), TimeSpan.FromSeconds(10));
        probe.Ready.ShouldBeTrue("the VNF should answer again after kill -9");
        // The new process may answer a moment before its pid is recorded (until then the replica has no pid, or the old one).
        static int? PidOf(JsonElement replica) => replica.TryGetProperty("pid", out var p) && p.ValueKind == JsonValueKind.Number ? p.GetInt32() : null;
        var after = (await Replicas(http, "web")).Single();
        for (var i = 0; i < 100 && (PidOf(after) ?? pid) == pid; i++)
        {
            await Task.Delay(50);
            after = (await Replicas(http, "web")).Single();
        }
        after.GetProperty("id").GetString().ShouldBe(before.GetProperty("id").GetString(), "restart heals in place");
        PidOf(after).ShouldNotBeNull().ShouldNotBe(pid);

        var alerts = await Alerts(http);
        alerts.ShouldContain(a => a.GetProperty("notificationType").GetString() == "instance.failed");
        alerts.ShouldContain(a => a.GetProperty("notificationType").GetString() == "instance.healed");
        var ops = (await Send(http, HttpMethod.Get, "api/v1/operations")).EnumerateArray().ToList();
        ops.ShouldContain(o => o.GetProperty("kind").GetString() == "heal" && o.GetProperty("state").GetString() == "completed");

        var ctx = await listener.GetContextAsync().WaitAsync(TimeSpan.FromSeconds(30));
        using (var reader = new StreamReader(ctx.Request.InputStream))
        {
            var body = await reader.ReadToEndAsync();
            body.ShouldContain("instance.healed");
        }
        ctx.Response.StatusCode = 204;
        ctx.Response.Close();
        await Teardown(http, daemon, "web");
    }

    [Fact]
    public async Task Daemon_killed_mid_scale_out_converges_without_loss_duplicate_or_leak()
    {
        RequireRoot();
        var daemon = StartDaemon();
        var http = UnixHttp.Create(daemon.Socket);
        try
        {
            await Send(http, HttpMethod.Post, "api/v1/descriptors", Iperf3("fleet"));
            var inst = await Send(http, HttpMethod.Post, "api/v1/vnfs/fleet/instantiate", body: new { replicas = 1 });
            (await WaitOperation(http, inst.GetProperty("id").GetString()!, TimeSpan.FromSeconds(30))).ShouldBe("completed");
            var scale = await Send(http, HttpMethod.Post, "api/v1/vnfs/fleet/scale", body: new { replicas = 8 });
            var scaleId = scale.GetProperty("id").GetString()!;
            // Kill once the scale-out is under way (a second replica exists), not before it started or after it ended.
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
            while ((await Replicas(http, "fleet")).Count < 2 && DateTime.UtcNow < deadline)
            {
                await Task.Delay(1);
            }
            daemon.Kill();
            http.Dispose();
            var midway = Lab.Store.List().Count(r => r.Deployment == "fleet");
            Output.WriteLine($"daemon killed with {midway} replica record(s)");

            daemon.Dispose();
            daemon = StartDaemon();
            http = UnixHttp.Create(daemon.Socket);
            (await WaitOperation(http, scaleId, TimeSpan.FromSeconds(60))).ShouldBe("completed");
            var replicas = await Replicas(http, "fleet");
            replicas.Count.ShouldBe(8);
            replicas.Select(r => r.GetProperty("id").GetString()).Distinct().Count().ShouldBe(8);
            replicas.Select(r => r.GetProperty("address").GetString()).Distinct().Count().ShouldBe(8);
            replicas.ShouldAllBe(r => r.GetProperty("state").GetString() == "running");
            foreach (var r in replicas)
            {
                File.Exists($"/proc/{r.GetProperty("pid").GetInt32()}/stat").ShouldBeTrue();
            }
            // Nothing on the host without a record: instance namespaces and cgroups are exactly the replicas.
            var ids = replicas.Select(r => r.GetProperty("id").GetString()!).ToHashSet();
            var prefix = LabNetwork.InstancePrefix(Lab.LabName);
            NetNamespace.List(prefix).Select(n => n[prefix.Length..]).ToHashSet().SetEquals(ids).ShouldBeTrue();
            Lab.Host.Cgroups.ListChildren(Lab.CgroupParent).ToHashSet().SetEquals(ids).ShouldBeTrue();
            (await Send(http, HttpMethod.Get, "api/v1/descriptors/fleet")).GetProperty("version").GetInt32().ShouldBe(1);
            await Teardown(http, daemon, "fleet");
        }
        finally
        {
            http.Dispose();
            daemon.Dispose();
        }
    }

    [Fact]
    public async Task Scaling_policy_scales_out_under_load_and_back_in_after_cooldown()
    {
        RequireRoot();
        using var daemon = StartDaemon();
        using var http = UnixHttp.Create(daemon.Socket);
        // Synthetic load: busy for a few seconds after start, then idle.
        const string burn = "end=$(( $(date +%s) + 6 )); while [ $(date +%s) -lt $end ]; do :; done; exec sleep 3600";
        var yaml = $"""
            apiVersion: lightnfv/v1
            kind: Vnf
            metadata:
              name: burner
            spec:
              technology: process
              app:
                command: [busybox, sh, -c, {Descriptors.Quote(burn)}]
              resources:
                memoryMiB: 32
              scaling:
                metric: cpu
                scaleOutThreshold: 5
                scaleInThreshold: 1
                minReplicas: 1
                maxReplicas: 2
                cooldown: 2s
            """;
        await Send(http, HttpMethod.Post, "api/v1/descriptors", yaml);
        var op = await Send(http, HttpMethod.Post, "api/v1/vnfs/burner/instantiate", body: new { });
        (await WaitOperation(http, op.GetProperty("id").GetString()!, TimeSpan.FromSeconds(30))).ShouldBe("completed");

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        bool sawOut = false, sawIn = false;
        while (DateTime.UtcNow < deadline && !(sawOut && sawIn))
        {
            await Task.Delay(250);
            var scaled = (await Alerts(http)).Where(a => a.GetProperty("notificationType").GetString() == "vnf.scaled").Select(a => a.GetProperty("message").GetString()!).ToList();
            sawOut = scaled.Any(m => m.Contains("from 1 to 2", StringComparison.Ordinal));
            sawIn = sawOut && scaled.Any(m => m.Contains("from 2 to 1", StringComparison.Ordinal));
        }
        sawOut.ShouldBeTrue("the policy should add a replica while the VNF burns CPU");
        sawIn.ShouldBeTrue("the policy should remove it once the VNF is idle and the cooldown has passed");
        await Teardown(http, daemon, "burner");
    }

    [Fact]
    public async Task Rolling_update_keeps_the_service_answering()
    {
        RequireRoot();
        using var daemon = StartDaemon();
        using var http = UnixHttp.Create(daemon.Socket);
        await Send(http, HttpMethod.Post, "api/v1/descriptors", Iperf3("svc"));
        var op = await Send(http, HttpMethod.Post, "api/v1/vnfs/svc/instantiate", body: new { replicas = 2 });
        (await WaitOperation(http, op.GetProperty("id").GetString()!, TimeSpan.FromSeconds(30))).ShouldBe("completed");
        var v2 = await Send(http, HttpMethod.Post, "api/v1/descriptors", Iperf3("svc", memoryMiB: 48));
        v2.GetProperty("version").GetInt32().ShouldBe(2);

        var update = await Send(http, HttpMethod.Post, "api/v1/vnfs/svc/update", body: new { });
        var id = update.GetProperty("id").GetString()!;
        // Behaviour, not speed (how fast belongs in the bench): at every check some running replica answers, waited for
        // at most as long as the daemon gives the update itself before failing it.
        var health = DescriptorParser.Parse(Iperf3("svc", memoryMiB: 48)).Spec.Health!;
        var bound = new OperationBounds().For(new OperationRecord(id, OperationKinds.Update, "default", "svc", OperationState.Processing,
            new Dictionary<string, string>(), null, default, default), Technology.Process, health, 2, 2);
        var checks = 0;
        string state;
        do
        {
            (await SomeReplicaAnswers(http, "svc", bound)).ShouldBeTrue($"no replica answered during the update within its bound of {bound} (check {checks})");
            checks++;
            state = (await Send(http, HttpMethod.Get, $"api/v1/operations/{id}")).GetProperty("state").GetString()!;
            // Paced below the daemon's per-caller rate limit (two requests a check), which a tight loop met (429).
            await Task.Delay(TimeSpan.FromMilliseconds(10));
        }
        while (state == "processing" && checks < 2000);
        state.ShouldBe("completed");
        (await SomeReplicaAnswers(http, "svc", bound)).ShouldBeTrue("the updated replicas answer");
        Output.WriteLine($"{checks} availability checks during the update");
        var replicas = await Replicas(http, "svc");
        replicas.Count.ShouldBe(2);
        replicas.ShouldAllBe(r => r.GetProperty("version").GetInt32() == 2);
        await Teardown(http, daemon, "svc");
    }

    /// <summary>Whether a running replica of <paramref name="vnf"/> answers a TCP handshake, retried until <paramref name="within"/> passes.</summary>
    private async Task<bool> SomeReplicaAnswers(HttpClient http, string vnf, TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        do
        {
            var running = (await Replicas(http, vnf)).Where(r => r.GetProperty("state").GetString() == "running").ToList();
            if (running.Any(r => TcpReadinessProbe.WaitForAnswer(Lab.Host.Lab, IPAddress.Parse(r.GetProperty("address").GetString()!), 5201,
                    Stopwatch.GetTimestamp(), TimeSpan.FromSeconds(1)).Ready))
            {
                return true;
            }
            // Paced: the daemon's per-caller rate limit answers a tight loop with 429.
            await Task.Delay(TimeSpan.FromMilliseconds(50));
        }
        while (DateTime.UtcNow < deadline);
        return false;
    }
}
