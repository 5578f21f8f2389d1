using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using LightNfv.Bench.Experiments;

namespace LightNfv.IntegrationTests.Infrastructure;

/// <summary>A real `lightnfv serve` on a test's lab, and the few API calls the daemon tests make through its socket.</summary>
public static class DaemonApi
{
    private static string CliDll => Path.Combine(AppContext.BaseDirectory, "lightnfv.dll");

    /// <summary>Starts `lightnfv serve` with the lab's environment (plus <paramref name="extraEnvironment"/>) and waits for its socket.</summary>
    public static DaemonProcess StartDaemon(LabFixture lab, IReadOnlyDictionary<string, string>? extraEnvironment = null)
    {
        var environment = new Dictionary<string, string>(lab.CliEnvironment);
        foreach (var (key, value) in extraEnvironment ?? new Dictionary<string, string>())
        {
            environment[key] = value;
        }
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } h && File.Exists(h) ? h : "dotnet";
        var socket = Path.Combine(lab.StateDirectory, "lightnfv.sock");
        // Named, not inherited: a LIGHTNFV_SOCKET in the test runner's environment would put this daemon on another's socket.
        environment["LIGHTNFV_SOCKET"] = socket;
        Directory.CreateDirectory(lab.StateDirectory);
        var d = new DaemonProcess([dotnet, CliDll, "serve"], socket, Path.Combine(lab.StateDirectory, "daemon.log"), environment);
        d.StartAsync(CancellationToken.None).GetAwaiter().GetResult();
        return d;
    }

    /// <summary>One request (a YAML or a JSON body, or none); the status and the parsed body, whatever the status.</summary>
    public static async Task<(int Status, JsonElement Body)> Call(HttpClient http, HttpMethod method, string path, string? yaml = null, object? body = null)
    {
        using var req = new HttpRequestMessage(method, path);
        if (yaml is not null)
        {
            req.Content = new StringContent(yaml, Encoding.UTF8, "application/yaml");
        }
        else if (body is not null)
        {
            req.Content = JsonContent.Create(body);
        }
        using var r = await http.SendAsync(req);
        var text = await r.Content.ReadAsStringAsync();
        return ((int)r.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }

    /// <summary>One request that must succeed; its parsed body.</summary>
    public static async Task<JsonElement> Send(HttpClient http, HttpMethod method, string path, string? yaml = null, object? body = null)
    {
        var (status, json) = await Call(http, method, path, yaml, body);
        (status is >= 200 and < 300).ShouldBeTrue($"{method} {path}: {status} {json}");
        return json;
    }

    public static async Task<List<JsonElement>> Replicas(HttpClient http, string vnf) =>
        (await Send(http, HttpMethod.Get, "api/v1/instances")).EnumerateArray().Where(i => i.TryGetProperty("vnf", out var v) && v.GetString() == vnf).ToList();

    /// <summary>Polls an operation until it leaves `processing` or the deadline passes; the last record read.</summary>
    public static async Task<JsonElement> WaitOperation(HttpClient http, string id, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        JsonElement op;
        do
        {
            await Task.Delay(50);
            op = await Send(http, HttpMethod.Get, $"api/v1/operations/{id}");
        }
        while (op.GetProperty("state").GetString() == "processing" && DateTime.UtcNow < deadline);
        return op;
    }
}
