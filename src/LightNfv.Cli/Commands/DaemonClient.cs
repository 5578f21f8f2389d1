using LightNfv.Core.Configuration;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using LightNfv.Backends.Shared;
using LightNfv.Core.Errors;

namespace LightNfv.Cli.Commands;

/// <summary>
/// HTTP over the daemon's unix socket. <see cref="TryConnect"/> says whether a daemon answers; the commands that can
/// run either way use it when it does, and the embedded platform when it does not.
/// </summary>
public sealed class DaemonClient : IDisposable
{
    private readonly HttpClient _http;

    private DaemonClient(string socket)
    {
        Socket = socket;
        _http = LightNfv.Bench.Experiments.UnixHttp.Create(socket);
        _http.Timeout = TimeSpan.FromSeconds(60);
    }

    public string Socket { get; }

    public static string SocketPath => Environment.GetEnvironmentVariable("LIGHTNFV_SOCKET") is { Length: > 0 } s ? s : Path.Combine(new PlatformOptions().StateDirectory, "lightnfv.sock");

    /// <summary>A client if a daemon listens on the socket now; null otherwise (stale socket file, no daemon).</summary>
    public static DaemonClient? TryConnect()
    {
        var path = SocketPath;
        if (!File.Exists(path))
        {
            return null;
        }
        using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            probe.Connect(new UnixDomainSocketEndPoint(path));
        }
        catch (SocketException)
        {
            return null;
        }
        return new DaemonClient(path);
    }

    public static DaemonClient Require() => TryConnect()
        ?? throw new LightNfvException(ErrorKind.Unavailable, $"no LightNFV daemon answers on {SocketPath}; start one with 'lightnfv serve'");

    public async Task<JsonElement> SendAsync(HttpMethod method, string path, object? body = null, string? yaml = null, CancellationToken ct = default)
    {
        using var request = new HttpRequestMessage(method, path.TrimStart('/'));
        if (yaml is not null)
        {
            request.Content = new StringContent(yaml, System.Text.Encoding.UTF8, "application/yaml");
        }
        else if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }
        using var response = await _http.SendAsync(request, ct).ConfigureAwait(false);
        var text = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
        var json = text.Length > 0 && response.Content.Headers.ContentType?.MediaType?.Contains("json", StringComparison.Ordinal) == true
            ? JsonDocument.Parse(text).RootElement.Clone()
            : JsonSerializer.SerializeToElement(text);
        if (!response.IsSuccessStatusCode)
        {
            var detail = json.ValueKind == JsonValueKind.Object && json.TryGetProperty("detail", out var d) ? d.GetString() : text;
            var kind = (int)response.StatusCode switch
            {
                400 or 415 or 422 => ErrorKind.Invalid,
                413 => ErrorKind.TooLarge,
                404 => ErrorKind.NotFound,
                409 => ErrorKind.Conflict,
                503 => ErrorKind.Unavailable,
                429 => ErrorKind.Exhausted,
                _ => ErrorKind.Host,
            };
            throw new LightNfvException(kind, detail ?? $"HTTP {(int)response.StatusCode}");
        }
        return json;
    }

    public void Dispose() => _http.Dispose();
}
