using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using LightNfv.Platform.Alerts;
using LightNfv.Platform.Store;
using LightNfv.Server.Daemon;
using LightNfv.Server.Tests.Events;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace LightNfv.Server.Tests.Daemon;

/// <summary>
/// The API's hardening on the in-process daemon: a rate limit per caller answered with 429 problem details and
/// Retry-After; an unexpected failure answered as a problem without internals; webhook secrets absent from every answer
/// and from the daemon's log.
/// </summary>
public sealed class HardeningTests : IDisposable
{
    private readonly ServerFactory _factory = new();
    private readonly LogCollector _log = new();

    public void Dispose() => _factory.Dispose();

    private HttpClient Client(CallerRateLimit? limit = null) => _factory.WithWebHostBuilder(b =>
    {
        b.ConfigureLogging(l => l.AddProvider(_log));
        b.ConfigureTestServices(s =>
        {
            if (limit is not null)
            {
                s.AddSingleton(_factory.Options with { RateLimit = limit });
            }
        });
    }).CreateClient();

    private async Task<HttpResponseMessage> Send(HttpClient http, string path, string? caller = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (caller is not null)
        {
            TestCaller.Authorize(request, _factory.Services.GetRequiredService<PlatformStore>(), caller);
        }
        return await http.SendAsync(request);
    }

