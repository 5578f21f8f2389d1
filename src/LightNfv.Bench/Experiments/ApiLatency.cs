using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using LightNfv.Bench.Statistics;
using LightNfv.Host.UnixSockets;

namespace LightNfv.Bench.Experiments;

/// <param name="LatencyMs">From each request's due time to the end of its response (includes any lateness of the sender).</param>
/// <param name="ServiceMs">From sending each request to the end of its response (what the client sees once it sends).</param>
public sealed record ApiLatencyResult(string Path, string Socket, double RatePerSecond, double DurationSeconds, int Requests, int Errors,
    int Instances, Summary LatencyMs, double P90Ms, double AchievedRate, string Command, DateTimeOffset At)
{
    public Summary? ServiceMs { get; init; }
    public double? ServiceP90Ms { get; init; }
}

/// <summary>
/// Load on one API path at a fixed rate over the unix socket: request i is due at start + i/rate (a late request is
/// sent at once, not skipped), and its latency runs from its due time to the end of its response, so waiting behind a
/// slow request counts (no coordinated omission).
/// </summary>
public sealed class ApiLatencyExperiment(string socket, string path, double rate, TimeSpan duration)
{
    public async Task<(List<double> LatenciesMs, int Errors, List<double> ServiceMs)> RunAsync(CancellationToken ct)
    {
        using var http = UnixHttp.Create(socket);
        // Warm-up (not measured): tiered JIT reaches its optimized code, the connection is open.
        for (var i = 0; i < 1000; i++)
        {
            using var r = await http.GetAsync(path, ct).ConfigureAwait(false);
        }
        var total = (int)(rate * duration.TotalSeconds);
        var latencies = new double[total];
        var service = new double[total];
        var errors = 0;
        var start = Stopwatch.GetTimestamp();
        // One connection, one request at a time: at these rates a request takes a small part of its 1/rate slot, and
        // a late one starts at once and is charged from its scheduled time (no coordinated omission). No helper threads
        // or spinning, so the load generator takes as little CPU as possible from the daemon on a small machine.
        for (var i = 0; i < total; i++)
        {
            var due = start + (long)(i / rate * Stopwatch.Frequency);
            var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due);
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, ct).ConfigureAwait(false);
            }
            var sent = Stopwatch.GetTimestamp();
            try
            {
                using var response = await http.GetAsync(path, ct).ConfigureAwait(false);
                await response.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false);
                if (!response.IsSuccessStatusCode)
                {
                    errors++;
                }
            }
            catch (HttpRequestException)
            {
                errors++;
            }
            latencies[i] = Stopwatch.GetElapsedTime(due).TotalMilliseconds;
            service[i] = Stopwatch.GetElapsedTime(sent).TotalMilliseconds;
        }
        return ([.. latencies], errors, [.. service]);
    }

    public static void Write(ApiLatencyResult r, string directory)
    {
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, "api-latency.json"), JsonSerializer.Serialize(r, DaemonBench.Json));
        var inv = CultureInfo.InvariantCulture;
        var md = new StringBuilder()
            .AppendLine(CultureInfo.InvariantCulture, $"# API latency: GET {r.Path} over the unix socket")
            .AppendLine()
            .AppendLine(CultureInfo.InvariantCulture, $"`{r.Command}` at {r.At:u}; {r.Instances} instance(s) in the store.")
            .AppendLine()
            .AppendLine("| measured from | rate (req/s) | achieved | requests | errors | median ms | p90 ms | p99 ms | max ms |")
            .AppendLine("|---|---|---|---|---|---|---|---|---|")
            .AppendLine(string.Format(inv, "| due time | {0:0} | {1:0.0} | {2} | {3} | {4:0.000} | {5:0.000} | {6:0.000} | {7:0.000} |",
                r.RatePerSecond, r.AchievedRate, r.Requests, r.Errors, r.LatencyMs.Median, r.P90Ms, r.LatencyMs.P99, r.LatencyMs.Max));
        if (r.ServiceMs is { } s)
        {
            md.AppendLine(string.Format(inv, "| send | {0:0} | {1:0.0} | {2} | {3} | {4:0.000} | {5:0.000} | {6:0.000} | {7:0.000} |",
                r.RatePerSecond, r.AchievedRate, r.Requests, r.Errors, s.Median, r.ServiceP90Ms, s.P99, s.Max));
        }
        File.WriteAllText(Path.Combine(directory, "api-latency.md"), md.ToString());
    }
}
