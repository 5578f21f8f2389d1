using Microsoft.OpenApi;
using Microsoft.OpenApi.Reader;

namespace LightNfv.Server.Tests.Api.OpenApi;

/// <summary>
/// The served OpenAPI document read back with Microsoft.OpenApi's reader: it validates, its schemas have names a
/// generated client can use, and every operation declares its answers (errors included) with the codes the API gives.
/// </summary>
public sealed class OpenApiValidationTests : IDisposable
{
    private readonly ServerFactory _factory = new();

    private async Task<OpenApiDocument> Document()
    {
        using var http = _factory.CreateClient();
        await using var stream = await http.GetStreamAsync("/openapi/v1.json", TestContext.Current.CancellationToken);
        var result = await OpenApiDocument.LoadAsync(stream, "json", new OpenApiReaderSettings(), TestContext.Current.CancellationToken);
        result.Diagnostic!.Errors.ShouldBeEmpty(string.Join('\n', result.Diagnostic.Errors.Select(e => $"{e.Pointer}: {e.Message}")));
        var errors = result.Document!.Validate(ValidationRuleSet.GetDefaultRuleSet())?.ToList() ?? [];
        errors.ShouldBeEmpty(string.Join('\n', errors.Select(e => $"{e.Pointer}: {e.Message}")));
        return result.Document!;
    }

    private static IEnumerable<(string Path, HttpMethod Method, OpenApiOperation Operation)> Operations(OpenApiDocument doc) =>
        doc.Paths.SelectMany(p => p.Value.Operations!.Select(o => (p.Key, o.Key, o.Value)));

    [Fact]
    public async Task Schemas_are_named_and_none_is_anonymous()
    {
        var doc = await Document();
        var names = doc.Components!.Schemas!.Keys.ToList();
        names.ShouldContain("VnfDto");
        names.ShouldContain("StatusDto");
        names.ShouldContain("InstanceStatsDto");
        names.Where(n => n.Contains("Anonymous", StringComparison.OrdinalIgnoreCase)).ShouldBeEmpty();
        // Problem documents name the field an error is about; the schema says so.
        doc.Components.Schemas["ProblemDetails"].Properties!.Keys.ShouldContain("field");
    }

    [Fact]
    public async Task Every_operation_declares_an_error_answer_and_the_success_code_the_api_gives()
    {
        var doc = await Document();
        var missing = new List<string>();
        foreach (var (path, method, op) in Operations(doc))
        {
            op.OperationId.ShouldNotBeNullOrEmpty($"{method} {path}");
            var codes = op.Responses!.Keys.ToList();
            codes.ShouldContain(c => c.StartsWith('2') || c == "304", $"{method} {path} declares no success");
            // Routes that take no input at all (the daemon's status, the probes, metrics, the event stream) can only fail with 5xx.
            var takesInput = op.Parameters?.Count > 0 || op.RequestBody is not null || path.Contains('{', StringComparison.Ordinal);
            if (takesInput && !codes.Any(c => c.StartsWith('4')))
            {
                missing.Add($"{method} {path}: no 4xx");
            }
            if (!codes.Contains("500") && path.StartsWith("/api/v1", StringComparison.Ordinal))
            {
                missing.Add($"{method} {path}: no 500");
            }
            foreach (var (code, response) in op.Responses.Where(r => r.Key.StartsWith('4') || r.Key.StartsWith('5')))
            {
                if (response.Content?.ContainsKey("application/problem+json") != true)
                {
                    missing.Add($"{method} {path}: {code} is not a problem document");
                }
            }
        }
        missing.ShouldBeEmpty(string.Join('\n', missing));
    }

    [Theory]
    [InlineData("/api/v1/descriptors", "POST", "201", "400,413,415")]
    [InlineData("/api/v1/descriptors/{name}", "DELETE", "204", "404,412")]
    [InlineData("/api/v1/descriptors/{name}", "GET", "200", "304,404")]
    [InlineData("/api/v1/vnfs/{name}/scale", "POST", "202", "400,404,409,412,415")]
    [InlineData("/api/v1/vnfs", "GET", "200", "400")]
    [InlineData("/api/v1/subscriptions", "POST", "201", "400,415")]
    [InlineData("/api/v1/subscriptions/{id}", "DELETE", "204", "404,412")]
    [InlineData("/api/v1/instances", "POST", "201", "400,413,415,409,503")]
    [InlineData("/readyz", "GET", "200", "503")]
    public async Task Operations_declare_the_codes_they_answer(string path, string method, string success, string errors)
    {
        var doc = await Document();
        var op = doc.Paths[path].Operations![new HttpMethod(method)];
        var codes = op.Responses!.Keys.ToList();
        codes.ShouldContain(success);
        codes.Where(c => c.StartsWith('2')).ShouldBe([success], $"{method} {path} answers {success} only");
        foreach (var e in errors.Split(','))
        {
            codes.ShouldContain(e, $"{method} {path}");
        }
    }

    [Fact]
    public async Task List_routes_document_filter_and_paging_and_conditional_routes_their_headers()
    {
        var doc = await Document();
        foreach (var path in new[] { "/api/v1/vnfs", "/api/v1/instances", "/api/v1/descriptors", "/api/v1/operations", "/api/v1/alerts", "/api/v1/subscriptions" })
        {
            var names = doc.Paths[path].Operations![HttpMethod.Get].Parameters!.Select(p => p.Name).ToList();
            new[] { "filter", "tenant", "limit", "nextpage_opaque_marker" }.ShouldBeSubsetOf(names, path);
        }
        doc.Paths["/api/v1/vnfs/{name}/scale"].Operations![HttpMethod.Post].Parameters!.ShouldContain(p => p.Name == "If-Match" && p.In == ParameterLocation.Header);
        doc.Paths["/api/v1/vnfs/{name}"].Operations![HttpMethod.Get].Parameters!.ShouldContain(p => p.Name == "If-None-Match");
    }

    public void Dispose() => _factory.Dispose();
}
