using System.Diagnostics;
using System.Net;
using LightNfv.Host.Native;
using LightNfv.Host.Network;

namespace LightNfv.Host.Probes;

/// <summary>
/// How a readiness probe ended: <see cref="FirstAnswerMs"/> is the draft's instantiation time (the first SYN answered
/// with SYN-ACK or RST: the instance's network stack is up); <see cref="ElapsedMs"/> is when the VNF itself accepted.
/// </summary>
public readonly record struct ProbeResult(bool Ready, double ElapsedMs, int Attempts, double FirstAnswerMs);

/// <summary>
/// Times how long an instance takes to answer TCP, probed from the lab side like the draft's SYN flood:
/// a non-blocking connect is issued, its outcome polled for at most <see cref="Step"/> (50 µs), and a fresh
/// SYN sent if nothing came back. Resolution is therefore 50 µs plus one lab RTT (a few µs on a veth).
/// By default only a SYN-ACK counts (the VNF itself listens); a RST only says the instance's kernel is up.
/// Between SYNs the probe sleeps (with 1 µs timer slack) rather than spins: on a small host a spinning probe takes
/// a whole core from the VNF it is waiting for.
/// </summary>
public static unsafe partial class TcpReadinessProbe
{
    public static readonly TimeSpan Step = TimeSpan.FromTicks(500); // 50 µs

    private const int AF_INET = 2, SOCK_STREAM = 1, SOCK_NONBLOCK = 0x800, SOCK_CLOEXEC = 0x80000;
    private const int SOL_SOCKET = 1, SO_ERROR = 4, SO_LINGER = 13, IPPROTO_TCP = 6, TCP_SYNCNT = 7;

    /// <summary>
    /// Probes until the instance answers or <paramref name="timeout"/> passes; elapsed time is measured from
    /// <paramref name="startTimestamp"/> (a <see cref="Stopwatch"/> timestamp taken when the create call was issued).
    /// </summary>
    public static ProbeResult WaitForAnswer(LabNetwork lab, IPAddress address, int port, long startTimestamp, TimeSpan timeout, bool acceptRst = false) =>
        lab.RunInLab(() => Probe(address, port, startTimestamp, timeout, acceptRst));

    /// <summary>Same, from the calling thread's network namespace.</summary>
    /// <param name="step">SYN spacing; <see cref="Step"/> by default. An emulated guest (QEMU TCG) spends so long on
    /// each RST it sends that a 50 µs flood starves the VNF it is waiting for: VMs are probed every 1 ms.</param>
    public static ProbeResult Probe(IPAddress address, int port, long startTimestamp, TimeSpan timeout, bool acceptRst, TimeSpan? step = null)
    {
        TightenTimerSlack();
        Span<byte> sa = stackalloc byte[16];
        sa.Clear();
        sa[0] = AF_INET;
        sa[2] = (byte)(port >> 8);
        sa[3] = (byte)port;
        address.TryWriteBytes(sa[4..8], out _);

        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        var attempts = 0;
        var firstAnswer = double.NaN;
        var stepNs = (long)((step ?? Step).TotalMilliseconds * 1_000_000);
        while (Stopwatch.GetTimestamp() < deadline)
        {
            attempts++;
            var raw = Libc.socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
            if (raw < 0)
            {
                throw Errno.Error("probe socket", Errno.Last);
            }
            using var fd = new FileDescriptor(raw);
            // One SYN per socket: retransmits are ours to make, at our pace.
            var syncnt = 1;
            Libc.setsockopt(fd, IPPROTO_TCP, TCP_SYNCNT, &syncnt, sizeof(int));
            int err;
            fixed (byte* p = sa)
            {
                err = Libc.connect(fd, p, sa.Length) == 0 ? 0 : Errno.Last;
            }
            if (err == Libc.EINPROGRESS)
            {
                var pfd = new Libc.PollFd { Fd = fd.Value, Events = Libc.POLLOUT };
                var ts = new Libc.TimeSpec { Seconds = 0, Nanoseconds = stepNs };
                var r = Libc.ppoll(&pfd, 1, &ts, null);
                if (r <= 0)
                {
                    continue; // no answer yet: the instance's link or address is not there; send a new SYN
                }
                var soErr = 0;
                var len = sizeof(int);
                Libc.getsockopt(fd, SOL_SOCKET, SO_ERROR, &soErr, &len);
                err = soErr;
            }
            var now = Stopwatch.GetTimestamp();
            if (err == 0)
            {
                // Close with RST so the VNF sees a reset, not a half-finished session.
                var linger = stackalloc int[2] { 1, 0 };
                Libc.setsockopt(fd, SOL_SOCKET, SO_LINGER, linger, 8);
                var elapsed = Ms(startTimestamp, now);
                return new ProbeResult(true, elapsed, attempts, double.IsNaN(firstAnswer) ? elapsed : firstAnswer);
            }
            if (err == Libc.ECONNREFUSED)
            {
                if (double.IsNaN(firstAnswer))
                {
                    firstAnswer = Ms(startTimestamp, now);
                }
                if (acceptRst)
                {
                    return new ProbeResult(true, firstAnswer, attempts, firstAnswer);
                }
                SpinFor(Step); // the kernel is up but nobody listens yet: pace the next SYN
                continue;
            }
            // EHOSTUNREACH/ENETUNREACH while links come up: keep trying until the deadline.
            SpinFor(Step);
        }
        return new ProbeResult(false, Ms(startTimestamp, Stopwatch.GetTimestamp()), attempts, firstAnswer);
    }

    private static double Ms(long from, long to) => (to - from) * 1000.0 / Stopwatch.Frequency;

    private static void SpinFor(TimeSpan t)
    {
        var ts = new Libc.TimeSpec { Seconds = 0, Nanoseconds = (long)(t.TotalMilliseconds * 1_000_000) };
        Libc.ppoll(null, 0, &ts, null);
    }

    private const int PR_SET_TIMERSLACK = 29;

    [System.Runtime.InteropServices.LibraryImport("libc", SetLastError = true)]
    private static partial int prctl(int option, nuint arg2, nuint arg3, nuint arg4, nuint arg5);

    /// <summary>The default 50 µs slack would double every 50 µs sleep; the setting is per thread.</summary>
    private static void TightenTimerSlack() => prctl(PR_SET_TIMERSLACK, 1000, 0, 0, 0);
}
