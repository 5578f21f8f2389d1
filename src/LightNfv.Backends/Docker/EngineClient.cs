using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using LightNfv.Host.UnixSockets;

namespace LightNfv.Backends.Docker;

/// <summary>
/// The Docker Engine API over dockerd's unix socket, with HttpClient: JSON in, JSON out, errors of the form
/// {"message": "..."} turned into <see cref="EngineException"/>. Only what the docker backend needs.
/// </summary>
/// <remarks>
/// Over 400 lines because it is the whole client in one place: each call is a few lines, and the image import and
/// log stream need their own framing. Kept instead of Docker.DotNet 3.125.15 (which the mirror serves): that package
/// is netstandard2.x from May 2023, serializes with Newtonsoft.Json by reflection and brings its own HTTP/1.1 stack
/// (Microsoft.Net.Http.Client.ManagedHandler); this client is on the timed instantiation path and uses the
/// platform's one unix-socket handler (<see cref="UnixHttp"/>) and System.Text.Json like the rest of LightNFV.
/// </remarks>
public sealed class EngineClient : IDisposable
{
    /// <summary>The newest API version LightNFV speaks; an older daemon is spoken to in its own version.</summary>
    public const string MaxApiVersion = "1.41";

    /// <summary>Oldest version with every field the backend sends (NanoCpus came in 1.25).</summary>
    public const string MinApiVersion = "1.25";

    private readonly HttpClient _http;

    /// <summary>A client for the daemon listening on <paramref name="socketPath"/>.</summary>
    public EngineClient(string socketPath) : this(UnixSocketHandler(socketPath), socketPath)
    {
    }

    /// <summary>A client over any transport (the unit tests pass a fake one).</summary>
    public EngineClient(HttpMessageHandler handler, string endpoint)
    {
        Endpoint = endpoint;
        _http = new HttpClient(handler)
        {
            // The host part is ignored by the unix-socket transport; the API wants a Host header all the same.
            BaseAddress = new Uri("http://docker/"),
            // Per-call deadlines come from the caller's token; a stop may legitimately wait its grace period.
            Timeout = Timeout.InfiniteTimeSpan,
        };
    }

    /// <summary>The socket path (or a test's name for the transport).</summary>
    public string Endpoint { get; }

    /// <summary>The API version requests use, settled by <see cref="PingAsync"/>.</summary>
    public string ApiVersion { get; private set; } = MaxApiVersion;

