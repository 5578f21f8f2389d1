using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using LightNfv.Host.UnixSockets;
using LightNfv.IntegrationTests.Infrastructure;
using Microsoft.OpenApi;
using Microsoft.OpenApi.Reader;

namespace LightNfv.IntegrationTests.Server;

/// <summary>
/// A client driven by the OpenAPI document a real `lightnfv serve` publishes: each call is found by its operationId,
/// its URL built from the path template, its body checked against the request schema and sent with a media type the
/// document lists, and every answer must be a status the document declares for that operation (and its JSON fields
/// ones the response schema names). It runs a VNF's life: create descriptor, instantiate, scale, heal, terminate.
/// </summary>
public sealed class OpenApiClientTests(ITestOutputHelper output) : IntegrationTest(output)
{
    [Fact]
    public async Task A_schema_driven_client_runs_create_instantiate_scale_heal_terminate()
    {
        RequireRoot();
        using var daemon = DaemonApi.StartDaemon(Lab);
        using var http = UnixHttp.Create(daemon.Socket);
        var client = await SchemaClient.LoadAsync(http);
        try
        {
            (await client.Call("postDescriptors", yaml: Descriptors.Iperf3("web"))).Status.ShouldBe(201);

            var (status, op, _) = await client.Call("postVnfsByNameInstantiate", new() { ["name"] = "web" }, new { replicas = 1 });
            status.ShouldBe(202);
            (await client.Wait(op)).ShouldBe("completed");

            var (_, vnf, etag) = await client.Call("getVnfsByName", new() { ["name"] = "web" });
            vnf.GetProperty("replicas").GetInt32().ShouldBe(1);
            etag.ShouldNotBeNull();

            // A stale ETag is refused (412, declared) and changes nothing; the current one is accepted.
            (await client.Call("postVnfsByNameScale", new() { ["name"] = "web" }, new { replicas = 2 }, ifMatch: "\"stale\"")).Status.ShouldBe(412);
            (status, op, _) = await client.Call("postVnfsByNameScale", new() { ["name"] = "web" }, new { replicas = 2 }, ifMatch: etag);
            status.ShouldBe(202);
            (await client.Wait(op)).ShouldBe("completed");
            (_, vnf, _) = await client.Call("getVnfsByName", new() { ["name"] = "web" });
            vnf.GetProperty("replicas").GetInt32().ShouldBe(2);

            var replica = vnf.GetProperty("instances")[0].GetProperty("id").GetString()!;
            (status, op, _) = await client.Call("postVnfsByNameHeal", new() { ["name"] = "web" }, new { instanceId = replica });
            status.ShouldBe(202);
            (await client.Wait(op)).ShouldBe("completed");

            (status, op, _) = await client.Call("postVnfsByNameTerminate", new() { ["name"] = "web" });
            status.ShouldBe(202);
            (await client.Wait(op)).ShouldBe("completed");
            (await client.Call("getVnfsByName", new() { ["name"] = "web" })).Status.ShouldBe(404);
            (await client.Call("deleteDescriptorsByName", new() { ["name"] = "web" })).Status.ShouldBe(204);
            client.Calls.ShouldBeGreaterThan(10);
        }
        finally
        {
            // Whatever failed above, no replica outlives the test (the fixture's leftover check would fail it too).
            if (await DaemonApi.Call(http, HttpMethod.Post, "api/v1/vnfs/web/terminate") is (202, var left))
            {
                await DaemonApi.WaitOperation(http, left.GetProperty("id").GetString()!, TimeSpan.FromSeconds(60));
            }
            daemon.Stop();
            Lab.ReapSupervisorZombies();
        }
    }

