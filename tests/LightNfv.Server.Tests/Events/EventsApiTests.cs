using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using LightNfv.Platform.Alerts;
using LightNfv.Platform.Events;
using LightNfv.Platform.Store;
using Microsoft.Extensions.DependencyInjection;

namespace LightNfv.Server.Tests.Events;

/// <summary>
/// One event vocabulary (store list, SSE, webhook), SOL003-shaped subscriptions with HMAC-signed webhooks received by a
/// real listener on 127.0.0.1, and the callback check at creation (204 or refused; loopback only: never the lab, link-local or metadata).
/// </summary>
public sealed class EventsApiTests : IDisposable
{
    private const string Secret = "0123456789abcdef-test-secret";
    private readonly ServerFactory _factory = new();
    private readonly HttpClient _http;

    public EventsApiTests() => _http = _factory.CreateClient();

    private AlertHub Hub => _factory.Services.GetRequiredService<AlertHub>();

    private static async Task<JsonElement> Json(HttpResponseMessage r) => JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.Clone();

    private Task<HttpResponseMessage> Subscribe(object body) => _http.PostAsJsonAsync("/api/v1/subscriptions", body);

    [Fact]
    public async Task Hmac_signed_webhook_verifies_with_the_secret_and_the_secret_is_never_returned()
    {
        using var listener = new CallbackListener();
        var created = await Subscribe(new
        {
            callbackUri = listener.Url(),
            filter = new { notificationTypes = new[] { AlertKinds.InstanceHealed }, vnfNames = new[] { "web" } },
            authentication = new { authType = new[] { "HMAC_SHA256" }, paramsHmac = new { secret = Secret } },
        });
        var text = await created.Content.ReadAsStringAsync();
        created.StatusCode.ShouldBe(HttpStatusCode.Created, text);
        text.ShouldNotContain(Secret);
        var sub = JsonDocument.Parse(text).RootElement;
        sub.GetProperty("callbackUri").GetString().ShouldBe(listener.Url());
        sub.TryGetProperty("callback", out _).ShouldBeFalse();
        sub.GetProperty("filter").GetProperty("notificationTypes")[0].GetString().ShouldBe(AlertKinds.InstanceHealed);
        sub.GetProperty("authentication").GetProperty("authType")[0].GetString().ShouldBe("HMAC_SHA256");
        var id = sub.GetProperty("id").GetString()!;
        sub.GetProperty("_links").GetProperty("self").GetProperty("href").GetString().ShouldBe($"/api/v1/subscriptions/{id}");
        created.Headers.Location!.ToString().ShouldBe($"/api/v1/subscriptions/{id}");
        (await _http.GetStringAsync($"/api/v1/subscriptions/{id}")).ShouldNotContain(Secret);
        (await _http.GetStringAsync("/api/v1/subscriptions")).ShouldNotContain(Secret);

        // The check GET came first, signed over an empty body.
        var check = await listener.NextAsync("GET");
        Verify(check, Secret).ShouldBeTrue();

        Hub.Raise(AlertKinds.InstanceHealed, "default", "other", "abc", "filtered out by vnfNames");
        Hub.Raise(AlertKinds.InstanceFailed, "default", "web", "abc", "filtered out by notificationTypes");
        var raised = Hub.Raise(AlertKinds.InstanceHealed, "default", "web", "abc", "healed in 3 ms");
        var post = await listener.NextAsync("POST");
        post.Headers["Content-Type"].ShouldStartWith("application/json");
        post.Headers["X-LightNFV-Subscription"].ShouldBe(id);
        Verify(post, Secret).ShouldBeTrue("the signature is HMAC-SHA256(secret, timestamp + \".\" + body)");
        Verify(post, "another-secret-of-16+chars").ShouldBeFalse();
        Verify(post with { Body = [.. post.Body, (byte)' '] }, Secret).ShouldBeFalse("a changed body no longer verifies");
        long.Parse(post.Headers["X-LightNFV-Timestamp"]).ShouldBeInRange(DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 60, DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 5);
        using var doc = JsonDocument.Parse(post.Body);
        doc.RootElement.GetProperty("id").GetInt64().ShouldBe(raised.Id, "the filtered events were not sent");
        doc.RootElement.GetProperty("message").GetString().ShouldBe("healed in 3 ms");
    }