    private static SocketsHttpHandler UnixSocketHandler(string socketPath)
    {
        var handler = UnixHttp.Handler(socketPath, int.MaxValue);
        handler.UseProxy = false;
        handler.PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30);
        return handler;
    }

    private string V(string path) => $"v{ApiVersion}/{path}";

    /// <summary>GET /_ping: whether the daemon answers, and the API version to speak (the lower of its and ours).</summary>
    public async Task<string> PingAsync(CancellationToken cancellationToken)
    {
        using var response = await SendAsync(new HttpRequestMessage(HttpMethod.Get, "_ping"), "ping", cancellationToken).ConfigureAwait(false);
        await EnsureSuccessAsync(response, "ping", cancellationToken).ConfigureAwait(false);
        if (response.Headers.TryGetValues("Api-Version", out var values) && values.FirstOrDefault() is { } server)
        {
            if (Compare(server, MinApiVersion) < 0)
            {
                throw new EngineException(0, "ping", $"API version {server} is too old; LightNFV needs {MinApiVersion} or newer (docker 1.13+)");
            }
            ApiVersion = Compare(server, MaxApiVersion) < 0 ? server : MaxApiVersion;
        }
        return ApiVersion;
    }

    /// <summary>GET /version: the engine's version string.</summary>
    public async Task<string> VersionAsync(CancellationToken cancellationToken)
    {
        using var doc = await GetJsonAsync(V("version"), "version", cancellationToken).ConfigureAwait(false);
        return doc!.RootElement.TryGetProperty("Version", out var v) ? v.GetString() ?? "unknown" : "unknown";
    }

    /// <summary>GET /info: the daemon's cgroup driver ("cgroupfs" or "systemd").</summary>
    public async Task<string> CgroupDriverAsync(CancellationToken cancellationToken)
    {
        using var doc = await GetJsonAsync(V("info"), "info", cancellationToken).ConfigureAwait(false);
        return doc!.RootElement.TryGetProperty("CgroupDriver", out var v) ? v.GetString() ?? "cgroupfs" : "cgroupfs";
    }

    /// <summary>
    /// POST /images/create?fromSrc=-: imports a root filesystem tarball (dockerd accepts it gzipped) as a one-layer image
    /// tagged <paramref name="repository"/>:<paramref name="tag"/>. Returns the image id.
    /// </summary>
    public async Task<string> ImportImageAsync(string tarPath, string repository, string tag, CancellationToken cancellationToken)
    {
        var operation = $"import {tarPath} as {repository}:{tag}";
        await using var file = new FileStream(tarPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
        var content = new StreamContent(file, 1 << 16);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-tar");
        var request = new HttpRequestMessage(HttpMethod.Post,
            V($"images/create?fromSrc=-&repo={Uri.EscapeDataString(repository)}&tag={Uri.EscapeDataString(tag)}"))
        { Content = content };
        using var response = await SendAsync(request, operation, cancellationToken).ConfigureAwait(false);
        await EnsureSuccessAsync(response, operation, cancellationToken).ConfigureAwait(false);
        // A stream of JSON progress messages; a failure midway still answers 200 and says so in an "error" message.
        var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        return ParseImportResult(body, operation);
    }

    internal static string ParseImportResult(string body, string operation)
    {
        string? id = null;
        foreach (var line in SplitJsonStream(body))
        {
            using var doc = JsonDocument.Parse(line);
            var root = doc.RootElement;
            if (root.TryGetProperty("error", out var error))
            {
                var message = root.TryGetProperty("errorDetail", out var detail) && detail.TryGetProperty("message", out var m)
                    ? m.GetString() : error.GetString();
                throw new EngineException(200, operation, message ?? "import failed");
            }
            if (root.TryGetProperty("status", out var status) && status.GetString() is { } s && s.StartsWith("sha256:", StringComparison.Ordinal))
            {
                id = s;
            }
        }
        return id ?? throw new EngineException(200, operation, $"no image id in the answer: {Truncate(body)}");
    }

    /// <summary>Splits a stream of concatenated JSON objects (dockerd writes one per line, but does not promise it).</summary>
    private static IEnumerable<string> SplitJsonStream(string body)
    {
        var depth = 0;
        var start = -1;
        var inString = false;
        for (var i = 0; i < body.Length; i++)
        {
            var c = body[i];
            if (inString)
            {
                if (c == '\\')
                {
                    i++;
                }
                else if (c == '"')
                {
                    inString = false;
                }
                continue;
            }
            switch (c)
            {
                case '"':
                    inString = true;
                    break;
                case '{':
                    if (depth++ == 0)
                    {
                        start = i;
                    }
                    break;
                case '}':
                    if (--depth == 0 && start >= 0)
                    {
                        yield return body[start..(i + 1)];
                        start = -1;
                    }
                    break;
            }
        }
    }

    /// <summary>GET /images/{name}/json; null when there is no such image.</summary>
    public async Task<ImageInfo?> InspectImageAsync(string reference, CancellationToken cancellationToken)
    {
        using var doc = await GetJsonAsync(V($"images/{Uri.EscapeDataString(reference)}/json"), $"inspect image {reference}", cancellationToken, nullIfNotFound: true)
            .ConfigureAwait(false);
        if (doc is null)
        {
            return null;
        }
        var root = doc.RootElement;
        return new ImageInfo(root.GetProperty("Id").GetString()!, root.TryGetProperty("Size", out var size) ? size.GetInt64() : 0);
    }

    /// <summary>DELETE /images/{name}; false when there is no such image or it is in use.</summary>
    public async Task<bool> RemoveImageAsync(string reference, CancellationToken cancellationToken)
    {
        var operation = $"remove image {reference}";
        using var response = await SendAsync(new HttpRequestMessage(HttpMethod.Delete, V($"images/{Uri.EscapeDataString(reference)}")), operation, cancellationToken)
            .ConfigureAwait(false);
        if (response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Conflict)
        {
            return false;
        }
        await EnsureSuccessAsync(response, operation, cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>POST /containers/create?name=; returns the container id.</summary>
    public async Task<string> CreateContainerAsync(string name, ContainerRequest request, CancellationToken cancellationToken)
    {
        var operation = $"create container {name}";
        var message = new HttpRequestMessage(HttpMethod.Post, V($"containers/create?name={Uri.EscapeDataString(name)}"))
        {
            Content = new StringContent(request.ToJson().ToJsonString(), Encoding.UTF8, "application/json"),
        };
        using var response = await SendAsync(message, operation, cancellationToken).ConfigureAwait(false);
        await EnsureSuccessAsync(response, operation, cancellationToken).ConfigureAwait(false);
        using var doc = await ReadJsonAsync(response, operation, cancellationToken).ConfigureAwait(false);
        return doc.RootElement.GetProperty("Id").GetString() ?? throw new EngineException((int)response.StatusCode, operation, "no container id in the answer");
    }

    /// <summary>POST /containers/{id}/update: new resource limits for a container, running or not (docker update).</summary>
    public async Task UpdateContainerAsync(string id, JsonObject resources, CancellationToken cancellationToken)
    {
        var operation = $"update container {id}";
        var message = new HttpRequestMessage(HttpMethod.Post, V($"containers/{Uri.EscapeDataString(id)}/update"))
        {
            Content = new StringContent(resources.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        using var response = await SendAsync(message, operation, cancellationToken).ConfigureAwait(false);
        await EnsureSuccessAsync(response, operation, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>POST /containers/{id}/start; a container already running is fine (304).</summary>
    public Task StartContainerAsync(string id, CancellationToken cancellationToken) =>
        PostAsync($"containers/{Uri.EscapeDataString(id)}/start", $"start container {id}", cancellationToken);

    /// <summary>POST /containers/{id}/stop?t=: SIGTERM, SIGKILL after <paramref name="grace"/>; a stopped container is fine (304).</summary>
    public Task StopContainerAsync(string id, TimeSpan grace, CancellationToken cancellationToken) =>
        PostAsync($"containers/{Uri.EscapeDataString(id)}/stop?t={WholeSeconds(grace)}", $"stop container {id}", cancellationToken);

    /// <summary>POST /containers/{id}/kill (SIGKILL).</summary>
    public Task KillContainerAsync(string id, CancellationToken cancellationToken) =>
        PostAsync($"containers/{Uri.EscapeDataString(id)}/kill", $"kill container {id}", cancellationToken);

    /// <summary>POST /containers/{id}/pause: dockerd freezes the container's cgroup (a quarantine).</summary>
    public Task PauseContainerAsync(string id, CancellationToken cancellationToken) =>
        PostAsync($"containers/{Uri.EscapeDataString(id)}/pause", $"pause container {id}", cancellationToken);

    /// <summary>POST /containers/{id}/unpause.</summary>
    public Task UnpauseContainerAsync(string id, CancellationToken cancellationToken) =>
        PostAsync($"containers/{Uri.EscapeDataString(id)}/unpause", $"unpause container {id}", cancellationToken);

    /// <summary>DELETE /containers/{id}?force=1&amp;v=1 (kills it if it runs); false when there is no such container.</summary>
    public async Task<bool> RemoveContainerAsync(string id, bool force, CancellationToken cancellationToken)
    {
        var operation = $"remove container {id}";
        using var response = await SendAsync(
            new HttpRequestMessage(HttpMethod.Delete, V($"containers/{Uri.EscapeDataString(id)}?force={(force ? 1 : 0)}&v=1")), operation, cancellationToken)
            .ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }
        await EnsureSuccessAsync(response, operation, cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>GET /containers/{id}/json; null when there is no such container.</summary>
    public async Task<ContainerInfo?> InspectContainerAsync(string id, CancellationToken cancellationToken)
    {
        using var doc = await GetJsonAsync(V($"containers/{Uri.EscapeDataString(id)}/json"), $"inspect container {id}", cancellationToken, nullIfNotFound: true)
            .ConfigureAwait(false);
        return doc is null ? null : ParseContainer(doc.RootElement);
    }

    internal static ContainerInfo ParseContainer(JsonElement root)
    {
        var state = root.GetProperty("State");
        DateTimeOffset? started = state.TryGetProperty("StartedAt", out var s) &&
            DateTimeOffset.TryParse(s.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) && t.Year > 1
            ? t : null;
        return new ContainerInfo(
            root.GetProperty("Id").GetString()!,
            root.TryGetProperty("Name", out var n) ? n.GetString()?.TrimStart('/') ?? "" : "",
            state.TryGetProperty("Status", out var st) ? st.GetString() ?? "" : "",
            state.TryGetProperty("Running", out var r) && r.GetBoolean(),
            state.TryGetProperty("Pid", out var p) ? p.GetInt32() : 0,
            state.TryGetProperty("ExitCode", out var e) ? e.GetInt32() : 0,
            state.TryGetProperty("OOMKilled", out var o) && o.GetBoolean(),
            started,
            state.TryGetProperty("Error", out var err) && err.GetString() is { Length: > 0 } es ? es : null,
            root.TryGetProperty("LogPath", out var l) ? l.GetString() : null);
    }

    /// <summary>GET /containers/json?all=1 filtered by a label (key=value): the ids and names of the matching containers.</summary>
    public async Task<IReadOnlyList<(string Id, string Name)>> ListContainersAsync(string label, CancellationToken cancellationToken)
    {
        var filters = new JsonObject { ["label"] = new JsonArray(label) }.ToJsonString();
        using var doc = await GetJsonAsync(V($"containers/json?all=1&filters={Uri.EscapeDataString(filters)}"), "list containers", cancellationToken)
            .ConfigureAwait(false);
        return doc!.RootElement.EnumerateArray()
            .Select(c => (c.GetProperty("Id").GetString()!,
                c.TryGetProperty("Names", out var names) && names.GetArrayLength() > 0 ? names[0].GetString()!.TrimStart('/') : ""))
            .ToList();
    }

    /// <summary>GET /containers/{id}/logs: the last lines of stdout and stderr, demultiplexed.</summary>
    public async Task<string> LogsAsync(string id, int tail, CancellationToken cancellationToken)
    {
        var operation = $"logs of container {id}";
        using var response = await SendAsync(
            new HttpRequestMessage(HttpMethod.Get, V($"containers/{Uri.EscapeDataString(id)}/logs?stdout=1&stderr=1&tail={tail}")), operation, cancellationToken)
            .ConfigureAwait(false);
        await EnsureSuccessAsync(response, operation, cancellationToken).ConfigureAwait(false);
        var bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        return Demultiplex(bytes);
    }

    /// <summary>
    /// Without a TTY, logs come as frames: 1 byte stream (1 stdout, 2 stderr), 3 zero bytes, 4 bytes big-endian length,
    /// then the payload. Anything else is taken as raw text.
    /// </summary>
    internal static string Demultiplex(ReadOnlySpan<byte> data)
    {
        var text = new StringBuilder();
        var rest = data;
        while (rest.Length >= 8 && rest[0] <= 2 && rest[1] == 0 && rest[2] == 0 && rest[3] == 0)
        {
            var length = (int)BinaryPrimitives.ReadUInt32BigEndian(rest[4..8]);
            if (length > rest.Length - 8)
            {
                break;
            }
            text.Append(Encoding.UTF8.GetString(rest.Slice(8, length)));
            rest = rest[(8 + length)..];
        }
        text.Append(Encoding.UTF8.GetString(rest));
        return text.ToString();
    }

    private async Task PostAsync(string path, string operation, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(new HttpRequestMessage(HttpMethod.Post, V(path)), operation, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotModified)
        {
            return; // already in the asked state
        }
        await EnsureSuccessAsync(response, operation, cancellationToken).ConfigureAwait(false);
    }

    private async Task<JsonDocument?> GetJsonAsync(string path, string operation, CancellationToken cancellationToken, bool nullIfNotFound = false)
    {
        using var response = await SendAsync(new HttpRequestMessage(HttpMethod.Get, path), operation, cancellationToken).ConfigureAwait(false);
        if (nullIfNotFound && response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
        await EnsureSuccessAsync(response, operation, cancellationToken).ConfigureAwait(false);
        return await ReadJsonAsync(response, operation, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<JsonDocument> ReadJsonAsync(HttpResponseMessage response, string operation, CancellationToken cancellationToken)
    {
        var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return JsonDocument.Parse(body);
        }
        catch (JsonException e)
        {
            throw new EngineException((int)response.StatusCode, operation, $"unreadable answer: {Truncate(body)}", e);
        }
    }

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, string operation, CancellationToken cancellationToken)
    {
        try
        {
            return await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            // No daemon at the socket (ENOENT, ECONNREFUSED) or it hung up.
            throw new EngineException(0, operation, $"no answer on {Endpoint}: {(e.InnerException ?? e).Message}", e);
        }
        finally
        {
            request.Dispose();
        }
    }

    /// <summary>Turns an error status into an <see cref="EngineException"/> carrying dockerd's {"message": ...}.</summary>
    internal static async Task EnsureSuccessAsync(HttpResponseMessage response, string operation, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }
        var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        throw new EngineException((int)response.StatusCode, operation, ErrorMessage(body) ?? $"HTTP {(int)response.StatusCode} {response.ReasonPhrase}");
    }

    internal static string? ErrorMessage(string body)
    {
        var text = body.Trim();
        if (text.Length == 0)
        {
            return null;
        }
        try
        {
            using var doc = JsonDocument.Parse(text);
            if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("message", out var m) && m.GetString() is { Length: > 0 } s)
            {
                return s;
            }
        }
        catch (JsonException)
        {
            // Plain text (a proxy, or a very old daemon): use it as is.
        }
        return Truncate(text);
    }

    private static string Truncate(string s) => s.Length <= 300 ? s : s[..300] + "...";

    internal static string WholeSeconds(TimeSpan t) => ((int)Math.Ceiling(Math.Max(0, t.TotalSeconds))).ToString(CultureInfo.InvariantCulture);

    /// <summary>Compares dotted API versions numerically ("1.9" &lt; "1.41").</summary>
    internal static int Compare(string a, string b)
    {
        var x = a.Split('.');
        var y = b.Split('.');
        for (var i = 0; i < Math.Max(x.Length, y.Length); i++)
        {
            var p = i < x.Length && int.TryParse(x[i], NumberStyles.None, CultureInfo.InvariantCulture, out var xi) ? xi : 0;
            var q = i < y.Length && int.TryParse(y[i], NumberStyles.None, CultureInfo.InvariantCulture, out var yi) ? yi : 0;
            if (p != q)
            {
                return p.CompareTo(q);
            }
        }
        return 0;
    }

    public void Dispose() => _http.Dispose();
}
