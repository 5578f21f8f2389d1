using System.Net;
using System.Text;
using System.Text.Json;

namespace LightNfv.Server.Tests.Api;

/// <summary>
/// Every error is an RFC 7807 problem document (application/problem+json with type, title, status, detail, instance),
/// the ones the framework answers without a handler included: no route, wrong method, wrong media type, bad JSON.
/// </summary>
public sealed class ProblemShapeTests : IDisposable
{
    private readonly ServerFactory _factory = new();
    private readonly HttpClient _http;

    public ProblemShapeTests() => _http = _factory.CreateClient();

    private static async Task<JsonElement> Problem(HttpResponseMessage r, HttpStatusCode status, string path)
    {
        var text = await r.Content.ReadAsStringAsync();
        r.StatusCode.ShouldBe(status, text);
        r.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
        var p = JsonDocument.Parse(text).RootElement.Clone();
        p.GetProperty("status").GetInt32().ShouldBe((int)status);
        p.GetProperty("type").GetString().ShouldNotBeNullOrEmpty();
        p.GetProperty("title").GetString().ShouldNotBeNullOrEmpty();
        p.GetProperty("detail").GetString().ShouldNotBeNullOrEmpty();
        p.GetProperty("instance").GetString().ShouldBe(path);
        return p;
    }

    [Theory]
    [InlineData("/api/v1/nothing")]
    [InlineData("/api/v2/vnfs")]
    [InlineData("/")]
    public async Task An_unknown_route_is_a_404_problem(string path)
    {
        var p = await Problem(await _http.GetAsync(path), HttpStatusCode.NotFound, path);
        p.GetProperty("detail").GetString()!.ShouldContain("/openapi/v1.json");
    }

    [Fact]
    public async Task A_wrong_method_is_a_405_problem_with_the_allowed_methods()
    {
        var r = await _http.PutAsync("/api/v1/vnfs/web/scale", new StringContent("{}", Encoding.UTF8, "application/json"));
        var p = await Problem(r, HttpStatusCode.MethodNotAllowed, "/api/v1/vnfs/web/scale");
        r.Content.Headers.Allow.ShouldBe(["POST"]);
        p.GetProperty("detail").GetString()!.ShouldContain("PUT is not allowed");

        var d = await _http.PostAsync("/api/v1/status", null);
        await Problem(d, HttpStatusCode.MethodNotAllowed, "/api/v1/status");
        d.Content.Headers.Allow.ShouldBe(["GET"]);
    }

    [Theory]
    [InlineData("/api/v1/vnfs/web/scale", "text/plain", "{\"replicas\": 2}")]
    [InlineData("/api/v1/subscriptions", "application/xml", "<x/>")]
    [InlineData("/api/v1/descriptors", "image/png", "x")]
    public async Task A_wrong_content_type_is_a_415_problem_naming_it(string path, string contentType, string body)
    {
        var p = await Problem(await _http.PostAsync(path, new StringContent(body, Encoding.UTF8, contentType)), HttpStatusCode.UnsupportedMediaType, path);
        p.GetProperty("field").GetString().ShouldBe("Content-Type");
    }

    [Theory]
    [InlineData("{\"replicas\": \"two\"}", "replicas", "expected a whole number")]
    [InlineData("{", "body", "")]
    [InlineData("[1]", "body", "")]
    public async Task Malformed_json_is_a_400_problem_naming_the_field(string body, string field, string expected)
    {
        var path = "/api/v1/vnfs/web/scale";
        var p = await Problem(await _http.PostAsync(path, new StringContent(body, Encoding.UTF8, "application/json")), HttpStatusCode.BadRequest, path);
        p.GetProperty("field").GetString().ShouldBe(field);
        p.GetProperty("detail").GetString()!.ShouldStartWith($"{field}: ");
        p.GetProperty("detail").GetString()!.ShouldContain(expected);
    }

    [Fact]
    public async Task A_bad_query_value_is_a_400_problem_naming_the_parameter()
    {
        var path = "/api/v1/alerts";
        var p = await Problem(await _http.GetAsync(path + "?after=yesterday"), HttpStatusCode.BadRequest, path);
        p.GetProperty("field").GetString().ShouldBe("after");
    }

    public void Dispose()
    {
        _http.Dispose();
        _factory.Dispose();
    }
}
