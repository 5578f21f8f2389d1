using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using LightNfv.Platform.Store;
using Microsoft.Extensions.DependencyInjection;

namespace LightNfv.Server.Tests.Api;

/// <summary>
/// /vnflcm/v1 through the in-process daemon: VNF instances as resources, instantiation-state 409s, a failing
/// instantiate stopping at FAILED_TEMP then retried and rolled back, and SOL003's retry/rollback/fail/cancel rules.
/// (The full lifecycle on real processes is in the integration tests: Sol003LifecycleTests.)
/// </summary>
public sealed class Sol003ApiTests : IDisposable
{
    private readonly ServerFactory _factory = new();
    private readonly HttpClient _http;

    public Sol003ApiTests() => _http = _factory.CreateClient();

    private static string Yaml(string name, string app = "builtin: iperf3-server") => $"""
        apiVersion: lightnfv/v1
        kind: Vnf
        metadata:
          name: {name}
        spec:
          technology: process
          app:
            {app}
        """;

    private static async Task<JsonElement> Json(HttpResponseMessage r) => JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.Clone();

    private async Task<string> Descriptor(string name, string app = "builtin: iperf3-server")
    {
        (await _http.PostAsync("/api/v1/descriptors", new StringContent(Yaml(name, app), Encoding.UTF8, "application/yaml"))).StatusCode.ShouldBe(HttpStatusCode.Created);
        var r = await _http.PostAsJsonAsync("/vnflcm/v1/vnf_instances", new { vnfdId = name, vnfInstanceName = $"{name}-1", metadata = new { tenant = "default" } });
        r.StatusCode.ShouldBe(HttpStatusCode.Created);
        var v = await Json(r);
        r.Headers.Location!.ToString().ShouldBe($"/vnflcm/v1/vnf_instances/{v.GetProperty("id").GetString()}");
        return v.GetProperty("id").GetString()!;
    }

    private async Task<JsonElement> Post(string path, object? body, HttpStatusCode expected)
    {
        var r = await _http.PostAsJsonAsync(path, body ?? new { });
        var json = await Json(r);
        r.StatusCode.ShouldBe(expected, json.ToString());
        return json;
    }

    /// <summary>Polls an occurrence until it leaves STARTING, PROCESSING and ROLLING_BACK.</summary>
    private async Task<JsonElement> Settle(string opId)
    {
        JsonElement op = default;
        for (var i = 0; i < 600; i++)
        {
            op = await Json(await _http.GetAsync($"/vnflcm/v1/vnf_lcm_op_occs/{opId}"));
            if (op.GetProperty("operationState").GetString() is not ("STARTING" or "PROCESSING" or "ROLLING_BACK"))
            {
                return op;
            }
            await Task.Delay(50);
        }
        return op;
    }

    [Fact]
    public async Task Instances_are_resources_with_ids_and_tasks_answer_409_in_the_wrong_instantiation_state()
    {
        var id = await Descriptor("web");
        Guid.TryParse(id, out _).ShouldBeTrue();
        var v = await Json(await _http.GetAsync($"/vnflcm/v1/vnf_instances/{id}"));
        v.GetProperty("instantiationState").GetString().ShouldBe("NOT_INSTANTIATED");
        v.GetProperty("vnfdId").GetString().ShouldBe("web");
        v.GetProperty("vnfInstanceName").GetString().ShouldBe("web-1");
        v.GetProperty("_links").GetProperty("instantiate").GetProperty("href").GetString().ShouldBe($"/vnflcm/v1/vnf_instances/{id}/instantiate");
        (await Json(await _http.GetAsync("/vnflcm/v1/vnf_instances"))).GetArrayLength().ShouldBe(1);

        foreach (var task in new[] { "terminate", "scale", "heal", "operate", "change_vnfpkg", "scale_to_level" })
        {
            var p = await Post($"/vnflcm/v1/vnf_instances/{id}/{task}", new { }, HttpStatusCode.Conflict);
            p.GetProperty("detail").GetString()!.ShouldContain("NOT_INSTANTIATED");
        }
        // One VNF per descriptor name: a second instance of it is refused, naming the first.
        (await Post("/vnflcm/v1/vnf_instances", new { vnfdId = "web" }, HttpStatusCode.Conflict)).GetProperty("detail").GetString()!.ShouldContain(id);
        (await Post("/vnflcm/v1/vnf_instances", new { vnfdId = "nothere" }, HttpStatusCode.BadRequest)).GetProperty("field").GetString().ShouldBe("vnfdId");
        (await Post("/vnflcm/v1/vnf_instances", new { vnfdId = "web@7" }, HttpStatusCode.BadRequest)).GetProperty("detail").GetString()!.ShouldContain("no version 7");
        (await Post("/vnflcm/v1/vnf_instances", new { }, HttpStatusCode.BadRequest)).GetProperty("field").GetString().ShouldBe("vnfdId");
        (await Post($"/vnflcm/v1/vnf_instances/{id}/instantiate", new { flavourId = "large" }, HttpStatusCode.BadRequest))
            .GetProperty("field").GetString().ShouldBe("flavourId");
        (await _http.GetAsync("/vnflcm/v1/vnf_instances/no-such-id")).StatusCode.ShouldBe(HttpStatusCode.NotFound);

        (await _http.DeleteAsync($"/vnflcm/v1/vnf_instances/{id}")).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        (await _http.GetAsync($"/vnflcm/v1/vnf_instances/{id}")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await _http.GetAsync("/api/v1/descriptors/web")).StatusCode.ShouldBe(HttpStatusCode.OK, "the descriptor stays");
    }