    [Fact]
    public async Task A_caller_over_its_rate_gets_429_problem_details_with_retry_after_and_other_callers_do_not()
    {
        using var http = Client(new CallerRateLimit(1, 3));
        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage? limited = null;
        for (var i = 0; i < 8; i++)
        {
            var r = await Send(http, "/api/v1/status");
            statuses.Add(r.StatusCode);
            if (r.StatusCode == HttpStatusCode.TooManyRequests)
            {
                limited ??= r;
            }
        }
        statuses.Take(3).ShouldAllBe(s => s == HttpStatusCode.OK, "the burst passes");
        limited.ShouldNotBeNull(string.Join(", ", statuses));
        limited.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
        limited.Headers.RetryAfter.ShouldNotBeNull().Delta.ShouldNotBeNull().TotalSeconds.ShouldBeGreaterThanOrEqualTo(1);
        var problem = JsonDocument.Parse(await limited.Content.ReadAsStringAsync()).RootElement;
        problem.GetProperty("status").GetInt32().ShouldBe(429);
        problem.GetProperty("detail").GetString()!.ShouldContain("LIGHTNFV_RATE_LIMIT");

        // Another caller has its own bucket.
        (await Send(http, "/api/v1/status", "token:other/default/viewer")).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public void The_rate_limit_is_generous_by_default_and_configurable_with_a_clear_error()
    {
        CallerRateLimit.Default.PermitsPerSecond.ShouldBeGreaterThanOrEqualTo(100);
        CallerRateLimit.Parse("20").ShouldBe(new CallerRateLimit(20, 40));
        CallerRateLimit.Parse("20/5").ShouldBe(new CallerRateLimit(20, 5));
        CallerRateLimit.Parse("0").Enabled.ShouldBeFalse();
        Should.Throw<Core.Errors.LightNfvException>(() => CallerRateLimit.Parse("fast")).Message.ShouldContain("LIGHTNFV_RATE_LIMIT");
    }

    [Fact]
    public async Task An_unexpected_failure_is_a_500_problem_without_a_stack_trace_or_internals()
    {
        using var http = Client();
        (await Send(http, "/api/v1/vnfs")).StatusCode.ShouldBe(HttpStatusCode.OK);
        // Damage the store under the daemon (as a disk error or a stray sqlite3 would): the next read throws a SqliteException.
        var path = _factory.Services.GetRequiredService<PlatformStore>().FilePath;
        using (var db = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            db.Open();
            using var cmd = db.CreateCommand();
            cmd.CommandText = "DROP TABLE deployments";
            cmd.ExecuteNonQuery();
        }
        var r = await Send(http, "/api/v1/vnfs");
        var body = await r.Content.ReadAsStringAsync();
        r.StatusCode.ShouldBe(HttpStatusCode.InternalServerError, body);
        r.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
        var problem = JsonDocument.Parse(body).RootElement;
        problem.GetProperty("status").GetInt32().ShouldBe(500);
        problem.GetProperty("detail").GetString()!.ShouldContain("trace");
        body.ShouldNotContain("deployments");
        body.ShouldNotContain("Sqlite");
        body.ShouldNotContain("Exception");
        body.ShouldNotContain(" at LightNfv");
        body.ShouldNotContain(".cs:line");
        // The log has it, for the operator.
        _log.Text.ShouldContain("no such table");
    }

    [Fact]
    public async Task Webhook_secrets_are_never_returned_after_creation_nor_logged()
    {
        const string hmac = "hmac-secret-9f8e7d6c5b4a3210";
        const string password = "basic-password-0a1b2c3d4e5f";
        using var http = Client();
        using var signed = new CallbackListener();
        using var basic = new CallbackListener();
        var answers = new StringBuilder();
        async Task<string> Read(HttpResponseMessage r)
        {
            var text = await r.Content.ReadAsStringAsync();
            answers.Append(text).Append(r.Headers).Append('\n');
            return text;
        }
        var a = await http.PostAsJsonAsync("/api/v1/subscriptions", new
        {
            callbackUri = signed.Url(),
            authentication = new { authType = new[] { "HMAC_SHA256" }, paramsHmac = new { secret = hmac } },
        });
        a.StatusCode.ShouldBe(HttpStatusCode.Created, await Read(a));
        var b = await http.PostAsJsonAsync("/api/v1/subscriptions", new
        {
            callbackUri = basic.Url(),
            authentication = new { authType = new[] { "BASIC" }, paramsBasic = new { userName = "hook", password } },
        });
        b.StatusCode.ShouldBe(HttpStatusCode.Created, await Read(b));
        // A refused one (callback on the lab subnet): its secret is not in the refusal either.
        var refused = await http.PostAsJsonAsync("/api/v1/subscriptions", new
        {
            callbackUri = "http://10.71.0.9:9/hook",
            authentication = new { authType = new[] { "HMAC_SHA256" }, paramsHmac = new { secret = hmac } },
        });
        refused.StatusCode.ShouldBe(HttpStatusCode.BadRequest, await Read(refused));

        // Deliveries happen (signed, authenticated), and everything a client can read afterwards is collected.
        _factory.Services.GetRequiredService<AlertHub>().Raise(AlertKinds.InstanceHealed, "default", "web", "abc", "healed");
        (await signed.NextAsync("POST")).Headers["X-LightNFV-Signature"].ShouldStartWith("sha256=");
        (await basic.NextAsync("POST")).Headers["Authorization"].ShouldStartWith("Basic ");
        foreach (var path in new[] { "/api/v1/subscriptions", "/api/v1/events", "/api/v1/audit", "/api/v1/status", "/metrics", "/vnflcm/v1/subscriptions" })
        {
            await Read(await Send(http, path));
        }
        var all = answers.ToString();
        all.ShouldContain("subscription.create", customMessage: "the audit trail was read");
        all.ShouldNotContain(hmac);
        all.ShouldNotContain(password);
        _log.Text.Length.ShouldBeGreaterThan(0);
        _log.Text.ShouldNotContain(hmac);
        _log.Text.ShouldNotContain(password);
    }

    /// <summary>Every line the daemon logs (message and exception), as its console would show them.</summary>
    private sealed class LogCollector : ILoggerProvider
    {
        private readonly ConcurrentQueue<string> _lines = new();

        public string Text => string.Join('\n', _lines);

        public ILogger CreateLogger(string categoryName) => new Logger(categoryName, _lines);

        public void Dispose()
        {
        }

        private sealed class Logger(string category, ConcurrentQueue<string> lines) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                lines.Enqueue($"{logLevel} {category}: {formatter(state, exception)} {exception}");
        }
    }
}
