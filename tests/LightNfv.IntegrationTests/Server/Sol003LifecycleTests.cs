using System.Net;
using System.Text.Json;
using LightNfv.Host.UnixSockets;
using LightNfv.IntegrationTests.Infrastructure;
using static LightNfv.IntegrationTests.Infrastructure.DaemonApi;

namespace LightNfv.IntegrationTests.Server;

/// <summary>
/// The SOL003-shaped API (/vnflcm/v1) against a real `lightnfv serve` running real process VNFs on the test's lab:
/// the whole lifecycle of one VNF instance with its operation occurrences, and a scale-out that fails midway
/// (FAILED_TEMP) rolled back to the replica it had.
/// </summary>
public sealed class Sol003LifecycleTests(ITestOutputHelper output) : IntegrationTest(output)
{
    /// <summary>Polls an occurrence until it leaves STARTING, PROCESSING and ROLLING_BACK; its last state.</summary>
    private static async Task<string> Settle(HttpClient http, string opId, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        string state;
        do
        {
            await Task.Delay(50);
            state = (await Send(http, HttpMethod.Get, $"vnflcm/v1/vnf_lcm_op_occs/{opId}")).GetProperty("operationState").GetString()!;
        }
        while (state is "STARTING" or "PROCESSING" or "ROLLING_BACK" && DateTime.UtcNow < deadline);
        return state;
    }

    /// <summary>Runs one LCM task: 202 with the occurrence's Location; returns the state it settles in.</summary>
    private static async Task<string> RunTask(HttpClient http, string instanceId, string task, object body, TimeSpan? timeout = null)
    {
        var (status, op) = await Call(http, HttpMethod.Post, $"vnflcm/v1/vnf_instances/{instanceId}/{task}", body: body);
        status.ShouldBe(202, $"{task}: {op}");
        return await Settle(http, op.GetProperty("id").GetString()!, timeout ?? TimeSpan.FromSeconds(60));
    }

    private static async Task<JsonElement> Instance(HttpClient http, string id) => await Send(http, HttpMethod.Get, $"vnflcm/v1/vnf_instances/{id}");

    private static IReadOnlyList<JsonElement> Vnfcs(JsonElement instance) =>
        instance.GetProperty("instantiatedVnfInfo").GetProperty("vnfcResourceInfo").EnumerateArray().ToList();