    [Fact]
    public async Task A_schema_driven_client_runs_the_sol003_lifecycle()
    {
        RequireRoot();
        using var daemon = DaemonApi.StartDaemon(Lab);
        using var http = UnixHttp.Create(daemon.Socket);
        var client = await SchemaClient.LoadAsync(http);
        string? id = null;
        try
        {
            (await client.Call("postDescriptors", yaml: Descriptors.Iperf3("sol"))).Status.ShouldBe(201);
            var (status, created, _) = await client.Call("createVnfInstance", body: new { vnfdId = "sol", vnfInstanceName = "edge" });
            status.ShouldBe(201);
            id = created.GetProperty("id").GetString()!;
            var at = new Dictionary<string, string> { ["vnfInstanceId"] = id };

            (await client.Settle(await client.Task("instantiateVnfInstance", at, new { instantiationLevelId = "1" }))).ShouldBe("COMPLETED");
            (await client.Settle(await client.Task("scaleVnfInstance", at, new { type = "SCALE_OUT", aspectId = "replicas", numberOfSteps = 1 }))).ShouldBe("COMPLETED");
            var (_, vnf, _) = await client.Call("getVnfInstance", at);
            var vnfcs = vnf.GetProperty("instantiatedVnfInfo").GetProperty("vnfcResourceInfo");
            vnfcs.GetArrayLength().ShouldBe(2);
            var first = vnfcs[0].GetProperty("id").GetString();
            (await client.Settle(await client.Task("healVnfInstance", at, new { cause = "drill", vnfcInstanceId = new[] { first } }))).ShouldBe("COMPLETED");
            (await client.Settle(await client.Task("terminateVnfInstance", at, new { terminationType = "GRACEFUL" }))).ShouldBe("COMPLETED");
            (await client.Call("deleteVnfInstance", at)).Status.ShouldBe(204);
            (await client.Call("getVnfInstance", at)).Status.ShouldBe(404);
            id = null;
        }
        finally
        {
            if (id is not null && await DaemonApi.Call(http, HttpMethod.Post, "api/v1/vnfs/sol/terminate") is (202, var left))
            {
                await DaemonApi.WaitOperation(http, left.GetProperty("id").GetString()!, TimeSpan.FromSeconds(60));
            }
            daemon.Stop();
            Lab.ReapSupervisorZombies();
        }
    }

    /// <summary>The smallest client the document allows: operations by id, bodies and answers checked against their schemas.</summary>
    private sealed class SchemaClient(HttpClient http, OpenApiDocument doc)
    {
        public int Calls { get; private set; }

        public static async Task<SchemaClient> LoadAsync(HttpClient http)
        {
            await using var stream = await http.GetStreamAsync("openapi/v1.json");
            var read = await OpenApiDocument.LoadAsync(stream, "json", new OpenApiReaderSettings());
            read.Diagnostic!.Errors.ShouldBeEmpty();
            return new SchemaClient(http, read.Document!);
        }

