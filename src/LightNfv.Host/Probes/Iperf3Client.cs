using System.Globalization;
using System.Net;
using System.Text.Json;
using LightNfv.Core.Errors;
using LightNfv.Host.Cgroups;
using LightNfv.Host.Native;
using LightNfv.Host.Processes;

namespace LightNfv.Host.Probes;

/// <summary>
/// Throughput with the real iperf3 client, started in the namespace it is given (the lab side, the "host" of the
/// draft's guest-to-host measurement) by name, never by inheriting a thread's. Normal mode: the client sends, the VNF receives (its Rx);
/// reverse mode: the VNF sends (its Tx). Fixed duration, one TCP stream, JSON output parsed.
/// </summary>
public static class Iperf3Client
{
    /// <summary>
    /// Pauses before each new try of a test the server turned away before it began: short for a server on the host,
    /// up to seconds in all for one inside an emulated (TCG) guest, where re-listening takes that long.
    /// </summary>
    private static readonly TimeSpan[] s_pauses = [TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2)];

    /// <remarks>
    /// Between two tests an iperf3 server closes its listening socket and opens a new one; a client that connects in
    /// that gap is reset before the test begins ("unable to receive control message", "server is busy"). Such a test
    /// never started, so it is tried again after a short pause; any other failure is reported at once.
    /// </remarks>
    /// <param name="clientCpu">The CPU the client runs on (iperf3 -A), for a measurement that pins its load generator; null: anywhere.</param>
    /// <param name="clientCgroup">The cgroup the client runs in; null: this process's.</param>
    public static double Gbps(FileDescriptor netNamespace, IPAddress server, int port, TimeSpan duration, bool vnfSends, int? clientCpu = null,
        ICgroup? clientCgroup = null) =>
        Retried(() => Run(netNamespace, server, port, duration, vnfSends, clientCpu, clientCgroup, interval: null,
            root => root.GetProperty("end").GetProperty("sum_received").GetProperty("bits_per_second").GetDouble() / 1e9));

    /// <summary>
    /// One test of <paramref name="duration"/> reported every <paramref name="interval"/> (iperf3 -i), the lab side
    /// sending: the intervals' times from the test's start and their Gb/s, for a measurement that changes something
    /// on the host while one connection runs (the connection's own state moves a result by 8-11 % from one test to
    /// the next here, far more than within one).
    /// </summary>
    public static IReadOnlyList<Iperf3Interval> Intervals(FileDescriptor netNamespace, IPAddress server, int port, TimeSpan duration, TimeSpan interval,
        int? clientCpu = null, ICgroup? clientCgroup = null) =>
        Retried(() => Run(netNamespace, server, port, duration, vnfSends: false, clientCpu, clientCgroup, interval, root =>
            root.GetProperty("intervals").EnumerateArray().Select(i => i.GetProperty("sum")).Select(sum => new Iperf3Interval(
                sum.GetProperty("start").GetDouble(), sum.GetProperty("end").GetDouble(), sum.GetProperty("bits_per_second").GetDouble() / 1e9)).ToList()));

    private static T Retried<T>(Func<T> test)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return test();
            }
            catch (LightNfvException e) when (attempt <= s_pauses.Length && IsTurnedAway(e.Message))
            {
                Thread.Sleep(s_pauses[attempt - 1]);
            }
        }
    }

    private static bool IsTurnedAway(string message) =>
        message.Contains("unable to receive control message", StringComparison.Ordinal)
        || message.Contains("unable to connect", StringComparison.Ordinal)
        || message.Contains("server is busy", StringComparison.Ordinal);

    private static T Run<T>(FileDescriptor netNamespace, IPAddress server, int port, TimeSpan duration, bool vnfSends, int? clientCpu, ICgroup? clientCgroup,
        TimeSpan? interval, Func<JsonElement, T> read)
    {
        var args = new List<string>
        {
            "iperf3", "-c", server.ToString(), "-p", port.ToString(CultureInfo.InvariantCulture),
            "-t", duration.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture),
            "-i", (interval?.TotalSeconds ?? 0).ToString("0.###", CultureInfo.InvariantCulture), "-J",
        };
        if (vnfSends)
        {
            args.Add("-R");
        }
        if (clientCpu is { } cpu)
        {
            args.AddRange(["-A", cpu.ToString(CultureInfo.InvariantCulture)]);
        }
        var result = HostCommand.Run(args, timeout: duration + TimeSpan.FromSeconds(15), netNamespace: netNamespace, cgroupProcsFiles: clientCgroup?.ProcsFiles);
        try
        {
            using var doc = JsonDocument.Parse(result.Output);
            if (doc.RootElement.TryGetProperty("error", out var error))
            {
                throw new LightNfvException(ErrorKind.Host, $"iperf3 -c {server}: {error.GetString()}");
            }
            return read(doc.RootElement);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new LightNfvException(ErrorKind.Host, $"iperf3 -c {server} gave no result (exit {result.ExitCode}): {result.Output[..Math.Min(300, result.Output.Length)]}", e);
        }
    }
}

/// <summary>One report interval of an iperf3 test: seconds from the test's start, and its throughput.</summary>
public readonly record struct Iperf3Interval(double Start, double End, double Gbps);
