using System.Diagnostics;
using System.Globalization;
using System.Net;
using LightNfv.Bench.Statistics;
using LightNfv.Host.Network;
using LightNfv.Host.Probes;
using LightNfv.Host.UnixSockets;

namespace LightNfv.Bench.Experiments;

/// <summary>
/// One quarantine run's figures: the API call (POST to answer, which comes once the replica is frozen, cut, out of its
/// service address and stored), the daemon's own time from the call to frozen-and-cut, the call's steps as the daemon
/// timed them, and the times until a replacement runs (listed running) and answers TCP.
/// </summary>
public sealed record QuarantineSample(double CallMs, double FrozenAndCutMs, IReadOnlyDictionary<string, double> StepsMs, double ReplacementStartMs,
    double ReplacementAnsweringMs, bool QuarantinedAnswered, int ClientAttempts, int ClientFailures);

/// <summary>The runs' summaries; <see cref="StepsMs"/> holds one summary per step, in the call's order, then the replacement's start.</summary>
public sealed record QuarantineResult(int Runs, string Technology, Summary CallMs, Summary FrozenAndCutMs, IReadOnlyDictionary<string, Summary> StepsMs,
    Summary ReplacementAnsweringMs, int ClientAttempts, int ClientFailures, int QuarantinedAnswered, IReadOnlyList<double> LoadAverageBefore,
    IReadOnlyList<double> LoadAverageAfter, string Host, IReadOnlyList<QuarantineSample> Samples, string Command, DateTimeOffset At);

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
        var loadBefore = Reports.NoisyReportWriter.LoadAverage();
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
                var steps = Steps.ToDictionary(n => n, n => answer.GetProperty("steps").GetProperty(n).GetDouble());
                // Frozen and cut: not even the kernel's handshake (the port is down), within a generous half second.
                var answered = TcpReadinessProbe.WaitForAnswer(lab, IPAddress.Parse(victimAddress), 5201, Stopwatch.GetTimestamp(), TimeSpan.FromMilliseconds(500)).Ready;
                var known = new HashSet<string>(replicas.Select(r => r.Id));
                var replacementStartMs = double.NaN;
                var fresh = await Serving(http, name, 2, ct, exclude: victim, listed: list =>
                {
                    if (double.IsNaN(replacementStartMs) && list.Any(r => !known.Contains(r.Id)))
                    {
                        replacementStartMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                    }
                }).ConfigureAwait(false);
                var replacementMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                await stopClient.CancelAsync().ConfigureAwait(false);
                var (attempts, failures) = await client.ConfigureAwait(false);
                steps["replacementStart"] = replacementStartMs;
                samples.Add(new QuarantineSample(callMs, serverMs, steps, replacementStartMs, replacementMs, answered, attempts, failures));
                var stepLine = string.Join(", ", steps.Select(kv => string.Create(CultureInfo.InvariantCulture, $"{kv.Key} {kv.Value:0.0}")));
                Progress?.Invoke(string.Create(CultureInfo.InvariantCulture,
                    $"quarantine run {run + 1}/{runs}: call {callMs:0.0} ms (frozen and cut {serverMs:0.0} ms; {stepLine}), replacement answering after {replacementMs:0} ms, " +
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
        var stepSummaries = Steps.Append("replacementStart").ToDictionary(n => n, n => Summary.Of(samples.Select(s => s.StepsMs[n]).ToList()));
        return new QuarantineResult(runs, technology, Summary.Of(samples.Select(s => s.CallMs).ToList()), Summary.Of(samples.Select(s => s.FrozenAndCutMs).ToList()),
            stepSummaries, Summary.Of(samples.Select(s => s.ReplacementAnsweringMs).ToList()), samples.Sum(s => s.ClientAttempts), samples.Sum(s => s.ClientFailures),
            samples.Count(s => s.QuarantinedAnswered), loadBefore, Reports.NoisyReportWriter.LoadAverage(), HostLine(), samples, command, DateTimeOffset.UtcNow);
    }

    private string HostLine()
    {
        var h = Environment.HostProbe.Describe("", "", command, DateTimeOffset.UtcNow);
        return string.Create(CultureInfo.InvariantCulture, $"{h.Cpu}, {h.Cores} vCPU, {h.MemoryGiB} GiB, {h.Os}, kernel {h.Kernel}, {h.Runtime}");
    }

    /// <summary>The steps of the call as the daemon answers them (QuarantineStepsDto's names), in the call's order.</summary>
    private static readonly string[] Steps = ["lockWait", "cut", "freeze", "store", "audit", "serviceLeave"];

    /// <summary>The VNF's running replicas once <paramref name="count"/> of them (not <paramref name="exclude"/>) answer TCP; bounded at 60 s.</summary>
    private async Task<List<(string Id, int Pid, string Address)>> Serving(HttpClient http, string vnf, int count, CancellationToken ct, string? exclude = null,
        Action<List<(string Id, int Pid, string Address)>>? listed = null)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(60 * Stopwatch.Frequency);
        while (true)
        {
            var list = (await DaemonBench.Replicas(http, vnf, ct).ConfigureAwait(false)).Where(r => r.Id != exclude).ToList();
            listed?.Invoke(list);
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

    public static string Markdown(QuarantineResult r)
    {
        var md = new System.Text.StringBuilder(string.Format(CultureInfo.InvariantCulture,
            "# Quarantine: one replica of a 2-replica {0} VNF under client traffic\n\n`{1}` at {2:u}  \nHost: {16}; load average {3} before, {4} after\n\n" +
            "| runs | API call, median ms (min-max) | call to frozen and cut, median ms (min-max) | replacement answering, median ms | client answered | quarantined answered |\n" +
            "|---|---|---|---|---|---|\n| {5} | {6:0.0} ({7:0.0}-{8:0.0}) | {9:0.00} ({10:0.00}-{11:0.00}) | {12:0} | {13}/{14} | {15} |\n\n" +
            "Where the call's time went (the daemon's own timing of each step; the replacement's start is from the call until the bench lists it running):\n\n" +
            "| step | median ms | min | max |\n|---|---|---|---|\n",
            r.Technology, r.Command, r.At, string.Join(" ", r.LoadAverageBefore), string.Join(" ", r.LoadAverageAfter), r.Runs, r.CallMs.Median, r.CallMs.Min,
            r.CallMs.Max, r.FrozenAndCutMs.Median, r.FrozenAndCutMs.Min, r.FrozenAndCutMs.Max, r.ReplacementAnsweringMs.Median,
            r.ClientAttempts - r.ClientFailures, r.ClientAttempts, r.QuarantinedAnswered, r.Host));
        foreach (var (step, s) in r.StepsMs)
        {
            md.Append(CultureInfo.InvariantCulture, $"| {step} | {s.Median:0.00} | {s.Min:0.00} | {s.Max:0.00} |\n");
        }
        return md.ToString();
    }
}