        /// <summary>One operation: its status, its JSON body (default when none) and its ETag header.</summary>
        public async Task<(int Status, JsonElement Body, string? ETag)> Call(string operationId, Dictionary<string, string>? path = null, object? body = null,
            string? yaml = null, string? ifMatch = null)
        {
            var (template, method, op) = doc.Paths.SelectMany(p => p.Value.Operations!.Select(o => (p.Key, o.Key, o.Value)))
                .SingleOrDefault(x => x.Value.OperationId == operationId);
            op.ShouldNotBeNull($"the document has no operation '{operationId}'");
            var url = template;
            foreach (var p in op.Parameters?.Where(p => p.In == ParameterLocation.Path) ?? [])
            {
                path.ShouldNotBeNull($"{operationId} needs path parameter {p.Name}");
                url = url.Replace($"{{{p.Name}}}", Uri.EscapeDataString(path[p.Name!]), StringComparison.Ordinal);
            }
            url.ShouldNotContain("{", customMessage: $"{operationId}: every path parameter filled");
            using var request = new HttpRequestMessage(method, url.TrimStart('/'));
            if (ifMatch is not null)
            {
                op.Parameters!.ShouldContain(p => p.Name == "If-Match", $"{operationId} declares If-Match");
                request.Headers.IfMatch.Add(EntityTagHeaderValue.Parse(ifMatch));
            }
            if (yaml is not null || body is not null)
            {
                var content = op.RequestBody?.Content;
                content.ShouldNotBeNull($"{operationId} takes no body");
                if (yaml is not null)
                {
                    content.Keys.ShouldContain("application/yaml");
                    request.Content = new StringContent(yaml, Encoding.UTF8, "application/yaml");
                }
                else
                {
                    var json = JsonSerializer.SerializeToElement(body, JsonSerializerOptions.Web);
                    content.Keys.ShouldContain("application/json");
                    CheckAgainst(content["application/json"].Schema!, json, $"{operationId} request");
                    request.Content = new StringContent(json.GetRawText(), Encoding.UTF8, "application/json");
                }
            }
            using var response = await http.SendAsync(request);
            Calls++;
            var status = ((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture);
            var text = await response.Content.ReadAsStringAsync();
            op.Responses!.Keys.ShouldContain(status, $"{method} {template} answered {status}, which the document does not declare: {text}");
            var answer = text.Length > 0 && response.Content.Headers.ContentType?.MediaType is { } mt && mt.EndsWith("json", StringComparison.Ordinal)
                ? JsonDocument.Parse(text).RootElement.Clone() : default;
            if (answer.ValueKind != JsonValueKind.Undefined && op.Responses[status].Content is { } declared)
            {
                var mediaType = response.Content.Headers.ContentType!.MediaType!;
                declared.Keys.ShouldContain(mediaType, $"{operationId} {status} answers {mediaType}");
                if (declared[mediaType].Schema is { } schema)
                {
                    CheckAgainst(schema, answer, $"{operationId} {status} response");
                }
            }
            return ((int)response.StatusCode, answer, response.Headers.ETag?.Tag);
        }

        /// <summary>An object's fields must be ones its schema names, with a JSON type the schema allows.</summary>
        private static void CheckAgainst(IOpenApiSchema schema, JsonElement value, string what)
        {
            if (value.ValueKind != JsonValueKind.Object || schema.Properties is not { Count: > 0 } properties)
            {
                return;
            }
            foreach (var field in value.EnumerateObject())
            {
                properties.Keys.ShouldContain(field.Name, $"{what}: '{field.Name}' is not in the schema");
                if (properties[field.Name].Type is { } type)
                {
                    var kind = field.Value.ValueKind switch
                    {
                        JsonValueKind.Number => JsonSchemaType.Integer | JsonSchemaType.Number,
                        JsonValueKind.String => JsonSchemaType.String,
                        JsonValueKind.True or JsonValueKind.False => JsonSchemaType.Boolean,
                        JsonValueKind.Array => JsonSchemaType.Array,
                        JsonValueKind.Object => JsonSchemaType.Object,
                        _ => JsonSchemaType.Null,
                    };
                    (type & kind).ShouldNotBe((JsonSchemaType)0, $"{what}: '{field.Name}' is {field.Value.ValueKind}, the schema says {type}");
                }
            }
        }

        /// <summary>Starts an LCM task (202 with its occurrence); the occurrence.</summary>
        public async Task<JsonElement> Task(string operationId, Dictionary<string, string> path, object body)
        {
            var (status, occurrence, _) = await Call(operationId, path, body);
            status.ShouldBe(202, $"{operationId}: {occurrence}");
            return occurrence;
        }

        /// <summary>Polls an LCM occurrence (getVnfLcmOpOcc) until it leaves STARTING/PROCESSING; its final state.</summary>
        public async Task<string> Settle(JsonElement occurrence)
        {
            var at = new Dictionary<string, string> { ["vnfLcmOpOccId"] = occurrence.GetProperty("id").GetString()! };
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
            string state;
            do
            {
                await System.Threading.Tasks.Task.Delay(100);
                state = (await Call("getVnfLcmOpOcc", at)).Body.GetProperty("operationState").GetString()!;
            }
            while (state is "STARTING" or "PROCESSING" && DateTime.UtcNow < deadline);
            return state;
        }

        /// <summary>Polls the operation occurrence (getOperationsById) until it leaves processing; its final state.</summary>
        public async Task<string> Wait(JsonElement operation)
        {
            var id = operation.GetProperty("id").GetString()!;
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
            string state;
            do
            {
                await System.Threading.Tasks.Task.Delay(100);
                state = (await Call("getOperationsById", new() { ["id"] = id })).Body.GetProperty("state").GetString()!;
            }
            while (state == "processing" && DateTime.UtcNow < deadline);
            return state;
        }
    }
}
