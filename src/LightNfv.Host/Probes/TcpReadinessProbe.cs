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
/// SYN sent if nothing came back, earlier ones staying in flight (up to 128). Resolution is therefore the step (50 µs
/// unless the caller sets another) plus one lab RTT (a few µs on a veth). A caller may ask the probe to pace down
/// while nothing at all answers (after 128 SYNs, gradually to one per 1 ms): kinder to an emulated guest on a busy
/// host, at the cost of resolution, so readiness waits do it and measurements only for such guests.
/// By default only a SYN-ACK counts (the VNF itself listens); a RST only says the instance's kernel is up.
/// Between SYNs the probe sleeps (with 1 µs timer slack) rather than spins: on a small host a spinning probe takes
/// a whole core from the VNF it is waiting for.
/// </summary>
public static unsafe partial class TcpReadinessProbe
{
    public static readonly TimeSpan Step = TimeSpan.FromTicks(500); // 50 µs

    internal const int AF_INET = 2, SOCK_STREAM = 1, SOCK_NONBLOCK = 0x800, SOCK_CLOEXEC = 0x80000;
    private const int SOL_SOCKET = 1, SO_ERROR = 4, SO_LINGER = 13, IPPROTO_TCP = 6, TCP_SYNCNT = 7;

    /// <summary>
    /// Probes until the instance answers or <paramref name="timeout"/> passes; elapsed time is measured from
    /// <paramref name="startTimestamp"/> (a <see cref="Stopwatch"/> timestamp taken when the create call was issued).
    /// </summary>
    public static ProbeResult WaitForAnswer(LabNetwork lab, IPAddress address, int port, long startTimestamp, TimeSpan timeout, bool acceptRst = false) =>
        lab.RunInLab(() => Probe(address, port, startTimestamp, timeout, acceptRst, paceDownWhenSilent: true));

