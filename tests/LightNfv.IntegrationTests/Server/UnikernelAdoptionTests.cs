using System.Net;
using System.Text.Json;
using LightNfv.Core.Descriptors;
using LightNfv.Host.Processes;
using LightNfv.Host.Spt;
using LightNfv.Host.UnixSockets;
using LightNfv.IntegrationTests.Infrastructure;
using static LightNfv.IntegrationTests.Infrastructure.DaemonApi;

namespace LightNfv.IntegrationTests.Server;

/// <summary>
/// Process-tender unikernels (lnfv-spt) across a real `lightnfv serve` stop and restart: the guests are the daemon's
/// grandchildren, not its threads, so they outlive it; the new daemon re-adopts them by pid and start time, and heals
/// the one whose process died while no daemon ran.
/// </summary>
public sealed class UnikernelAdoptionTests(ITestOutputHelper output) : IntegrationTest(output)
{
    private static string Guest(string name) =>
        Descriptors.Iperf3(name).Replace("technology: process", "technology: unikernel\n  accel: process", StringComparison.Ordinal);

    private static int? PidOf(JsonElement r) => r.TryGetProperty("pid", out var p) && p.ValueKind == JsonValueKind.Number ? p.GetInt32() : null;

    private static string StateOf(JsonElement r) => r.GetProperty("state").GetString()!;

