using System.Net.Http.Json;
using System.Text.Json;
using LightNfv.Core.Configuration;
using LightNfv.Core.Errors;
using LightNfv.Host.UnixSockets;
using LightNfv.Server.Daemon;

namespace LightNfv.Cli.Commands;

/// <summary>
/// HTTP over the daemon's unix socket. <see cref="TryConnect"/> says whether a daemon answers; every platform command
/// goes through it when one does (<see cref="DaemonPlatform"/>), and runs embedded when none does.
/// </summary>
public sealed class DaemonClient : IDisposable
{
    private readonly HttpClient _http;

    private DaemonClient(string socket)
    {
        Socket = socket;
        _http = UnixHttp.Create(socket);
        // As long as the work takes (a first VM boot builds its disk); Ctrl-C cancels, and the daemon then rolls back.
        _http.Timeout = Timeout.InfiniteTimeSpan;
        // Root needs none on the socket (SO_PEERCRED); other local users send one. Never printed or logged.
        if (TokenOption.Resolve() is { } token)
        {
            _http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        }
    }

    public string Socket { get; }

    public static string SocketPath => DaemonOptions.DefaultSocket(new PlatformOptions().StateDirectory);

    /// <summary>A client if a daemon listens on the socket now; null otherwise (stale socket file, no daemon).</summary>
    public static DaemonClient? TryConnect() => UnixHttp.Answers(SocketPath) ? new DaemonClient(SocketPath) : null;

    public static DaemonClient Require() => TryConnect()
        ?? throw new LightNfvException(ErrorKind.Unavailable, $"no LightNFV daemon answers on {SocketPath}; start one with 'lightnfv serve'");

    /// <summary>
    /// One request; the JSON body (a text body as a JSON string). An error answer is thrown as the error the daemon
    /// raised: its kind (from the problem's type) gives the same exit code as the embedded command, its detail the same line.
    /// </summary>
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
            throw new LightNfvException(KindOf(json, (int)response.StatusCode), detail ?? $"HTTP {(int)response.StatusCode}");
        }
        return json;
    }

    /// <summary>
    /// A streamed text answer (the logs route with follow), line by line as the daemon sends them; an error answer is
    /// thrown as <see cref="SendAsync"/> does.
    /// </summary>
    public async IAsyncEnumerable<string> StreamLinesAsync(string path, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path.TrimStart('/'));
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            var text = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
            var json = text.Length > 0 && response.Content.Headers.ContentType?.MediaType?.Contains("json", StringComparison.Ordinal) == true
                ? JsonDocument.Parse(text).RootElement.Clone()
                : JsonSerializer.SerializeToElement(text);
            var detail = json.ValueKind == JsonValueKind.Object && json.TryGetProperty("detail", out var d) ? d.GetString() : text;
            throw new LightNfvException(KindOf(json, (int)response.StatusCode), detail ?? $"HTTP {(int)response.StatusCode}");
        }
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false));
        while (await reader.ReadLineAsync(ct).ConfigureAwait(false) is { } line)
        {
            yield return line;
        }
    }

    /// <summary>The error kind a problem document names in its type (…/problems/&lt;kind&gt;), else the one its status implies.</summary>
    internal static ErrorKind KindOf(JsonElement problem, int status)
    {
        if (problem.ValueKind == JsonValueKind.Object && problem.TryGetProperty("type", out var t) && t.GetString() is { } type
            && Enum.TryParse<ErrorKind>(type[(type.LastIndexOf('/') + 1)..], ignoreCase: true, out var kind) && Enum.IsDefined(kind))
        {
            return kind;
        }
        return status switch
        {
            400 or 415 or 422 => ErrorKind.Invalid,
            413 => ErrorKind.TooLarge,
            404 => ErrorKind.NotFound,
            409 => ErrorKind.Conflict,
            503 => ErrorKind.Unavailable,
            429 => ErrorKind.Exhausted,
            401 => ErrorKind.Unauthenticated,
            403 => ErrorKind.Forbidden,
            _ => ErrorKind.Host,
        };
    }

    public void Dispose() => _http.Dispose();
}