    /// <summary>What a receiver does (the README's example): recompute the HMAC over timestamp "." body and compare in constant time.</summary>
    private static bool Verify(CallbackListener.Received r, string secret)
    {
        var timestamp = r.Headers["X-LightNFV-Timestamp"];
        byte[] signed = [.. Encoding.UTF8.GetBytes(timestamp + "."), .. r.Body];
        var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), signed);
        var expected = Encoding.ASCII.GetBytes("sha256=" + Convert.ToHexStringLower(mac));
        return CryptographicOperations.FixedTimeEquals(expected, Encoding.ASCII.GetBytes(r.Headers["X-LightNFV-Signature"]));
    }

    [Fact]
    public async Task Basic_authentication_is_sent_and_kinds_is_still_accepted()
    {
        using var listener = new CallbackListener();
        var created = await Subscribe(new
        {
            callbackUri = listener.Url(),
            kinds = new[] { AlertKinds.QuotaReached },
            authentication = new { authType = new[] { "BASIC" }, paramsBasic = new { userName = "nfvo", password = "pa55word" } },
        });
        created.StatusCode.ShouldBe(HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
        var sub = await Json(created);
        sub.GetProperty("authentication").GetProperty("paramsBasic").GetProperty("userName").GetString().ShouldBe("nfvo");
        sub.ToString().ShouldNotContain("pa55word");
        Hub.Raise(AlertKinds.QuotaReached, "default", "web", null, "quota");
        var post = await listener.NextAsync("POST");
        post.Headers["Authorization"].ShouldBe("Basic " + Convert.ToBase64String("nfvo:pa55word"u8));
    }

    [Fact]
    public async Task Callback_check_refuses_a_non_204_answer_and_stores_nothing()
    {
        using var ok200 = new CallbackListener(getStatus: 200);
        var r = await Subscribe(new { callbackUri = ok200.Url() });
        r.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        var problem = await Json(r);
        problem.GetProperty("field").GetString().ShouldBe("callbackUri");
        problem.GetProperty("detail").GetString()!.ShouldContain($"GET {ok200.Url()} answered 200 OK, not 204");
        (await ok200.NextAsync("GET")).Path.ShouldBe("/hook");

        // Nothing listening, and a listener that never answers: refused too, the latter after the 2 s bound.
        using var silent = new CallbackListener(answerGet: false);
        var sw = System.Diagnostics.Stopwatch.StartNew();
        var slow = await Json(await Subscribe(new { callbackUri = silent.Url() }));
        sw.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(10));
        slow.GetProperty("detail").GetString()!.ShouldContain("did not answer within 2 s");
        var closedPort = new CallbackListener();
        var closed = closedPort.Url();
        closedPort.Dispose();
        (await Json(await Subscribe(new { callbackUri = closed }))).GetProperty("field").GetString().ShouldBe("callbackUri");

        (await Json(await _http.GetAsync("/api/v1/subscriptions"))).GetArrayLength().ShouldBe(0);
    }

    [Theory]
    [InlineData("http://192.0.2.1:9/hook", "is not loopback")] // TEST-NET: never routed; refused before any packet
    [InlineData("http://10.72.0.5/hook", "is not loopback")] // private, outside this daemon's lab subnet (10.71.0.0/16)
    [InlineData("http://[2001:db8::1]:9/hook", "is not loopback")]
    [InlineData("http://10.71.0.7:5201/hook", "in the lab subnet 10.71.0.0/16")] // a tenant must not make the daemon probe the lab
    [InlineData("http://10.71.0.1/hook", "in the lab subnet 10.71.0.0/16")] // the lab's own gateway
    [InlineData("http://169.254.169.254/latest/meta-data/", "metadata")]
    [InlineData("http://169.254.10.1/hook", "link-local")]
    [InlineData("http://[fe80::1]:80/hook", "link-local")]
    [InlineData("http://[fd00:ec2::254]/hook", "metadata")]
    [InlineData("http://[::ffff:169.254.169.254]/hook", "metadata")] // IPv4-mapped: the same address
    public async Task Callback_outside_loopback_is_refused_in_one_line_saying_why(string uri, string why)
    {
        var r = await Subscribe(new { callbackUri = uri });
        r.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        var problem = await Json(r);
        problem.GetProperty("field").GetString().ShouldBe("callbackUri");
        var detail = problem.GetProperty("detail").GetString()!;
        detail.ShouldContain(why);
        detail.ShouldContain("use a loopback address");
        detail.ShouldNotContain("\n");
        (await Json(await _http.GetAsync("/api/v1/subscriptions"))).GetArrayLength().ShouldBe(0);
    }

    [Fact]
    public async Task The_webhook_client_connects_only_to_allowed_addresses_even_for_a_stored_subscription()
    {
        var policy = _factory.Services.GetRequiredService<CallbackPolicy>();
        policy.Allows(IPAddress.Parse("127.3.2.1")).ShouldBeTrue();
        policy.Allows(IPAddress.IPv6Loopback).ShouldBeTrue();
        policy.Allows(IPAddress.Parse("::ffff:127.0.0.1")).ShouldBeTrue();
        policy.Allows(IPAddress.Parse("10.71.200.3")).ShouldBeFalse("the lab subnet is refused: webhooks must not probe the lab");
        policy.Allows(IPAddress.Parse("169.254.169.254")).ShouldBeFalse();
        policy.Allows(IPAddress.Parse("10.72.0.1")).ShouldBeFalse();
        policy.Allows(IPAddress.Parse("192.0.2.1")).ShouldBeFalse();
        // A row written past the API (or an older store): the handler refuses at connect time, before any packet.
        using var http = new HttpClient(policy.CreateHandler());
        var e = await Should.ThrowAsync<HttpRequestException>(() => http.GetAsync("http://192.0.2.1:9/hook"));
        e.ToString().ShouldContain("is not loopback");
        var lab = await Should.ThrowAsync<HttpRequestException>(() => http.GetAsync("http://10.71.0.9:5201/hook"));
        lab.ToString().ShouldContain("in the lab subnet");
    }

    [Fact]
    public async Task Bad_subscriptions_name_the_field()
    {
        async Task<string> Field(object body) => (await Json(await Subscribe(body))).GetProperty("field").GetString()!;
        (await Field(new { callbackUri = "ftp://x" })).ShouldBe("callbackUri");
        (await Field(new { callbackUri = "http://127.0.0.1:1/", filter = new { notificationTypes = new[] { "nope" } } })).ShouldBe("filter.notificationTypes[0]");
        (await Field(new { callbackUri = "http://127.0.0.1:1/", kinds = new[] { "nope" } })).ShouldBe("kinds[0]");
        (await Field(new { callbackUri = "http://127.0.0.1:1/", authentication = new { authType = new[] { "OAUTH2_CLIENT_CREDENTIALS" } } })).ShouldBe("authentication.authType[0]");
        (await Field(new { callbackUri = "http://127.0.0.1:1/", authentication = new { authType = new[] { "HMAC_SHA256" }, paramsHmac = new { secret = "short" } } }))
            .ShouldBe("authentication.paramsHmac.secret");
        (await Field(new { callbackUri = "http://127.0.0.1:1/", authentication = new { authType = new[] { "BASIC" }, paramsBasic = new { userName = "a:b", password = "x" } } }))
            .ShouldBe("authentication.paramsBasic.userName");
        (await Json(await _http.GetAsync("/api/v1/events?type=nope"))).GetProperty("field").GetString().ShouldBe("type");
    }

    /// <summary>The same event through the three channels: the same members, in the same order, with the same values.</summary>
    [Fact]
    public async Task Sse_webhook_and_stored_list_carry_the_same_json_for_one_event()
    {
        using var listener = new CallbackListener();
        (await Subscribe(new { callbackUri = listener.Url() })).StatusCode.ShouldBe(HttpStatusCode.Created);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        using var stream = await _http.GetAsync("/api/v1/events/stream", HttpCompletionOption.ResponseHeadersRead, cts.Token);
        using var reader = new StreamReader(await stream.Content.ReadAsStreamAsync(cts.Token));
        (await reader.ReadLineAsync(cts.Token)).ShouldBe(": connected");

        var raised = Hub.Raise(AlertKinds.VnfScaled, "default", "web", null, "web scaled from 1 to 3 replica(s)", "op-123", new { from = 1, to = 3 });
        var sse = await ReadEvent(reader, cts.Token);
        var webhook = JsonNode.Parse((await listener.NextAsync("POST")).Body)!;
        var stored = JsonNode.Parse(await _http.GetStringAsync("/api/v1/events"))!.AsArray().Single()!;
        var alias = JsonNode.Parse(await _http.GetStringAsync("/api/v1/alerts"))!.AsArray().Single()!;

        sse.Fields.ShouldContain($"id: {raised.Id}");
        sse.Fields.ShouldContain("event: vnf.scaled");
        string[] members = ["id", "notificationType", "timeStamp", "tenant", "vnf", "vnfInstanceId", "instance", "operation", "severity", "message", "data"];
        foreach (var e in new[] { sse.Data, webhook, stored, alias })
        {
            e.AsObject().Select(p => p.Key).ShouldBe(members);
            JsonNode.DeepEquals(e, stored).ShouldBeTrue($"{e.ToJsonString()}\n!=\n{stored.ToJsonString()}");
        }
        stored["notificationType"]!.GetValue<string>().ShouldBe("vnf.scaled");
        stored["operation"]!.GetValue<string>().ShouldBe("op-123");
        stored["severity"]!.GetValue<string>().ShouldBe("info");
        stored["data"]!["to"]!.GetValue<int>().ShouldBe(3);
        stored["instance"].ShouldBeNull();
        stored["timeStamp"]!.GetValue<string>().ShouldMatch(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$");
    }

    private static async Task<(List<string> Fields, JsonNode Data)> ReadEvent(StreamReader reader, CancellationToken ct)
    {
        var fields = new List<string>();
        string? line;
        while ((line = await reader.ReadLineAsync(ct)) is not null && !line.StartsWith("data:", StringComparison.Ordinal))
        {
            fields.Add(line);
        }
        return (fields, JsonNode.Parse(line!["data:".Length..])!);
    }

    [Fact]
    public async Task Sse_resumes_after_last_event_id_from_the_store()
    {
        var store = _factory.Services.GetRequiredService<PlatformStore>();
        var first = Hub.Raise(AlertKinds.InstanceFailed, "default", "web", "a", "one");
        Hub.Raise(AlertKinds.InstanceHealed, "default", "web", "a", "two");
        Hub.Raise(AlertKinds.OperationFailed, "default", "web", null, "three");
        store.PlatformEvents(first.Id).Count.ShouldBe(2);

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/events/stream?type=operation.failed,instance.healed");
        request.Headers.Add("Last-Event-ID", first.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        using var stream = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cts.Token);
        using var reader = new StreamReader(await stream.Content.ReadAsStreamAsync(cts.Token));
        (await ReadEvent(reader, cts.Token)).Data["message"]!.GetValue<string>().ShouldBe("two");
        (await ReadEvent(reader, cts.Token)).Data["message"]!.GetValue<string>().ShouldBe("three");
        (await reader.ReadLineAsync(cts.Token)).ShouldBe(""); // the end of the last replayed message
        (await reader.ReadLineAsync(cts.Token)).ShouldBe(": connected");
        Hub.Raise(AlertKinds.InstanceFailed, "default", "web", "a", "not of the types asked");
        Hub.Raise(AlertKinds.InstanceHealed, "default", "web", "a", "four");
        (await ReadEvent(reader, cts.Token)).Data["message"]!.GetValue<string>().ShouldBe("four");

        var since = JsonNode.Parse(await _http.GetStringAsync($"/api/v1/events?type=instance.failed&since={Uri.EscapeDataString(first.TimeStamp.ToString("O"))}"))!.AsArray();
        since.Select(e => e!["message"]!.GetValue<string>()).ShouldBe(["one", "not of the types asked"]);
    }

    public void Dispose()
    {
        _http.Dispose();
        _factory.Dispose();
    }
}