    [Fact]
    public async Task Process_tender_guests_survive_a_daemon_restart_are_readopted_and_a_dead_one_is_healed()
    {
        RequireAvailable(Technology.Unikernel);
        Assert.SkipWhen(SptTender.Problem() is not null, SptTender.Problem() ?? "");
        var daemon = StartDaemon(Lab);
        var http = UnixHttp.Create(daemon.Socket);
        var guests = new List<ProcessIdentity>();
        try
        {
            await Send(http, HttpMethod.Post, "api/v1/descriptors", Guest("ukfleet"));
            var op = await Send(http, HttpMethod.Post, "api/v1/vnfs/ukfleet/instantiate", body: new { replicas = 2 });
            (await WaitOperation(http, op.GetProperty("id").GetString()!, TimeSpan.FromSeconds(30))).GetProperty("state").GetString().ShouldBe("completed");
            var solo = await Send(http, HttpMethod.Post, "api/v1/instances", Guest("uksolo"));
            var soloId = solo.GetProperty("id").GetString()!;
            var replicas = await Replicas(http, "ukfleet");
            replicas.Count.ShouldBe(2);
            var (survivor, victim) = (replicas[0], replicas[1]);
            foreach (var r in (JsonElement[])[survivor, victim, solo])
            {
                Lab.WaitForTcp(IPAddress.Parse(r.GetProperty("address").GetString()!), 5201).ShouldBeTrue();
                guests.Add(ProcessIdentity.Of(PidOf(r).ShouldNotBeNull()).ShouldNotBeNull());
            }

            daemon.Stop();
            http.Dispose();
            daemon.Dispose();
            guests.ShouldAllBe(g => g.IsAlive, "the guests outlive the daemon");
            // The victim dies while no daemon runs (we are its subreaper now: reap it, as init would).
            Native.kill(guests[1].Pid, Native.SIGKILL).ShouldBe(0);
            Poll.Until(() => Ended(guests[1]), TimeSpan.FromSeconds(5)).ShouldBeTrue();

            daemon = StartDaemon(Lab);
            http = UnixHttp.Create(daemon.Socket);
            var adoption = (await Send(http, HttpMethod.Get, "api/v1/status")).GetProperty("adoption");
            Output.WriteLine(adoption.ToString());
            adoption.GetProperty("adopted").GetInt32().ShouldBe(1, "the surviving replica is re-adopted");
            adoption.GetProperty("healed").GetInt32().ShouldBe(1, "the dead replica is queued for a heal");
            adoption.GetProperty("orphansRemoved").GetInt32().ShouldBe(0, "the standalone guest is the operator's, not an orphan");

            // The survivor: the same process, running, answering, with its counters and logs.
            var id = survivor.GetProperty("id").GetString()!;
            var again = await Send(http, HttpMethod.Get, $"api/v1/instances/{id}");
            Output.WriteLine(again.ToString());
            PidOf(again).ShouldBe(guests[0].Pid);
            StateOf(again).ShouldBe("running");
            guests[0].IsAlive.ShouldBeTrue();
            Lab.TcpConnect(IPAddress.Parse(survivor.GetProperty("address").GetString()!), 5201).ShouldBeNull("the re-adopted guest answers TCP");
            var stats = (await Send(http, HttpMethod.Get, $"api/v1/instances/{id}/stats")).GetProperty("stats");
            stats.GetProperty("memoryBytes").GetUInt64().ShouldBeGreaterThan(0UL);
            stats.GetProperty("pids").GetUInt64().ShouldBe(1UL, "the tender alone in its cgroup");
            var (logStatus, _) = await CallText(http, $"api/v1/instances/{id}/logs");
            logStatus.ShouldBe(200);

            // The victim: healed in place by a new tender that answers.
            var victimId = victim.GetProperty("id").GetString()!;
            JsonElement healed = default;
            Poll.Until(() =>
            {
                healed = Send(http, HttpMethod.Get, $"api/v1/instances/{victimId}").GetAwaiter().GetResult();
                return StateOf(healed) == "running" && PidOf(healed) is { } p && p != guests[1].Pid;
            }, TimeSpan.FromSeconds(30)).ShouldBeTrue($"the dead replica is healed: {healed}");
            Lab.TcpConnect(IPAddress.Parse(victim.GetProperty("address").GetString()!), 5201, TimeSpan.FromSeconds(10)).ShouldBeNull("the healed guest answers TCP");
            var healedGuest = ProcessIdentity.Of(PidOf(healed)!.Value).ShouldNotBeNull();

            // The standalone guest: still known and running; stop and rm work through the new daemon.
            var soloAgain = await Send(http, HttpMethod.Get, $"api/v1/instances/{soloId}");
            StateOf(soloAgain).ShouldBe("running");
            PidOf(soloAgain).ShouldBe(guests[2].Pid);
            StateOf(await Send(http, HttpMethod.Post, $"api/v1/instances/{soloId}/stop")).ShouldBe("stopped");
            Poll.Until(() => Ended(guests[2]), TimeSpan.FromSeconds(5)).ShouldBeTrue("stop ends the tender");
            await Send(http, HttpMethod.Delete, $"api/v1/instances/{soloId}");

            var term = await Send(http, HttpMethod.Post, "api/v1/vnfs/ukfleet/terminate");
            (await WaitOperation(http, term.GetProperty("id").GetString()!, TimeSpan.FromSeconds(60))).GetProperty("state").GetString().ShouldBe("completed");
            foreach (var g in (ProcessIdentity[])[guests[0], healedGuest])
            {
                Poll.Until(() => Ended(g), TimeSpan.FromSeconds(5)).ShouldBeTrue($"tender {g.Pid} ends with its replica");
            }
            HostState.LabLinks(Lab.LabName).ShouldNotContain("lnfuk", customMessage: "every tap went with its tender");
            Lab.Host.Cgroups.ListChildren(Lab.CgroupParent).ShouldBeEmpty();
            daemon.Stop();
            Lab.ReapSupervisorZombies();
        }
        finally
        {
            http.Dispose();
            daemon.Dispose();
            foreach (var g in guests)
            {
                // A failed test: never leave a tender behind, nor its zombie.
                if (g.IsAlive)
                {
                    Native.kill(g.Pid, Native.SIGKILL);
                }
                Poll.Until(() => Ended(g), TimeSpan.FromSeconds(5));
            }
        }
    }

    /// <summary>
    /// Whether a tender has ended. Tenders of the first daemon are re-parented to this process (their subreaper) when
    /// it exits, so when one ends it is our zombie: reap it first, as init would (a zombie is not alive, and the check
    /// in the other order would leave it).
    /// </summary>
    private static bool Ended(ProcessIdentity tender) => Native.TryReap(tender.Pid) || !tender.IsAlive;

    private static async Task<(int Status, string Body)> CallText(HttpClient http, string path)
    {
        using var r = await http.GetAsync(path);
        return ((int)r.StatusCode, await r.Content.ReadAsStringAsync());
    }
}
