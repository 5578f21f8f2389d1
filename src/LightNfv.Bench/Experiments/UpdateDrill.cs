using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using LightNfv.Bench.Statistics;
using LightNfv.Host.Network;
using LightNfv.Host.UnixSockets;

namespace LightNfv.Bench.Experiments;

/// <summary>What `bench update` saw: every connection attempt to the service address while a rolling update ran.</summary>
public sealed record UpdateDrillResult(
    string Technology,
    int Replicas,
    int Updates,
    string ServiceAddress,
    double RatePerSecond,
    int Attempts,
    int Failures,
    int ConnectFailures,
    int EchoFailures,
    Summary ConnectMs,
    Summary UpdateMs,
    double LoadSeconds,
    IReadOnlyList<string> ReplicasBefore,
    IReadOnlyList<string> ReplicasAfter,
    IReadOnlyList<string> FirstErrors,
    string Host,
    string Command,
    DateTimeOffset At);

/// <summary>
/// The issue-14 acceptance drill: a 2-replica TCP echo VNF under a daemon of its own, a client in the lab namespace
/// opening short connections to the VNF's service address at a fixed rate (connect, send a line, read its echo, close),
/// and rolling updates to new descriptor versions meanwhile. Bounded: the load runs from 1 s before the first update to
/// 1 s after the last, never longer than <c>maxSeconds</c>; every attempt has a 3 s timeout. A failure is a connect that did
/// not succeed or an echo that did not come back.
/// </summary>
public sealed class UpdateDrill(DaemonProcess daemon, LabNetwork lab, string command)
{
    public event Action<string>? Progress;

    public static string Descriptor(string name, string technology, int generation) => $"""
        apiVersion: lightnfv/v1
        kind: Vnf
        metadata:
          name: {name}
        spec:
          technology: {technology}
          app:
            builtin: tcp-echo
          resources:
            vcpus: 1
            memoryMiB: {63 + generation}
            pids: 64
          network:
            ports: [7]
          health:
            probe: tcp:7
            interval: 1000ms
            timeout: 500ms
            failureThreshold: 3
            action: restart
        """;