    /// <summary>A program that does not exist fails at create: FAILED_TEMP (desired state kept), retried, then rolled back.</summary>
    [Fact]
    public async Task Failing_instantiate_stops_at_failed_temp_then_retry_and_rollback()
    {
        var id = await Descriptor("broken", "command: [/nonexistent/lightnfv-test-program]");
        var r = await _http.PostAsJsonAsync($"/vnflcm/v1/vnf_instances/{id}/instantiate", new { instantiationLevelId = "1" });
        r.StatusCode.ShouldBe(HttpStatusCode.Accepted);
        var opId = (await Json(r)).GetProperty("id").GetString()!;
        r.Headers.Location!.ToString().ShouldBe($"/vnflcm/v1/vnf_lcm_op_occs/{opId}");

        var op = await Settle(opId);
        op.GetProperty("operationState").GetString().ShouldBe("FAILED_TEMP");
        op.GetProperty("operation").GetString().ShouldBe("INSTANTIATE");
        op.GetProperty("vnfInstanceId").GetString().ShouldBe(id);
        op.GetProperty("error").GetProperty("detail").GetString()!.ShouldNotBeNullOrEmpty();
        op.GetProperty("_links").GetProperty("rollback").GetProperty("href").GetString().ShouldBe($"/vnflcm/v1/vnf_lcm_op_occs/{opId}/rollback");

        // FAILED_TEMP holds the instance: another task, and cancel, answer 409 naming the state.
        (await Post($"/vnflcm/v1/vnf_instances/{id}/scale", new { type = "SCALE_OUT" }, HttpStatusCode.Conflict))
            .GetProperty("detail").GetString()!.ShouldContain("FAILED_TEMP");
        (await Post($"/vnflcm/v1/vnf_lcm_op_occs/{opId}/cancel", null, HttpStatusCode.Conflict)).GetProperty("detail").GetString()!.ShouldContain("is FAILED_TEMP");

        var retried = await Post($"/vnflcm/v1/vnf_lcm_op_occs/{opId}/retry", null, HttpStatusCode.Accepted);
        retried.GetProperty("operationState").GetString().ShouldBe("PROCESSING");
        (await Settle(opId)).GetProperty("operationState").GetString().ShouldBe("FAILED_TEMP");

        var rolling = await Post($"/vnflcm/v1/vnf_lcm_op_occs/{opId}/rollback", null, HttpStatusCode.Accepted);
        rolling.GetProperty("operationState").GetString().ShouldBeOneOf("ROLLING_BACK", "ROLLED_BACK");
        (await Settle(opId)).GetProperty("operationState").GetString().ShouldBe("ROLLED_BACK");
        (await Json(await _http.GetAsync($"/vnflcm/v1/vnf_instances/{id}"))).GetProperty("instantiationState").GetString().ShouldBe("NOT_INSTANTIATED");
        (await Post($"/vnflcm/v1/vnf_lcm_op_occs/{opId}/retry", null, HttpStatusCode.Conflict)).GetProperty("detail").GetString()!.ShouldContain("ROLLED_BACK");
        (await Post($"/vnflcm/v1/vnf_lcm_op_occs/{opId}/fail", null, HttpStatusCode.Conflict)).GetProperty("detail").GetString()!.ShouldContain("ROLLED_BACK");

        // Again, then given up: fail is final, and the instance takes tasks again.
        var again = (await Post($"/vnflcm/v1/vnf_instances/{id}/instantiate", new { }, HttpStatusCode.Accepted)).GetProperty("id").GetString()!;
        (await Settle(again)).GetProperty("operationState").GetString().ShouldBe("FAILED_TEMP");
        (await Post($"/vnflcm/v1/vnf_lcm_op_occs/{again}/fail", null, HttpStatusCode.OK)).GetProperty("operationState").GetString().ShouldBe("FAILED");
        (await Post($"/vnflcm/v1/vnf_lcm_op_occs/{again}/rollback", null, HttpStatusCode.Conflict)).GetProperty("detail").GetString()!.ShouldContain("is FAILED");
        var term = (await Post($"/vnflcm/v1/vnf_instances/{id}/terminate", new { }, HttpStatusCode.Accepted)).GetProperty("id").GetString()!;
        (await Settle(term)).GetProperty("operationState").GetString().ShouldBe("COMPLETED");
        (await _http.DeleteAsync($"/vnflcm/v1/vnf_instances/{id}")).StatusCode.ShouldBe(HttpStatusCode.NoContent);

        // Each state change was an event through the alert hub.
        var kinds = (await Json(await _http.GetAsync("/api/v1/alerts"))).EnumerateArray().Select(a => a.GetProperty("notificationType").GetString()).ToList();
        kinds.ShouldContain("vnf_lcm_op_occ.STARTING");
        kinds.ShouldContain("vnf_lcm_op_occ.PROCESSING");
        kinds.ShouldContain("vnf_lcm_op_occ.FAILED_TEMP");
        kinds.ShouldContain("vnf_lcm_op_occ.ROLLING_BACK");
        kinds.ShouldContain("vnf_lcm_op_occ.ROLLED_BACK");
        kinds.ShouldContain("vnf_lcm_op_occ.FAILED");
        kinds.ShouldContain("vnf_lcm_op_occ.COMPLETED");
        (await Json(await _http.GetAsync("/vnflcm/v1/vnf_lcm_op_occs?operationState=ROLLED_BACK"))).GetArrayLength().ShouldBe(1);
        var bad = await _http.GetAsync("/vnflcm/v1/vnf_lcm_op_occs?operationState=nope");
        bad.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await Json(bad)).GetProperty("field").GetString().ShouldBe("operationState");
    }

    /// <summary>
    /// Cancel and fail rules on an occurrence that cannot progress (its VNF's descriptor is absent, so the reconciler
    /// leaves it PROCESSING): cancel to FAILED_TEMP, cancel again 409, fail to FAILED, fail again 409; an occurrence
    /// started through /api/v1 is not the LCM API's to resolve (409).
    /// </summary>
    [Fact]
    public async Task Cancel_and_fail_follow_the_state_rules()
    {
        var store = _factory.Services.GetRequiredService<PlatformStore>();
        OperationRecord op;
        using (PlatformStore.LcmScope("SCALE"))
        {
            op = store.BeginOperation("scale", "default", "ghost", new Deployment("default", "ghost", 1, 2, default, default),
                new Dictionary<string, string> { ["replicas"] = "2", ["previousReplicas"] = "1" });
        }
        var occ = await Json(await _http.GetAsync($"/vnflcm/v1/vnf_lcm_op_occs/{op.Id}"));
        occ.GetProperty("operationState").GetString().ShouldBe("PROCESSING");
        occ.GetProperty("vnfInstanceId").GetString().ShouldNotBeNull("a VNF gets an instance id when it is first instantiated");
        occ.GetProperty("_links").GetProperty("cancel").GetProperty("href").GetString().ShouldEndWith("/cancel");

        (await Post($"/vnflcm/v1/vnf_lcm_op_occs/{op.Id}/retry", null, HttpStatusCode.Conflict)).GetProperty("detail").GetString()!.ShouldContain("is PROCESSING");
        (await Post($"/vnflcm/v1/vnf_lcm_op_occs/{op.Id}/fail", null, HttpStatusCode.Conflict)).GetProperty("detail").GetString()!.ShouldContain("only in FAILED_TEMP");
        (await Post($"/vnflcm/v1/vnf_lcm_op_occs/{op.Id}/cancel", new { cancelMode = "SOON" }, HttpStatusCode.BadRequest)).GetProperty("field").GetString().ShouldBe("cancelMode");
        var cancelled = await Post($"/vnflcm/v1/vnf_lcm_op_occs/{op.Id}/cancel", new { cancelMode = "GRACEFUL" }, HttpStatusCode.Accepted);
        cancelled.GetProperty("operationState").GetString().ShouldBe("FAILED_TEMP");
        (await Post($"/vnflcm/v1/vnf_lcm_op_occs/{op.Id}/cancel", null, HttpStatusCode.Conflict)).GetProperty("detail").GetString()!.ShouldContain("is FAILED_TEMP");
        (await Post($"/vnflcm/v1/vnf_lcm_op_occs/{op.Id}/fail", null, HttpStatusCode.OK)).GetProperty("operationState").GetString().ShouldBe("FAILED");
        (await Post($"/vnflcm/v1/vnf_lcm_op_occs/{op.Id}/fail", null, HttpStatusCode.Conflict)).GetProperty("detail").GetString()!.ShouldContain("is FAILED");
        (await _http.PostAsync("/vnflcm/v1/vnf_lcm_op_occs/nope/retry", null)).StatusCode.ShouldBe(HttpStatusCode.NotFound);

        var plain = store.BeginOperation("scale", "default", "ghost2", new Deployment("default", "ghost2", 1, 2, default, default), new Dictionary<string, string>());
        var occ2 = await Json(await _http.GetAsync($"/vnflcm/v1/vnf_lcm_op_occs/{plain.Id}"));
        occ2.GetProperty("isAutomaticInvocation").GetBoolean().ShouldBeTrue();
        (await Post($"/vnflcm/v1/vnf_lcm_op_occs/{plain.Id}/cancel", null, HttpStatusCode.Conflict)).GetProperty("detail").GetString()!.ShouldContain("not started through /vnflcm/v1");
    }

    [Fact]
    public async Task Openapi_names_every_lcm_operation_and_its_codes()
    {
        var doc = JsonDocument.Parse(await _http.GetStringAsync("/openapi/v1.json")).RootElement;
        var paths = doc.GetProperty("paths");
        var ids = paths.EnumerateObject().SelectMany(p => p.Value.EnumerateObject()).Select(o => o.Value.GetProperty("operationId").GetString()).ToList();
        foreach (var name in new[] { "createVnfInstance", "listVnfInstances", "getVnfInstance", "deleteVnfInstance", "instantiateVnfInstance", "scaleVnfInstance",
                     "scaleVnfInstanceToLevel", "healVnfInstance", "operateVnfInstance", "changeVnfPkg", "terminateVnfInstance", "listVnfLcmOpOccs",
                     "getVnfLcmOpOcc", "retryVnfLcmOpOcc", "rollbackVnfLcmOpOcc", "failVnfLcmOpOcc", "cancelVnfLcmOpOcc" })
        {
            ids.ShouldContain(name);
        }
        var instantiate = paths.GetProperty("/vnflcm/v1/vnf_instances/{vnfInstanceId}/instantiate").GetProperty("post").GetProperty("responses");
        var codes = instantiate.EnumerateObject().Select(r => r.Name).ToList();
        foreach (var code in new[] { "202", "400", "404", "409", "415", "500" })
        {
            codes.ShouldContain(code);
        }
        codes.ShouldNotContain("200");
        var create = paths.GetProperty("/vnflcm/v1/vnf_instances").GetProperty("post").GetProperty("responses");
        create.GetProperty("201").GetProperty("content").GetProperty("application/json").GetProperty("schema").GetProperty("$ref").GetString()!.ShouldContain("VnfInstanceDto");
        doc.GetProperty("components").GetProperty("schemas").TryGetProperty("VnfLcmOpOccDto", out _).ShouldBeTrue();
    }

    public void Dispose()
    {
        _http.Dispose();
        _factory.Dispose();
    }
}
