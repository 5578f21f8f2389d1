using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using LightNfv.Bench.Statistics;
using LightNfv.Host.Network;
using LightNfv.Host.Probes;
using LightNfv.Host.Processes;
using LightNfv.Host.UnixSockets;

namespace LightNfv.Bench.Experiments;

/// <summary>
/// A `lightnfv serve` child process for the daemon benches: started with the caller's LIGHTNFV_* environment, killed
/// with SIGKILL or stopped with SIGTERM, its log kept in the output directory.
/// </summary>
public sealed class DaemonProcess : IDisposable
{
    private readonly string[] _command;
    private readonly string _log;
    private Process? _process;

    private readonly IReadOnlyDictionary<string, string>? _environment;

    public DaemonProcess(string[] command, string socket, string log, IReadOnlyDictionary<string, string>? environment = null)
    {
        _command = command;
        Socket = socket;
        _log = log;
        _environment = environment;
    }

    public string Socket { get; }
    public int? Pid => _process is { HasExited: false } p ? p.Id : null;

    /// <summary>Starts the daemon and waits until its API answers; returns the time from spawn to first answer.</summary>
    public async Task<TimeSpan> StartAsync(CancellationToken ct)
    {
        var psi = new ProcessStartInfo(_command[0]) { RedirectStandardOutput = false, RedirectStandardError = false, UseShellExecute = false };
        foreach (var a in _command.Skip(1))
        {
            psi.ArgumentList.Add(a);
        }
        foreach (var (k, v) in _environment ?? new Dictionary<string, string>())
        {
            psi.Environment[k] = v;
        }
        // Output to a file through the shell-free path: a wrapper is not needed, the daemon logs to stdout.
        psi.RedirectStandardOutput = true;
        psi.RedirectStandardError = true;
        var started = Stopwatch.GetTimestamp();
        _process = HostProcess.Start(psi);
        var log = new StreamWriter(_log, append: true) { AutoFlush = true };
        _process.OutputDataReceived += (_, e) => { if (e.Data is not null) { lock (log) { log.WriteLine(e.Data); } } };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (log) { log.WriteLine(e.Data); } } };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        using var http = UnixHttp.Create(Socket, 1);
        http.Timeout = TimeSpan.FromSeconds(2);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"the daemon exited with {_process.ExitCode}; see {_log}");
            }
            try
            {
                using var r = await http.GetAsync("api/v1/status", ct).ConfigureAwait(false);
                if (r.IsSuccessStatusCode)
                {
                    return Stopwatch.GetElapsedTime(started);
                }
            }
            catch (Exception e) when (e is HttpRequestException or SocketException or TaskCanceledException && !ct.IsCancellationRequested)
            {
            }
            await Task.Delay(2, ct).ConfigureAwait(false);
        }
        throw new TimeoutException($"the daemon did not answer on {Socket} within 60 s; see {_log}");
    }

    public void Kill()
    {
        if (_process is { HasExited: false } p)
        {
            p.Kill(); // SIGKILL
            p.WaitForExit();
        }
    }

    public void Stop()
    {
        if (_process is { HasExited: false } p)
        {
            if (ProcessIdentity.Of(p.Id) is { } daemon)
            {
                ProcessSignals.Send(daemon, 15); // SIGTERM: the daemon's graceful stop
            }
            if (!p.WaitForExit(TimeSpan.FromSeconds(20)))
            {
                p.Kill();
                p.WaitForExit();
            }
        }
    }

    public void Dispose()
    {
        Stop();
        _process?.Dispose();
    }
}

public sealed record HealResult(int Runs, Summary AnswerAgainMs, IReadOnlyList<double> SamplesMs, string Technology, string Command, DateTimeOffset At);

public sealed record ReadoptResult(int Count, int Runs, Summary RestartToReadyMs, Summary AdoptionMs, IReadOnlyList<int> Adopted,
    int Duplicates, int Orphans, int PidsChanged, string Command, DateTimeOffset At);

/// <summary>The daemon benches: heal time after kill -9 of a VNF, re-adoption time after kill -9 of the daemon.</summary>
public sealed class DaemonBench(DaemonProcess daemon, LabNetwork lab, string command)
{
    public static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    public event Action<string>? Progress;

    public static string Descriptor(string name, string technology, int intervalMs) => $"""
        apiVersion: lightnfv/v1
        kind: Vnf
        metadata:
          name: {name}
        spec:
          technology: {technology}
          app:
            builtin: iperf3-server
          resources:
            vcpus: 1
            memoryMiB: 64
            pids: 64
          network:
            ports: [5201]
          health:
            probe: tcp:5201
            interval: {intervalMs}ms
            timeout: 200ms
            failureThreshold: 2
            action: restart
            budget: 1000
        """;