    /// <summary>Same, from the calling thread's network namespace.</summary>
    /// <param name="step">SYN spacing; <see cref="Step"/> by default. An emulated guest (QEMU TCG) spends so long on
    /// each RST it sends that a 50 µs flood starves the VNF it is waiting for: VMs are probed every 1 ms.</param>
    /// <param name="paceDownWhenSilent">Slow the SYNs down while nothing answers (see the class remarks).</param>
    /// <param name="sockets">Where the SYNs' sockets come from: made ahead in a namespace (the lab, for a prober on a host
    /// thread) or, when null, one at a time in the calling thread's namespace.</param>
    public static ProbeResult Probe(IPAddress address, int port, long startTimestamp, TimeSpan timeout, bool acceptRst, TimeSpan? step = null,
        bool paceDownWhenSilent = false, ProbeSockets? sockets = null)
    {
        using var own = sockets is null ? new ProbeSockets(null) : null;
        sockets ??= own!;
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
        // Earlier SYNs stay in flight (up to MaxInFlight), like the draft's SYN flood: an instance that answers more
        // slowly than one step (a guest whose every instruction is emulated) is timed by its first answer to any SYN,
        // instead of answering only SYNs whose socket the probe has already given up.
        var inFlight = new List<FileDescriptor>(MaxInFlight);
        var fds = stackalloc Libc.PollFd[MaxInFlight];
        try
        {
            while (Stopwatch.GetTimestamp() < deadline)
            {
                attempts++;
                var fd = sockets.Take();
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
                    // Once the instance's kernel has refused a SYN it answers at once: one SYN at a time, as before
                    // (no second connection reaches the VNF when it starts to listen).
                    while (inFlight.Count == MaxInFlight || (!double.IsNaN(firstAnswer) && inFlight.Count > 0))
                    {
                        Reset(inFlight[0]);
                        inFlight.RemoveAt(0);
                    }
                    inFlight.Add(fd);
                    for (var i = 0; i < inFlight.Count; i++)
                    {
                        fds[i] = new Libc.PollFd { Fd = inFlight[i].Value, Events = Libc.POLLOUT };
                    }
                    // After a full window without an answer, pace the SYNs down (to at most MaxStep): an instance that
                    // answers SYNs more slowly than they come (an emulated guest on a busy host) would otherwise only
                    // ever answer SYNs whose sockets the probe has already closed, and never be seen.
                    var waitNs = !paceDownWhenSilent || attempts <= MaxInFlight || !double.IsNaN(firstAnswer)
                        ? stepNs
                        : Math.Max(stepNs, Math.Min(MaxStepNs, stepNs + (attempts - MaxInFlight) * stepNs / 8));
                    if (WaitForAny(fds, inFlight.Count, waitNs) <= 0)
                    {
                        continue; // no answer yet: the instance's link or address is not there; send a new SYN
                    }
                    err = -1;
                    for (var i = inFlight.Count - 1; i >= 0; i--)
                    {
                        if (fds[i].Revents == 0)
                        {
                            continue;
                        }
                        var soErr = 0;
                        var len = sizeof(int);
                        Libc.getsockopt(inFlight[i], SOL_SOCKET, SO_ERROR, &soErr, &len);
                        if (soErr == 0)
                        {
                            fd = inFlight[i];
                            inFlight.RemoveAt(i);
                            err = 0;
                            break;
                        }
                        inFlight[i].Dispose();
                        inFlight.RemoveAt(i);
                        err = err == Libc.ECONNREFUSED ? err : soErr;
                    }
                    if (err != 0 && err != Libc.ECONNREFUSED)
                    {
                        SpinFor(Step);
                        continue;
                    }
                }
                var now = Stopwatch.GetTimestamp();
                if (err == 0)
                {
                    using (fd)
                    {
                        // Close with RST so the VNF sees a reset, not a half-finished session.
                        var linger = stackalloc int[2] { 1, 0 };
                        Libc.setsockopt(fd, SOL_SOCKET, SO_LINGER, linger, 8);
                    }
                    var elapsed = Ms(startTimestamp, now);
                    return new ProbeResult(true, elapsed, attempts, double.IsNaN(firstAnswer) ? elapsed : firstAnswer);
                }
                if (!inFlight.Contains(fd))
                {
                    fd.Dispose();
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
        finally
        {
            foreach (var f in inFlight)
            {
                Reset(f);
            }
        }
    }

    /// <summary>
    /// Waits up to <paramref name="waitNs"/> for an answer to any in-flight SYN by checking the sockets and sleeping on
    /// this thread's own timer between checks, not by blocking on the sockets. An answer that a vCPU thread writes
    /// into a tap wakes a thread blocked on the socket from that vCPU's CPU, and the scheduler queued the probe there,
    /// behind the busy guest, for up to a tick while the other CPU idled (a sched_switch trace: answered at +1.4 ms,
    /// seen at +3.5 ms). Slices of 50 µs (a twentieth of a longer step) keep the resolution.
    /// </summary>
    private static int WaitForAny(Libc.PollFd* fds, int count, long waitNs)
    {
        var sliceNs = Math.Max(Step.Ticks * 100, waitNs / 20);
        var deadline = Stopwatch.GetTimestamp() + waitNs * Stopwatch.Frequency / 1_000_000_000;
        var zero = new Libc.TimeSpec();
        while (true)
        {
            // Checked first: a kernel's RST or SYN-ACK is often there as soon as connect() returns.
            var ready = Libc.ppoll(fds, (nuint)count, &zero, null);
            var leftNs = (deadline - Stopwatch.GetTimestamp()) * 1_000_000_000 / Stopwatch.Frequency;
            if (ready > 0 || leftNs <= 0)
            {
                return ready;
            }
            var sleep = new Libc.TimeSpec { Seconds = 0, Nanoseconds = Math.Min(leftNs, sliceNs) };
            Libc.ppoll(null, 0, &sleep, null);
        }
    }

    /// <summary>SYNs kept waiting for an answer at once (128 x 50 µs: a 6.4 ms window, growing with the pace).</summary>
    private const int MaxInFlight = 128;

    /// <summary>The slowest pace (and so the coarsest resolution) the probe falls back to while nothing answers: 1 ms.</summary>
    private const long MaxStepNs = 1_000_000;

    /// <summary>Closes with RST, not FIN: a SYN answered at the same moment as the winner must not look like a client.</summary>
    private static void Reset(FileDescriptor fd)
    {
        var linger = stackalloc int[2] { 1, 0 };
        Libc.setsockopt(fd, SOL_SOCKET, SO_LINGER, linger, 8);
        fd.Dispose();
    }

    private static double Ms(long from, long to) => (to - from) * 1000.0 / Stopwatch.Frequency;

    private static void SpinFor(TimeSpan t)
    {
        var ts = new Libc.TimeSpec { Seconds = 0, Nanoseconds = (long)(t.TotalMilliseconds * 1_000_000) };
        Libc.ppoll(null, 0, &ts, null);
    }

    /// <summary>The default 50 µs slack would double every 50 µs sleep; the setting is per thread.</summary>
    private static void TightenTimerSlack() => Libc.prctl(Libc.PR_SET_TIMERSLACK, 1000, 0, 0, 0);
}
