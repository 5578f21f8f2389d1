using System.Diagnostics;
using System.Net;
using System.Text.Json;
using LightNfv.Host.Probes;
using LightNfv.Host.UnixSockets;
using LightNfv.IntegrationTests.Infrastructure;
using static LightNfv.IntegrationTests.Infrastructure.DaemonApi;

namespace LightNfv.IntegrationTests.Server;

/// <summary>
/// POST /instances/{id}/quarantine and /release under a real daemon (InstanceQuarantineApi.cs): a replica of a
/// 2-replica VNF under client traffic is frozen and cut, its VNF gets a replacement and never stops answering.
/// </summary>
public sealed class QuarantineApiTests(ITestOutputHelper output) : IntegrationTest(output)
{
    private static string StateOf(JsonElement replica) => replica.GetProperty("state").GetString()!;

    private static string IdOf(JsonElement replica) => replica.GetProperty("id").GetString()!;

    private static IPAddress AddressOf(JsonElement replica) => IPAddress.Parse(replica.GetProperty("address").GetString()!);

    private bool Answers(IPAddress address, int timeoutMs = 300) =>
        TcpReadinessProbe.WaitForAnswer(Lab.Host.Lab, address, 5201, Stopwatch.GetTimestamp(), TimeSpan.FromMilliseconds(timeoutMs)).Ready;

    /// <summary>The running replicas once <paramref name="count"/> of them answer (bounded at 30 s).</summary>
    private async Task<List<JsonElement>> Serving(HttpClient http, string vnf, int count)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var running = (await Replicas(http, vnf)).Where(r => StateOf(r) == "running").ToList();
            if (running.Count == count && running.All(r => Answers(AddressOf(r))))
            {
                return running;
            }
            DateTime.UtcNow.ShouldBeLessThan(deadline, $"VNF {vnf} should get {count} answering replicas; has {string.Join(", ", running.Select(IdOf))}");
            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task Quarantined_replica_of_a_2_replica_vnf_is_silent_its_replacement_answers_and_the_vnf_never_stops()
    {
        RequireRoot();
        using var daemon = StartDaemon(Lab);
        using var http = UnixHttp.Create(daemon.Socket);
        await Send(http, HttpMethod.Post, "api/v1/descriptors", Descriptors.Iperf3("pair"));
        var op = await Send(http, HttpMethod.Post, "api/v1/vnfs/pair/instantiate", body: new { replicas = 2 });
        (await WaitOperation(http, op.GetProperty("id").GetString()!, TimeSpan.FromSeconds(30))).GetProperty("state").GetString().ShouldBe("completed");
        var pair = await Serving(http, "pair", 2);
        var (victim, other) = (pair[0], pair[1]);

        // Client traffic to the replica that stays, every 10 ms for the whole quarantine and replacement (bounded).
        using var stop = new CancellationTokenSource();
        var client = Task.Run(() =>
        {
            int attempts = 0, failures = 0;
            while (!stop.IsCancellationRequested && attempts < 3000)
            {
                attempts++;
                failures += Answers(AddressOf(other), 500) ? 0 : 1;
                Thread.Sleep(10);
            }
            return (attempts, failures);
        });

        var answer = await Send(http, HttpMethod.Post, $"api/v1/instances/{IdOf(victim)}/quarantine");
        Output.WriteLine(answer.ToString());
        answer.GetProperty("instance").GetProperty("state").GetString().ShouldBe("quarantined");
        answer.GetProperty("port").GetString().ShouldNotBeNullOrEmpty();
        Answers(AddressOf(victim), 1000).ShouldBeFalse("the quarantined replica answers nothing");

        var serving = await Serving(http, "pair", 2);
        serving.Select(IdOf).ShouldNotContain(IdOf(victim));
        serving.Select(IdOf).ShouldContain(IdOf(other));
        var held = (await Replicas(http, "pair")).Single(r => IdOf(r) == IdOf(victim));
        StateOf(held).ShouldBe("quarantined", "neither healed nor removed by the reconciler");
        Answers(AddressOf(victim), 500).ShouldBeFalse("still silent after the replacement came");
        await stop.CancelAsync();
        var (attempts, failures) = await client;
        Output.WriteLine($"client: {attempts - failures}/{attempts} answered");
        attempts.ShouldBeGreaterThan(5);
        failures.ShouldBe(0, "the VNF's other replica kept answering throughout");
        (await Send(http, HttpMethod.Get, "api/v1/alerts")).EnumerateArray()
            .ShouldContain(a => a.GetProperty("notificationType").GetString() == "instance.quarantined" && a.GetProperty("instance").GetString() == IdOf(victim));

        // Release: it answers again; the VNF trims back to 2 running replicas, keeping the released one (the newest goes).
        var released = await Send(http, HttpMethod.Post, $"api/v1/instances/{IdOf(victim)}/release");
        released.GetProperty("state").GetString().ShouldBe("running");
        Answers(AddressOf(victim), 5000).ShouldBeTrue("released, it answers again");
        var after = await Serving(http, "pair", 2);
        after.Select(IdOf).ShouldContain(IdOf(victim));
        // The surplus (the replacement) is removed by the pass; whatever state it is in meanwhile, it goes.
        var trimmed = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        List<JsonElement> all;
        while ((all = await Replicas(http, "pair")).Count != 2 && DateTime.UtcNow < trimmed)
        {
            await Task.Delay(50);
        }
        all.Select(r => $"{IdOf(r)} {StateOf(r)}").ShouldBe(after.Select(r => $"{IdOf(r)} running"), ignoreOrder: true);

        // Quarantined again, `rm` ends it (a quarantined replica no longer counts for its VNF, so no --detach is needed).
        await Send(http, HttpMethod.Post, $"api/v1/instances/{IdOf(victim)}/quarantine");
        await Send(http, HttpMethod.Delete, $"api/v1/instances/{IdOf(victim)}");
        (await Replicas(http, "pair")).Select(IdOf).ShouldNotContain(IdOf(victim));
        HostState.CgroupDirectories(Lab.CgroupPath(IdOf(victim))).ShouldBeEmpty();
        await Serving(http, "pair", 2);

        op = await Send(http, HttpMethod.Post, "api/v1/vnfs/pair/terminate");
        (await WaitOperation(http, op.GetProperty("id").GetString()!, TimeSpan.FromSeconds(60))).GetProperty("state").GetString().ShouldBe("completed");
        daemon.Stop();
        Lab.ReapSupervisorZombies();
    }
}
