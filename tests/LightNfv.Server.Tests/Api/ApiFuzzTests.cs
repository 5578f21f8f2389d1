using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using LightNfv.Core.Configuration;
using LightNfv.Platform.Composition;
using LightNfv.Platform.Store;
using LightNfv.Server.Daemon;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace LightNfv.Server.Tests.Api;

/// <summary>
/// A bounded random fuzz of the API (issue 16): thousands of requests built from every mapped route with odd ids,
/// odd query values, malformed and hostile JSON and YAML, huge bodies, wrong media types and methods. No answer may
/// be a 5xx, and a rejected request must leave the store exactly as it was. The seed is printed and can be replayed
/// with LIGHTNFV_FUZZ_SEED; LIGHTNFV_FUZZ_REQUESTS raises the count.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class ApiFuzzTests : IAsyncLifetime
{
    private readonly string _state = Path.Combine(Path.GetTempPath(), $"lnfvs-fuzz-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3))}");
    private readonly ITestOutputHelper _output;
    private DaemonOptions _options = null!;
    private WebApplication _app = null!;
    private HttpClient _http = null!;

    public ApiFuzzTests(ITestOutputHelper output) => _output = output;

    /// <summary>
    /// The real daemon on its unix socket (Kestrel: its own limits and parsing are part of what is fuzzed, which the
    /// in-process test server skips), without its loops: accepted operations stay queued, so the store moves only by
    /// the requests themselves.
    /// </summary>
    public async ValueTask InitializeAsync()
    {
        var tag = Path.GetFileName(_state)[^6..];
        _options = new DaemonOptions
        {
            Host = new PlatformOptions
            {
                StateDirectory = _state,
                LabNamespace = $"lnfvs-f{tag}",
                CgroupParent = $"lightnfv-ftest-{tag}",
                Subnet = "10.73.0.0/16",
            },
            UnixSocket = Path.Combine(_state, "api.sock"),
            RunLoops = false,
        };
        _app = ServerApp.Build([], _options);
        await _app.StartAsync();
        var socket = _options.SocketPath;
        _http = new HttpClient(new SocketsHttpHandler
        {
            ConnectCallback = async (_, ct) =>
            {
                var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                await s.ConnectAsync(new UnixDomainSocketEndPoint(socket), ct);
                return new NetworkStream(s, ownsSocket: true);
            },
        })
        { BaseAddress = new Uri("http://lightnfv/") };
    }

    private const string Seeded = "web";

    private static string Descriptor(string name, string extra = "") =>
        $"apiVersion: lightnfv/v1\nkind: Vnf\nmetadata: {{name: {name}}}\nspec:\n  technology: process\n  app: {{builtin: tcp-echo}}\n{extra}";

    /// <summary>Names the handlers bind from JSON bodies, so that random documents reach past the first type check.</summary>
    private static readonly string[] s_fields =
    [
        "replicas", "version", "instanceId", "all", "yaml", "callbackUri", "kinds", "filter", "notificationTypes", "vnfNames",
        "tenant", "authentication", "authType", "paramsBasic", "paramsHmac", "secret", "userName", "password", "vnfdId",
        "vnfInstanceName", "vnfInstanceDescription", "metadata", "flavourId", "instantiationLevelId", "type", "aspectId",
        "numberOfSteps", "scaleInfo", "scaleLevel", "cause", "vnfcInstanceId", "additionalParams", "changeStateTo", "stopType",
        "gracefulStopTimeout", "newFlavourId", "vcpus", "memoryMiB", "pids", "terminationType", "gracefulTerminationTimeout",
    ];

    private static readonly string[] s_strings =
    [
        "", " ", "x", Seeded, "default", "../../etc/passwd", "%00", "\u0000", "\u202e", "😀", "SCALE_OUT", "STARTED", "STOPPED",
        "FORCEFUL", "GRACEFUL", "http://127.0.0.1:1/", "http://169.254.169.254/latest", "file:///etc/shadow", "javascript:1",
        "lightnfv/v1", "process", "unikernel", "kvm", "${HOME}", "'; DROP TABLE instances; --", "*", "-1", "1e309", "NaN",
    ];

    private static readonly string[] s_ids =
    [
        Seeded, "x", "-1", "0", "99999999999999999999", "..", "..%2F..", "%2e%2e", "%00", "%01", "%ff", "a%20b", "%E2%80%AE",
        "00000000-0000-0000-0000-000000000000", "web-1", "default", "%7B%7D", new string('a', 300), "%F0%9F%98%80",
    ];

    private static readonly string?[] s_mediaTypes =
    [
        "application/json", "application/json", "application/json", "application/yaml", "application/x-yaml", "text/yaml",
        "text/plain", "application/xml", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
        "application/json; charset=utf-16", "application/merge-patch+json", null,
    ];

    private static readonly string[] s_methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];

    [Fact]
    public async Task Thousands_of_random_requests_answer_no_5xx_and_rejected_ones_change_nothing()
    {
        var seed = int.TryParse(Environment.GetEnvironmentVariable("LIGHTNFV_FUZZ_SEED"), CultureInfo.InvariantCulture, out var s)
            ? s : RandomNumberGenerator.GetInt32(int.MaxValue);
        var count = int.TryParse(Environment.GetEnvironmentVariable("LIGHTNFV_FUZZ_REQUESTS"), CultureInfo.InvariantCulture, out var n)
            ? n : 5000;
        _output.WriteLine($"seed {seed} (replay: LIGHTNFV_FUZZ_SEED={seed}), {count} requests");
        var random = new Random(seed);

        // Something to find: a stored descriptor (not instantiated), so routes by name go past their 404.
        using (var content = new StringContent(Descriptor(Seeded), Encoding.UTF8, "application/yaml"))
        {
            (await _http.PostAsync("api/v1/descriptors", content)).EnsureSuccessStatusCode();
        }
        var routes = Routes();
        routes.Count.ShouldBeGreaterThan(20, "the fuzz should see every mapped route");

        var failures = new List<string>();
        var statuses = new SortedDictionary<int, int>();
        var cutOff = 0;
        var slowest = new List<(double Ms, string What)>();
        var before = Snapshot();
        for (var i = 0; i < count && failures.Count < 20; i++)
        {
            var (method, url, body, mediaType) = Request(random, routes);
            int status;
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            try
            {
                status = await Send(method, url, body, mediaType);
                slowest.Add((System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds, $"{method} {url} {body.Length}B"));
            }
            catch (Exception e) when (e is HttpRequestException or IOException or TaskCanceledException)
            {
                // The server may answer without reading the body and close the connection under a client still
                // sending it: a body over the route's limit, or a request line Kestrel refuses (a NUL in the path).
                // Without the body the same request must then be answered, and not with a 5xx.
                var again = await SendOrNull(method, url);
                if (again is null or >= 500)
                {
                    failures.Add($"#{i} {method} {url} [{mediaType}] {Shorten(body)}: no answer ({e.GetType().Name}: {e.Message}), and {again?.ToString(CultureInfo.InvariantCulture) ?? "none"} without the body");
                }
                cutOff++;
                (await _http.GetAsync("healthz")).EnsureSuccessStatusCode();
                before = await Settled();
                continue;
            }
            statuses[status] = statuses.GetValueOrDefault(status) + 1;
            if (status >= 500)
            {
                failures.Add($"#{i} {method} {url} [{mediaType}] {Shorten(body)}: {status}");
            }
            if (status < 400)
            {
                // Accepted: a new baseline once whatever it started has settled (an operation, its replicas).
                before = await Settled();
                continue;
            }
            var after = Snapshot();
            if (Changed(before, after) is { } table)
            {
                failures.Add($"#{i} {method} {url} [{mediaType}] {Shorten(body)}: answered {status} but changed table {table}");
                before = await Settled();
            }
        }
        _output.WriteLine("statuses: " + string.Join(", ", statuses.Select(p => $"{p.Key}x{p.Value}")) + $"; {cutOff} requests cut off");
        foreach (var (ms, what) in slowest.OrderByDescending(x => x.Ms).Take(10))
        {
            _output.WriteLine($"{ms:0} ms {Shorten(what)}");
        }
        _output.WriteLine($"total in requests {slowest.Sum(x => x.Ms):0} ms");
        failures.ShouldBeEmpty($"seed {seed}:\n" + string.Join('\n', failures));
        statuses.Keys.Count(k => k >= 400).ShouldBeGreaterThan(3, "the fuzz should reach several kinds of rejection");
    }

    private sealed record Route(RoutePattern Pattern, string[] Methods, string[] Query);

    private List<Route> Routes() =>
        _app.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            // The event stream never ends; it is fuzzed by its query only, with a bound below.
            .Select(e => new Route(e.RoutePattern,
                [.. e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET"]],
                QueryNames(e.RoutePattern, e.Metadata.OfType<MethodInfo>().FirstOrDefault())))
            .ToList();

    private static string[] QueryNames(RoutePattern pattern, MethodInfo? handler)
    {
        var route = pattern.Parameters.Select(p => p.Name).ToHashSet(StringComparer.OrdinalIgnoreCase);
        return handler?.GetParameters()
            .Where(p => p.Name is not null && !route.Contains(p.Name))
            .Where(p => (Nullable.GetUnderlyingType(p.ParameterType) ?? p.ParameterType) is var t && (t.IsPrimitive || t == typeof(string) || t.IsEnum || t == typeof(DateTimeOffset)))
            .Select(p => p.Name!)
            .Concat(["limit", "offset", "filter", "tenant"])
            .Distinct()
            .ToArray() ?? ["limit", "offset", "filter", "tenant"];
    }

    private static (string Method, string Url, string Body, string? MediaType) Request(Random random, List<Route> routes)
    {
        var route = routes[random.Next(routes.Count)];
        // Mostly the route's own method; sometimes any other.
        var method = random.Next(8) == 0 ? s_methods[random.Next(s_methods.Length)] : route.Methods[random.Next(route.Methods.Length)];
        var path = "/" + string.Join('/', route.Pattern.PathSegments.Select(segment => string.Concat(segment.Parts.Select(part => part switch
        {
            RoutePatternLiteralPart l => l.Content,
            RoutePatternParameterPart => random.Next(3) == 0 ? Seeded : s_ids[random.Next(s_ids.Length)],
            RoutePatternSeparatorPart sep => sep.Content,
            _ => "",
        }))));
        var query = new List<string>();
        foreach (var name in route.Query)
        {
            if (random.Next(3) == 0)
            {
                query.Add($"{name}={Uri.EscapeDataString(QueryValue(random))}");
            }
        }
        if (random.Next(10) == 0)
        {
            query.Add($"{Uri.EscapeDataString(s_strings[random.Next(s_strings.Length)])}={Uri.EscapeDataString(QueryValue(random))}");
        }
        // Following the event stream would never end.
        if (path.EndsWith("/stream", StringComparison.Ordinal) || path.EndsWith("/logs", StringComparison.Ordinal))
        {
            query.RemoveAll(q => q.StartsWith("follow=", StringComparison.Ordinal));
        }
        var url = query.Count == 0 ? path : path + "?" + string.Join('&', query);
        var mediaType = s_mediaTypes[random.Next(s_mediaTypes.Length)];
        var body = method is "GET" or "HEAD" or "OPTIONS" ? "" : Body(random, mediaType);
        return (method, url, body, mediaType);
    }

    private static string QueryValue(Random random) => random.Next(5) switch
    {
        0 => random.NextInt64(long.MinValue, long.MaxValue).ToString(CultureInfo.InvariantCulture),
        1 => random.Next(-3, 1000).ToString(CultureInfo.InvariantCulture),
        2 => random.Next(2) == 0 ? "true" : "2026-13-45T99:99:99Z",
        _ => s_strings[random.Next(s_strings.Length)],
    };

    private static string Body(Random random, string? mediaType) => random.Next(12) switch
    {
        0 => "",
        1 => RandomBytes(random, random.Next(1, 512)),
        // Over the small-body limit (64 KiB) and, sometimes, over the descriptor routes' too (1 MiB).
        2 => "{\"yaml\": \"" + new string('a', random.Next(2) == 0 ? 70_000 : 1_100_000) + "\"}",
        3 => new string('[', random.Next(10, 5000)) + new string(']', random.Next(0, 5000)),
        4 => Yaml(random),
        5 => Yaml(random),
        _ when mediaType is not null && mediaType.Contains("yaml", StringComparison.Ordinal) => Yaml(random),
        _ => Json(random, 0).ToString(),
    };

    private static string RandomBytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return Encoding.Latin1.GetString(bytes);
    }

    private static StringBuilder Json(Random random, int depth)
    {
        var sb = new StringBuilder();
        if (depth > 3 || random.Next(4) == 0)
        {
            return sb.Append(JsonScalar(random));
        }
        if (random.Next(5) == 0)
        {
            sb.Append('[');
            for (var i = random.Next(4); i > 0; i--)
            {
                sb.Append(Json(random, depth + 1)).Append(i > 1 ? "," : "");
            }
            return sb.Append(']');
        }
        sb.Append('{');
        for (var i = random.Next(5); i > 0; i--)
        {
            var name = random.Next(6) == 0 ? s_strings[random.Next(s_strings.Length)] : s_fields[random.Next(s_fields.Length)];
            sb.Append(System.Text.Json.JsonSerializer.Serialize(name)).Append(':').Append(Json(random, depth + 1)).Append(i > 1 ? "," : "");
        }
        // Sometimes truncated, or with a trailing comma.
        return random.Next(15) switch
        {
            0 => sb,
            1 => sb.Append(",}"),
            _ => sb.Append('}'),
        };
    }

    private static string JsonScalar(Random random) => random.Next(9) switch
    {
        0 => "null",
        1 => random.Next(2) == 0 ? "true" : "false",
        2 => random.Next(-5, 10).ToString(CultureInfo.InvariantCulture),
        3 => "99999999999999999999999",
        4 => "-1.5e400",
        5 => "\"\\ud800\"",
        _ => System.Text.Json.JsonSerializer.Serialize(s_strings[random.Next(s_strings.Length)]),
    };

    /// <summary>A descriptor with one part broken: a field removed, a value replaced, YAML's own hazards (aliases, tags, tabs).</summary>
    private static string Yaml(Random random)
    {
        var name = "fz" + random.Next(1000).ToString(CultureInfo.InvariantCulture);
        return random.Next(10) switch
        {
            0 => Descriptor(name).Replace("technology: process", "technology: " + s_strings[random.Next(s_strings.Length)], StringComparison.Ordinal),
            1 => Descriptor(name).Replace("apiVersion: lightnfv/v1\n", "", StringComparison.Ordinal),
            2 => Descriptor(name, "  resources: {vcpus: " + QueryValue(random) + ", memoryMiB: " + QueryValue(random) + "}\n"),
            3 => "a: &a [x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c]\n",
            4 => "!!python/object/apply:os.system ['true']\n",
            5 => Descriptor(name).Replace("  ", "\t", StringComparison.Ordinal),
            6 => Descriptor(name, "  scaling: {minReplicas: " + QueryValue(random) + ", maxReplicas: " + QueryValue(random) + "}\n"),
            7 => Descriptor(name, "  env: {" + s_strings[random.Next(s_strings.Length)] + ": 1}\n"),
            8 => Descriptor(s_strings[random.Next(s_strings.Length)]),
            _ => Descriptor(name)[..random.Next(1, Descriptor(name).Length)],
        };
    }

    private async Task<int> Send(string method, string url, string body, string? mediaType)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), url);
        if (method is not ("GET" or "HEAD" or "OPTIONS"))
        {
            request.Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
            if (mediaType is not null)
            {
                request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(mediaType);
            }
            // As curl does for large bodies: the server may refuse before the body is sent, and the client hears why
            // instead of writing into a connection the server has closed.
            request.Headers.ExpectContinue = body.Length > 16 * 1024;
        }
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cts.Token);
        return (int)response.StatusCode;
    }

    private async Task<int?> SendOrNull(string method, string url)
    {
        try
        {
            return await Send(method, url, "", null);
        }
        catch (Exception e) when (e is HttpRequestException or IOException or TaskCanceledException)
        {
            return null;
        }
    }

    /// <summary>
    /// Every row of every table, hashed per table: what a rejected request must not change. The audit trail is left
    /// out: recording refused calls is its job.
    /// </summary>
    private Dictionary<string, string> Snapshot()
    {
        var path = Path.Combine(_state, PlatformStore.FileName);
        using var db = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        db.Open();
        var tables = new List<string>();
        using (var list = db.CreateCommand())
        {
            list.CommandText = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT IN ('audit', 'audit_head') ORDER BY name";
            using var r = list.ExecuteReader();
            while (r.Read())
            {
                tables.Add(r.GetString(0));
            }
        }
        var snapshot = new Dictionary<string, string>();
        foreach (var table in tables)
        {
            using var select = db.CreateCommand();
            select.CommandText = $"SELECT * FROM \"{table}\" ORDER BY rowid";
            using var r = select.ExecuteReader();
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            while (r.Read())
            {
                for (var c = 0; c < r.FieldCount; c++)
                {
                    hash.AppendData(Encoding.UTF8.GetBytes((r.IsDBNull(c) ? "\u0001null" : Convert.ToString(r.GetValue(c), CultureInfo.InvariantCulture)) + "\u0000"));
                }
            }
            snapshot[table] = Convert.ToHexString(hash.GetHashAndReset());
        }
        return snapshot;
    }

    private static string? Changed(Dictionary<string, string> before, Dictionary<string, string> after) =>
        after.Keys.Union(before.Keys).FirstOrDefault(t => before.GetValueOrDefault(t) != after.GetValueOrDefault(t));

    /// <summary>The store once it has stopped moving (an accepted request's operation and replicas done), bounded.</summary>
    private async Task<Dictionary<string, string>> Settled()
    {
        var last = Snapshot();
        for (var i = 0; i < 250; i++)
        {
            await Task.Delay(20);
            var now = Snapshot();
            if (Changed(last, now) is null)
            {
                return now;
            }
            last = now;
        }
        return last;
    }

    private static string Shorten(string s) => s.Length > 120 ? s[..120] + "..." : s;

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        using (var platform = PlatformServices.Open(_options.Host))
        {
            await platform.Instances.DownAsync();
        }
        File.Exists(Path.Combine("/run/netns", _options.Host.LabNamespace)).ShouldBeFalse("the lab namespace survived down");
        Directory.Delete(_state, recursive: true);
    }
}