    [Fact]
    public async Task Create_instantiate_scale_heal_operate_change_terminate_delete()
    {
        RequireRoot();
        using var daemon = StartDaemon(Lab);
        using var http = UnixHttp.Create(daemon.Socket);
        try
        {
            await Send(http, HttpMethod.Post, "api/v1/descriptors", Descriptors.Iperf3("lcm"));
            await Send(http, HttpMethod.Post, "api/v1/descriptors", Descriptors.Iperf3("lcm", memoryMiB: 80));
            var created = await Send(http, HttpMethod.Post, "vnflcm/v1/vnf_instances",
                body: new { vnfdId = "lcm@1", vnfInstanceName = "edge", vnfInstanceDescription = "test", metadata = new { tenant = "default" } });
            var id = created.GetProperty("id").GetString()!;
            created.GetProperty("instantiationState").GetString().ShouldBe("NOT_INSTANTIATED");

            (await RunTask(http, id, "instantiate", new { instantiationLevelId = "1" })).ShouldBe("COMPLETED");
            var v = await Instance(http, id);
            v.GetProperty("instantiationState").GetString().ShouldBe("INSTANTIATED");
            v.GetProperty("vnfdId").GetString().ShouldBe("lcm@1");
            var first = Vnfcs(v).Single();
            Lab.WaitForTcp(IPAddress.Parse(first.GetProperty("address").GetString()!), 5201).ShouldBeTrue();
            (await Call(http, HttpMethod.Delete, $"vnflcm/v1/vnf_instances/{id}")).Status.ShouldBe(409, "an instantiated instance cannot be deleted");

            (await RunTask(http, id, "scale", new { type = "SCALE_OUT", aspectId = "replicas", numberOfSteps = 1 })).ShouldBe("COMPLETED");
            v = await Instance(http, id);
            Vnfcs(v).Count.ShouldBe(2);
            v.GetProperty("instantiatedVnfInfo").GetProperty("scaleStatus")[0].GetProperty("scaleLevel").GetInt32().ShouldBe(2);

            (await RunTask(http, id, "heal", new { cause = "test", vnfcInstanceId = new[] { first.GetProperty("id").GetString() } })).ShouldBe("COMPLETED");

            (await RunTask(http, id, "operate", new { changeStateTo = "STOPPED" })).ShouldBe("COMPLETED");
            v = await Instance(http, id);
            v.GetProperty("instantiatedVnfInfo").GetProperty("vnfState").GetString().ShouldBe("STOPPED");
            Vnfcs(v).ShouldAllBe(c => c.GetProperty("state").GetString() == "STOPPED");
            (await RunTask(http, id, "operate", new { changeStateTo = "STARTED" })).ShouldBe("COMPLETED");
            v = await Instance(http, id);
            v.GetProperty("instantiatedVnfInfo").GetProperty("vnfState").GetString().ShouldBe("STARTED");
            foreach (var c in Vnfcs(v))
            {
                c.GetProperty("state").GetString().ShouldBe("RUNNING");
                Lab.WaitForTcp(IPAddress.Parse(c.GetProperty("address").GetString()!), 5201).ShouldBeTrue();
            }

            (await RunTask(http, id, "scale_to_level", new { instantiationLevelId = "1" })).ShouldBe("COMPLETED");
            (await RunTask(http, id, "change_vnfpkg", new { vnfdId = "lcm@2" })).ShouldBe("COMPLETED");
            v = await Instance(http, id);
            v.GetProperty("vnfdId").GetString().ShouldBe("lcm@2");
            Vnfcs(v).Single().GetProperty("vnfdVersion").GetInt32().ShouldBe(2);

            // change_flavour changes resources: a new version with them, rolled out like change_vnfpkg.
            (await Call(http, HttpMethod.Post, $"vnflcm/v1/vnf_instances/{id}/change_flavour", body: new { newFlavourId = "large" })).Status.ShouldBe(400);
            (await RunTask(http, id, "change_flavour", new { newFlavourId = "default", additionalParams = new { memoryMiB = 96 } })).ShouldBe("COMPLETED");
            v = await Instance(http, id);
            v.GetProperty("vnfdId").GetString().ShouldBe("lcm@3");
            Vnfcs(v).Single().GetProperty("vnfdVersion").GetInt32().ShouldBe(3);
            (await Send(http, HttpMethod.Get, "api/v1/descriptors/lcm")).GetProperty("source").GetString()!.ShouldContain("memoryMiB: 96");

            (await RunTask(http, id, "terminate", new { terminationType = "GRACEFUL" })).ShouldBe("COMPLETED");
            (await Instance(http, id)).GetProperty("instantiationState").GetString().ShouldBe("NOT_INSTANTIATED");
            (await Replicas(http, "lcm")).ShouldBeEmpty();
            (await Call(http, HttpMethod.Delete, $"vnflcm/v1/vnf_instances/{id}")).Status.ShouldBe(204);

            var ops = (await Send(http, HttpMethod.Get, "vnflcm/v1/vnf_lcm_op_occs")).EnumerateArray().ToList();
            ops.Select(o => o.GetProperty("operation").GetString()).Distinct().ShouldBe(
                ["TERMINATE", "CHANGE_FLAVOUR", "CHANGE_VNFPKG", "SCALE_TO_LEVEL", "OPERATE", "HEAL", "SCALE", "INSTANTIATE"]);
            ops.ShouldAllBe(o => o.GetProperty("operationState").GetString() == "COMPLETED");
            var kinds = (await Send(http, HttpMethod.Get, "api/v1/alerts")).EnumerateArray().Select(a => a.GetProperty("notificationType").GetString()).ToList();
            kinds.Count(k => k == "vnf_lcm_op_occ.COMPLETED").ShouldBe(ops.Count);
        }
        finally
        {
            daemon.Stop();
            Lab.ReapSupervisorZombies();
        }
    }

    /// <summary>
    /// A scale-out whose new replica cannot be made (the descriptor pins one address, which the first replica holds)
    /// stops at FAILED_TEMP; rollback returns to one replica, the original one, untouched.
    /// </summary>
    [Fact]
    public async Task Failed_scale_out_is_rolled_back_to_what_ran()
    {
        RequireRoot();
        using var daemon = StartDaemon(Lab);
        using var http = UnixHttp.Create(daemon.Socket);
        try
        {
            await Send(http, HttpMethod.Post, "api/v1/descriptors", Descriptors.Iperf3("pinned", address: Lab.Address(50)));
            var id = (await Send(http, HttpMethod.Post, "vnflcm/v1/vnf_instances", body: new { vnfdId = "pinned" })).GetProperty("id").GetString()!;
            (await RunTask(http, id, "instantiate", new { })).ShouldBe("COMPLETED");
            var original = Vnfcs(await Instance(http, id)).Single().GetProperty("id").GetString();

            var (status, op) = await Call(http, HttpMethod.Post, $"vnflcm/v1/vnf_instances/{id}/scale", body: new { type = "SCALE_OUT" });
            status.ShouldBe(202, op.ToString());
            var opId = op.GetProperty("id").GetString()!;
            (await Settle(http, opId, TimeSpan.FromSeconds(60))).ShouldBe("FAILED_TEMP");

            (await Call(http, HttpMethod.Post, $"vnflcm/v1/vnf_lcm_op_occs/{opId}/rollback")).Status.ShouldBe(202);
            (await Settle(http, opId, TimeSpan.FromSeconds(60))).ShouldBe("ROLLED_BACK");
            var v = await Instance(http, id);
            v.GetProperty("instantiatedVnfInfo").GetProperty("scaleStatus")[0].GetProperty("scaleLevel").GetInt32().ShouldBe(1);
            Vnfcs(v).Single().GetProperty("id").GetString().ShouldBe(original);
            Lab.WaitForTcp(Lab.Address(50), 5201).ShouldBeTrue();

            (await RunTask(http, id, "terminate", new { })).ShouldBe("COMPLETED");
        }
        finally
        {
            daemon.Stop();
            Lab.ReapSupervisorZombies();
        }
    }
}
