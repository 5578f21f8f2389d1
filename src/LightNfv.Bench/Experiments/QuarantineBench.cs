using System.Diagnostics;
using System.Globalization;
using System.Net;
using LightNfv.Bench.Statistics;
using LightNfv.Host.Network;
using LightNfv.Host.Probes;
using LightNfv.Host.UnixSockets;

namespace LightNfv.Bench.Experiments;

/// <summary>
/// One quarantine run's figures: the API call (POST to answer, which comes once the replica is frozen and cut), the
/// daemon's own time from the call to frozen-and-cut, and the time until a replacement answers TCP.
/// </summary>
public sealed record QuarantineSample(double CallMs, double FrozenAndCutMs, double ReplacementAnsweringMs, bool QuarantinedAnswered, int ClientAttempts, int ClientFailures);

public sealed record QuarantineResult(int Runs, string Technology, Summary CallMs, Summary FrozenAndCutMs, Summary ReplacementAnsweringMs,
    int ClientAttempts, int ClientFailures, int QuarantinedAnswered, IReadOnlyList<QuarantineSample> Samples, string Command, DateTimeOffset At);

/// <summary>
/// `bench quarantine` (issue 17's acceptance): a 2-replica VNF under the daemon; each run quarantines one replica while a
/// client connects to the other every 10 ms, checks the quarantined one answers nothing, times its replacement, then
/// removes the quarantined one (`rm`). The figure is the median time from the call to frozen and cut.
/// </summary>
public sealed class QuarantineBench(DaemonProcess daemon, LabNetwork lab, string command)
{
    public event Action<string>? Progress;

    public async Task<QuarantineResult> RunAsync(string technology, int runs, CancellationToken ct)
    {
        await daemon.StartAsync(ct).ConfigureAwait(false);
        using var http = UnixHttp.Create(daemon.Socket);
        const string name = "bench-quarantine";
        await DaemonBench.Send(http, HttpMethod.Post, "api/v1/descriptors", DaemonBench.Descriptor(name, technology, 1000), ct: ct).ConfigureAwait(false);
        await DaemonBench.Operate(http, $"api/v1/vnfs/{name}/instantiate", new { replicas = 2 }, ct).ConfigureAwait(false);
        var samples = new List<QuarantineSample>();
        try
        {
            for (var run = 0; run < runs; run++)
            {
                var replicas = await Serving(http, name, 2, ct).ConfigureAwait(false);
                var (victim, _, victimAddress) = replicas[0];
                var other = IPAddress.Parse(replicas[1].Address);
                using var stopClient = new CancellationTokenSource();
                var client = Task.Run(() => Client(other, stopClient.Token), CancellationToken.None);

                var started = Stopwatch.GetTimestamp();
                var answer = await DaemonBench.Send(http, HttpMethod.Post, $"api/v1/instances/{victim}/quarantine", ct: ct).ConfigureAwait(false);
                var callMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                var serverMs = answer.GetProperty("milliseconds").GetDouble();
                // Frozen and cut: not even the kernel's handshake (the port is down), within a generous half second.
                var answered = TcpReadinessProbe.WaitForAnswer(lab, IPAddress.Parse(victimAddress), 5201, Stopwatch.GetTimestamp(), TimeSpan.FromMilliseconds(500)).Ready;
                var fresh = await Serving(http, name, 2, ct, exclude: victim).ConfigureAwait(false);
                var replacementMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                await stopClient.CancelAsync().ConfigureAwait(false);
                var (attempts, failures) = await client.ConfigureAwait(false);
                samples.Add(new QuarantineSample(callMs, serverMs, replacementMs, answered, attempts, failures));
                Progress?.Invoke(string.Create(CultureInfo.InvariantCulture,
                    $"quarantine run {run + 1}/{runs}: call {callMs:0.0} ms (frozen and cut {serverMs:0.0} ms), replacement answering after {replacementMs:0} ms, " +
                    $"client {attempts - failures}/{attempts} answered, quarantined one {(answered ? "ANSWERED" : "silent")}; {fresh.Count} serving"));
                await DaemonBench.Send(http, HttpMethod.Delete, $"api/v1/instances/{victim}", ct: ct).ConfigureAwait(false);
            }
        }
        finally
        {
            await DaemonBench.Operate(http, $"api/v1/vnfs/{name}/terminate", new { }, CancellationToken.None).ConfigureAwait(false);
            await DaemonBench.Send(http, HttpMethod.Delete, $"api/v1/descriptors/{name}", ct: CancellationToken.None).ConfigureAwait(false);
            daemon.Stop();
        }
        return new QuarantineResult(runs, technology, Summary.Of(samples.Select(s => s.CallMs).ToList()), Summary.Of(samples.Select(s => s.FrozenAndCutMs).ToList()),
            Summary.Of(samples.Select(s => s.ReplacementAnsweringMs).ToList()), samples.Sum(s => s.ClientAttempts), samples.Sum(s => s.ClientFailures),
            samples.Count(s => s.QuarantinedAnswered), samples, command, DateTimeOffset.UtcNow);
    }