    /// <param name="updates">Rolling updates in a row (versions 2, 3, ...), all under the same load.</param>
    public async Task<UpdateDrillResult> RunAsync(string technology, double rate, int updates, int maxSeconds, CancellationToken ct)
    {
        const string name = "bench-update";
        await daemon.StartAsync(ct).ConfigureAwait(false);
        using var http = UnixHttp.Create(daemon.Socket);
        try
        {
            await Send(http, HttpMethod.Post, "api/v1/descriptors", Descriptor(name, technology, 1), ct).ConfigureAwait(false);
            await DaemonBench.Operate(http, $"api/v1/vnfs/{name}/instantiate", new { replicas = 2 }, ct).ConfigureAwait(false);
            var service = await ServiceAddressAsync(http, name, ct).ConfigureAwait(false);
            var endpoint = IPEndPoint.Parse(service);
            var before = await ReplicaIds(http, name, ct).ConfigureAwait(false);
            Progress?.Invoke($"service address {service}, replicas {string.Join(", ", before)}; load at {rate:0}/s, then {updates} rolling update(s)");

            using var stopLoad = new CancellationTokenSource(TimeSpan.FromSeconds(maxSeconds));
            var load = Task.Factory.StartNew(() => Load(lab, endpoint, rate, stopLoad.Token), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            await Task.Delay(1000, ct).ConfigureAwait(false);
            var updateMs = new List<double>();
            var after = before;
            for (var u = 0; u < updates && !stopLoad.IsCancellationRequested; u++)
            {
                var version = u + 2;
                await Send(http, HttpMethod.Post, "api/v1/descriptors", Descriptor(name, technology, version), ct).ConfigureAwait(false);
                var started = Stopwatch.GetTimestamp();
                await DaemonBench.Operate(http, $"api/v1/vnfs/{name}/update", new { version }, ct).ConfigureAwait(false);
                updateMs.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                after = await ReplicaIds(http, name, ct).ConfigureAwait(false);
                Progress?.Invoke($"update to version {version} done in {updateMs[^1]:0} ms; replicas now {string.Join(", ", after)}");
            }
            await Task.Delay(1000, ct).ConfigureAwait(false);
            await stopLoad.CancelAsync().ConfigureAwait(false);
            var l = await load.ConfigureAwait(false);
            var connectFailures = l.Errors.Count(e => e.StartsWith("connect", StringComparison.Ordinal));
            return new UpdateDrillResult(technology, 2, updateMs.Count, service, rate, l.Attempts, l.Errors.Count, connectFailures, l.Errors.Count - connectFailures,
                Summary.Of(l.ConnectMs.Count > 0 ? l.ConnectMs : [double.NaN]), Summary.Of(updateMs), Math.Round(l.Seconds, 2), before, after,
                [.. l.Errors.Take(10)], HostLine(), command, DateTimeOffset.UtcNow);
        }
        finally
        {
            try
            {
                await DaemonBench.Operate(http, $"api/v1/vnfs/{name}/terminate", new { }, CancellationToken.None).ConfigureAwait(false);
                await Send(http, HttpMethod.Delete, $"api/v1/descriptors/{name}", null, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception e) when (e is InvalidOperationException or HttpRequestException)
            {
                Progress?.Invoke($"clean-up: {e.Message}");
            }
            daemon.Stop();
        }
    }

    private sealed record LoadOutcome(int Attempts, List<double> ConnectMs, List<string> Errors, double Seconds);

    /// <summary>
    /// Runs on a thread of its own in the host namespace, with sockets opened in the lab's: one attempt every 1/rate s on
    /// a fixed schedule (a slow attempt delays the next, it does not skip it), until <paramref name="stop"/>.
    /// </summary>
    private static LoadOutcome Load(LabNetwork lab, IPEndPoint service, double rate, CancellationToken stop)
    {
        var interval = TimeSpan.FromSeconds(1 / rate);
        var connectMs = new List<double>();
        var errors = new List<string>();
        var clock = Stopwatch.StartNew();
        var attempts = 0;
        var payload = "ping\n"u8.ToArray();
        var buffer = new byte[64];
        while (!stop.IsCancellationRequested)
        {
            var due = interval * attempts;
            if (clock.Elapsed < due)
            {
                Thread.Sleep(due - clock.Elapsed);
            }
            attempts++;
            using var socket = lab.OpenTcpSocket();
            socket.NoDelay = true;
            socket.ReceiveTimeout = 3000;
            socket.SendTimeout = 3000;
            var t0 = Stopwatch.GetTimestamp();
            try
            {
                if (!socket.ConnectAsync(service).Wait(TimeSpan.FromSeconds(3), CancellationToken.None))
                {
                    errors.Add($"connect #{attempts} at {clock.Elapsed.TotalSeconds:0.000} s: timed out after 3 s");
                    continue;
                }
            }
            catch (AggregateException e) when (e.InnerException is SocketException se)
            {
                errors.Add($"connect #{attempts} at {clock.Elapsed.TotalSeconds:0.000} s: {se.SocketErrorCode}");
                continue;
            }
            connectMs.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
            try
            {
                socket.Send(payload);
                var got = 0;
                while (got < payload.Length)
                {
                    var n = socket.Receive(buffer, got, buffer.Length - got, SocketFlags.None);
                    if (n == 0)
                    {
                        break;
                    }
                    got += n;
                }
                if (got < payload.Length || !buffer.AsSpan(0, payload.Length).SequenceEqual(payload))
                {
                    errors.Add($"echo #{attempts} at {clock.Elapsed.TotalSeconds:0.000} s: {got} of {payload.Length} bytes came back");
                    continue;
                }
            }
            catch (SocketException se)
            {
                errors.Add($"echo #{attempts} at {clock.Elapsed.TotalSeconds:0.000} s: {se.SocketErrorCode}");
            }
        }
        return new LoadOutcome(attempts, connectMs, errors, clock.Elapsed.TotalSeconds);
    }

    private static async Task<string> ServiceAddressAsync(HttpClient http, string name, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (DateTime.UtcNow < deadline)
        {
            var vnf = await Send(http, HttpMethod.Get, $"api/v1/vnfs/{name}", null, ct).ConfigureAwait(false);
            if (vnf.TryGetProperty("serviceAddress", out var sa) && sa.ValueKind == JsonValueKind.Array && sa.GetArrayLength() > 0)
            {
                return sa[0].GetString()!;
            }
            await Task.Delay(100, ct).ConfigureAwait(false);
        }
        throw new InvalidOperationException($"VNF {name} got no service address within 15 s");
    }

    private static async Task<List<string>> ReplicaIds(HttpClient http, string name, CancellationToken ct)
    {
        var vnf = await Send(http, HttpMethod.Get, $"api/v1/vnfs/{name}", null, ct).ConfigureAwait(false);
        return [.. vnf.GetProperty("instances").EnumerateArray().Select(i => $"{i.GetProperty("id").GetString()}@{i.GetProperty("address").GetString()}")];
    }

    private static async Task<JsonElement> Send(HttpClient http, HttpMethod method, string path, string? yaml, CancellationToken ct)
    {
        using var req = new HttpRequestMessage(method, path);
        if (yaml is not null)
        {
            req.Content = new StringContent(yaml, Encoding.UTF8, "application/yaml");
        }
        using var r = await http.SendAsync(req, ct).ConfigureAwait(false);
        var text = await r.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
        if (!r.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"{method} {path}: HTTP {(int)r.StatusCode} {text}");
        }
        return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
    }

    private static string HostLine()
    {
        var kernel = File.Exists("/proc/sys/kernel/osrelease") ? File.ReadAllText("/proc/sys/kernel/osrelease").Trim() : "?";
        return string.Create(CultureInfo.InvariantCulture, $"{System.Environment.MachineName}, Linux {kernel}, {System.Environment.ProcessorCount} vCPU");
    }

    public static string Markdown(UpdateDrillResult r) => string.Format(CultureInfo.InvariantCulture,
        "# Rolling update under load: connections to the service address\n\n`{0}` at {1:u} on {2}\n\n" +
        "{3} VNF, {4} replicas, service address {5}; client in the lab namespace at {6:0}/s (connect, echo a line, close), from 1 s before the first of {18} rolling update(s) to 1 s after the last.\n\n" +
        "| attempts | failures | connect failures | echo failures | connect median ms | connect max ms | update median ms (max) | load s |\n|---|---|---|---|---|---|---|---|\n" +
        "| {7} | {8} | {9} | {10} | {11:0.000} | {12:0.000} | {13:0} ({19:0}) | {14:0.0} |\n\nreplicas before: {15}; after: {16}\n{17}",
        r.Command, r.At, r.Host, r.Technology, r.Replicas, r.ServiceAddress, r.RatePerSecond, r.Attempts, r.Failures, r.ConnectFailures, r.EchoFailures,
        r.ConnectMs.Median, r.ConnectMs.Max, r.UpdateMs.Median, r.LoadSeconds, string.Join(", ", r.ReplicasBefore), string.Join(", ", r.ReplicasAfter),
        r.FirstErrors.Count == 0 ? "" : "\nfirst failures:\n" + string.Join("\n", r.FirstErrors.Select(e => "- " + e)) + "\n", r.Updates, r.UpdateMs.Max);
}