    internal static async Task<JsonElement> Send(HttpClient http, HttpMethod method, string path, string? yaml = null, object? body = null, CancellationToken ct = default)
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
        using var r = await http.SendAsync(req, ct).ConfigureAwait(false);
        var text = await r.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
        if (!r.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"{method} {path}: HTTP {(int)r.StatusCode} {text}");
        }
        return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>Posts an operation and polls it until it ends; throws unless it completed.</summary>
    public static async Task Operate(HttpClient http, string path, object body, CancellationToken ct)
    {
        var op = await Send(http, HttpMethod.Post, path, body: body, ct: ct).ConfigureAwait(false);
        var id = op.GetProperty("id").GetString();
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(5);
        while (op.GetProperty("state").GetString() == "processing" && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20, ct).ConfigureAwait(false);
            op = await Send(http, HttpMethod.Get, $"api/v1/operations/{id}", ct: ct).ConfigureAwait(false);
        }
        if (op.GetProperty("state").GetString() != "completed")
        {
            throw new InvalidOperationException($"operation {id} ({path}) ended {op.GetProperty("state").GetString()}: {op}");
        }
    }

    internal static async Task<List<(string Id, int Pid, string Address)>> Replicas(HttpClient http, string vnf, CancellationToken ct)
    {
        var list = await Send(http, HttpMethod.Get, "api/v1/instances", ct: ct).ConfigureAwait(false);
        return list.EnumerateArray().Where(i => i.TryGetProperty("vnf", out var v) && v.GetString() == vnf && i.GetProperty("state").GetString() == "running" && i.TryGetProperty("pid", out _))
            .Select(i => (i.GetProperty("id").GetString()!, i.GetProperty("pid").GetInt32(), i.GetProperty("address").GetString()!)).ToList();
    }

    /// <summary>kill -9 the VNF's process, then time until its address answers a TCP handshake again (probed from the lab, ~50 µs steps).</summary>
    public async Task<HealResult> HealAsync(string technology, int runs, CancellationToken ct)
    {
        await daemon.StartAsync(ct).ConfigureAwait(false);
        using var http = UnixHttp.Create(daemon.Socket);
        const string name = "bench-heal";
        await Send(http, HttpMethod.Post, "api/v1/descriptors", Descriptor(name, technology, 1000), ct: ct).ConfigureAwait(false);
        await Operate(http, $"api/v1/vnfs/{name}/instantiate", new { replicas = 1 }, ct).ConfigureAwait(false);
        var samples = new List<double>();
        try
        {
            for (var run = 0; run < runs; run++)
            {
                var (id, pid, address) = (await Replicas(http, name, ct).ConfigureAwait(false)).Single();
                if (!TcpReadinessProbe.WaitForAnswer(lab, IPAddress.Parse(address), 5201, Stopwatch.GetTimestamp(), TimeSpan.FromSeconds(10)).Ready)
                {
                    throw new InvalidOperationException($"{id} does not answer before the kill");
                }
                var killedAt = Stopwatch.GetTimestamp();
                Process.GetProcessById(pid).Kill();
                // Wait for the old process to be gone, so the probe does not hit it still closing.
                while (!GoneOrZombie(pid) && Stopwatch.GetElapsedTime(killedAt) < TimeSpan.FromSeconds(5))
                {
                    Thread.SpinWait(100);
                }
                var probe = TcpReadinessProbe.WaitForAnswer(lab, IPAddress.Parse(address), 5201, killedAt, TimeSpan.FromSeconds(10));
                var ms = probe.Ready ? Stopwatch.GetElapsedTime(killedAt).TotalMilliseconds : double.NaN;
                samples.Add(ms);
                Progress?.Invoke($"heal run {run + 1}/{runs}: answering again {ms:0.0} ms after kill -9");
                await Task.Delay(300, ct).ConfigureAwait(false);
            }
        }
        finally
        {
            await Operate(http, $"api/v1/vnfs/{name}/terminate", new { }, ct).ConfigureAwait(false);
            await Send(http, HttpMethod.Delete, $"api/v1/descriptors/{name}", ct: ct).ConfigureAwait(false);
            daemon.Stop();
        }
        var ok = samples.Where(s => !double.IsNaN(s)).ToList();
        return new HealResult(runs, Summary.Of(ok.Count > 0 ? ok : [double.NaN]), samples, technology, command, DateTimeOffset.UtcNow);
    }

    private static bool GoneOrZombie(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/stat").Contains(") Z", StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return true;
        }
    }

    /// <summary>Runs <paramref name="count"/> replicas, then kill -9 the daemon and restart it <paramref name="runs"/> times.</summary>
    public async Task<ReadoptResult> ReadoptAsync(int count, int runs, CancellationToken ct)
    {
        await daemon.StartAsync(ct).ConfigureAwait(false);
        var http = UnixHttp.Create(daemon.Socket);
        const string name = "bench-readopt";
        await Send(http, HttpMethod.Post, "api/v1/descriptors", Descriptor(name, "process", 5000), ct: ct).ConfigureAwait(false);
        Progress?.Invoke($"starting {count} replicas");
        await Operate(http, $"api/v1/vnfs/{name}/instantiate", new { replicas = count }, ct).ConfigureAwait(false);
        var before = await Replicas(http, name, ct).ConfigureAwait(false);
        var ready = new List<double>();
        var adoption = new List<double>();
        var adopted = new List<int>();
        int duplicates = 0, orphans = 0, changed = 0;
        try
        {
            for (var run = 0; run < runs; run++)
            {
                http.Dispose();
                daemon.Kill();
                var took = await daemon.StartAsync(ct).ConfigureAwait(false);
                http = UnixHttp.Create(daemon.Socket);
                var status = await Send(http, HttpMethod.Get, "api/v1/status", ct: ct).ConfigureAwait(false);
                var a = status.GetProperty("adoption");
                ready.Add(took.TotalMilliseconds);
                adoption.Add(a.GetProperty("elapsedMs").GetDouble());
                adopted.Add(a.GetProperty("adopted").GetInt32());
                orphans += a.GetProperty("orphansRemoved").GetInt32();
                var after = await Replicas(http, name, ct).ConfigureAwait(false);
                duplicates += after.Count - after.Select(x => x.Id).Distinct().Count() + Math.Max(0, after.Count - count);
                changed += before.Count(b => !after.Contains(b));
                Progress?.Invoke($"readopt run {run + 1}/{runs}: restart to API answering {took.TotalMilliseconds:0} ms, adoption {a.GetProperty("elapsedMs").GetDouble():0.0} ms, adopted {a.GetProperty("adopted").GetInt32()}/{count}");
                before = after;
            }
        }
        finally
        {
            await Operate(http, $"api/v1/vnfs/{name}/terminate", new { }, ct).ConfigureAwait(false);
            await Send(http, HttpMethod.Delete, $"api/v1/descriptors/{name}", ct: ct).ConfigureAwait(false);
            http.Dispose();
            daemon.Stop();
        }
        return new ReadoptResult(count, runs, Summary.Of(ready), Summary.Of(adoption), adopted, duplicates, orphans, changed, command, DateTimeOffset.UtcNow);
    }

    public static void Write(string directory, string name, object result, string markdown)
    {
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, name + ".json"), JsonSerializer.Serialize(result, result.GetType(), Json));
        File.WriteAllText(Path.Combine(directory, name + ".md"), markdown);
    }

    public static string Markdown(HealResult r) => string.Format(CultureInfo.InvariantCulture,
        "# Heal: kill -9 of a {0} VNF to answering TCP again\n\n`{1}` at {2:u}\n\n| runs | median ms | min ms | max ms | p99 ms |\n|---|---|---|---|---|\n| {3} | {4:0.0} | {5:0.0} | {6:0.0} | {7:0.0} |\n",
        r.Technology, r.Command, r.At, r.Runs, r.AnswerAgainMs.Median, r.AnswerAgainMs.Min, r.AnswerAgainMs.Max, r.AnswerAgainMs.P99);

    public static string Markdown(ReadoptResult r) => string.Format(CultureInfo.InvariantCulture,
        "# Re-adoption: kill -9 of the daemon with {0} running instances, then restart\n\n`{1}` at {2:u}\n\n| runs | restart to API answering, median ms (max) | adoption in daemon, median ms (max) | adopted | duplicates | orphans | replicas replaced |\n|---|---|---|---|---|---|---|\n| {3} | {4:0} ({5:0}) | {6:0.0} ({7:0.0}) | {8} | {9} | {10} | {11} |\n",
        r.Count, r.Command, r.At, r.Runs, r.RestartToReadyMs.Median, r.RestartToReadyMs.Max, r.AdoptionMs.Median, r.AdoptionMs.Max,
        string.Join(",", r.Adopted), r.Duplicates, r.Orphans, r.PidsChanged);
}