    /// <summary>The VNF's running replicas once <paramref name="count"/> of them (not <paramref name="exclude"/>) answer TCP; bounded at 60 s.</summary>
    private async Task<List<(string Id, int Pid, string Address)>> Serving(HttpClient http, string vnf, int count, CancellationToken ct, string? exclude = null)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(60 * Stopwatch.Frequency);
        while (true)
        {
            var list = (await DaemonBench.Replicas(http, vnf, ct).ConfigureAwait(false)).Where(r => r.Id != exclude).ToList();
            if (list.Count >= count && list.All(r =>
                    TcpReadinessProbe.WaitForAnswer(lab, IPAddress.Parse(r.Address), 5201, Stopwatch.GetTimestamp(), TimeSpan.FromMilliseconds(200)).Ready))
            {
                return list;
            }
            if (Stopwatch.GetTimestamp() > deadline)
            {
                throw new InvalidOperationException($"VNF {vnf} did not get {count} answering replicas within 60 s (have {list.Count})");
            }
            await Task.Delay(10, ct).ConfigureAwait(false);
        }
    }

    /// <summary>One TCP handshake to the other replica every 10 ms until stopped (bounded: at most 6000 attempts).</summary>
    private (int Attempts, int Failures) Client(IPAddress address, CancellationToken stop)
    {
        int attempts = 0, failures = 0;
        while (!stop.IsCancellationRequested && attempts < 6000)
        {
            attempts++;
            if (!TcpReadinessProbe.WaitForAnswer(lab, address, 5201, Stopwatch.GetTimestamp(), TimeSpan.FromMilliseconds(500)).Ready)
            {
                failures++;
            }
            Thread.Sleep(10);
        }
        return (attempts, failures);
    }

    public static string Markdown(QuarantineResult r) => string.Format(CultureInfo.InvariantCulture,
        "# Quarantine: one replica of a 2-replica {0} VNF under client traffic\n\n`{1}` at {2:u}\n\n" +
        "| runs | call to frozen and cut, median ms (min-max) | API call, median ms | replacement answering, median ms | client answered | quarantined answered |\n" +
        "|---|---|---|---|---|---|\n| {3} | {4:0.00} ({5:0.00}-{6:0.00}) | {7:0.0} | {8:0} | {9}/{10} | {11} |\n",
        r.Technology, r.Command, r.At, r.Runs, r.FrozenAndCutMs.Median, r.FrozenAndCutMs.Min, r.FrozenAndCutMs.Max, r.CallMs.Median,
        r.ReplacementAnsweringMs.Median, r.ClientAttempts - r.ClientFailures, r.ClientAttempts, r.QuarantinedAnswered);
}
