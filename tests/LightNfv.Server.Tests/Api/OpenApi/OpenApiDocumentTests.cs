using System.Text.Json;
using LightNfv.Server.Api.OpenApi;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace LightNfv.Server.Tests.Api.OpenApi;

/// <summary>
/// The OpenAPI document the running server serves: every operation has a unique operationId and every API route the
/// app maps appears in it, so a route added later without either fails here.
/// </summary>
public sealed class OpenApiDocumentTests : IDisposable
{
    private readonly ServerFactory _factory = new();

    [Fact]
    public async Task Every_operation_has_a_unique_operation_id_and_every_route_is_documented()
    {
        var http = _factory.CreateClient();
        var text = await http.GetStringAsync("/openapi/v1.json", TestContext.Current.CancellationToken);
        var paths = JsonDocument.Parse(text).RootElement.GetProperty("paths");
        var ids = new List<string>();
        var documented = new HashSet<string>();
        foreach (var path in paths.EnumerateObject())
        {
            foreach (var op in path.Value.EnumerateObject())
            {
                documented.Add($"{op.Name.ToUpperInvariant()} {path.Name}");
                op.Value.TryGetProperty("operationId", out var id).ShouldBeTrue($"{op.Name} {path.Name} has no operationId");
                id.GetString().ShouldNotBeNullOrEmpty();
                ids.Add(id.GetString()!);
            }
        }
        ids.Count.ShouldBeGreaterThan(10);
        ids.GroupBy(i => i).Where(g => g.Count() > 1).Select(g => g.Key).ShouldBeEmpty("operationIds must be unique");
        var mapped = _factory.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText?.StartsWith("/api/v1", StringComparison.Ordinal) == true)
            .SelectMany(e => (e.Metadata.GetMetadata<Microsoft.AspNetCore.Routing.HttpMethodMetadata>()?.HttpMethods ?? ["GET"])
                .Select(m => $"{m} {System.Text.RegularExpressions.Regex.Replace(e.RoutePattern.RawText!, @"\{([^}:?]+)[^}]*\}", "{$1}").TrimEnd('/')}"));
        mapped.Where(m => !documented.Contains(m)).ShouldBeEmpty("every mapped API route appears in /openapi/v1.json");
    }

    [Theory]
    [InlineData("GET", "/api/v1/vnfs/{name}/ops", "getVnfsByNameOps")]
    [InlineData("POST", "/api/v1/vnf_instances/{vnfInstanceId:guid}/instantiate", "postVnfInstancesByVnfInstanceIdInstantiate")]
    [InlineData("GET", "/healthz", "getHealthz")]
    public void Derived_ids_are_camel_case(string method, string route, string expected) =>
        OperationIds.Derive(method, route).ShouldBe(expected);

    public void Dispose() => _factory.Dispose();
}
