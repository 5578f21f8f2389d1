using System.Text;
using LightNfv.Core.Errors;
using LightNfv.Host.Native;

namespace LightNfv.Host.Spt;

/// <summary>
/// A cold start in two halves (lnfv-spt --start-fd): the tender is spawned first and starts up (exec, libc) while the
/// platform makes its tap and cgroup; <see cref="Go"/> then hands it the tap and the cgroup files to join, and
/// <see cref="WaitLoaded"/> waits for its "R", written once the guest is loaded, just before it seals itself.
/// A SOCK_SEQPACKET pair: one message each way, and the tender's death reads as end of file.
/// </summary>
public sealed unsafe class SptStartChannel : IDisposable
{
    private readonly FileDescriptor _ours;
    private FileDescriptor? _theirs;

    private SptStartChannel(FileDescriptor ours, FileDescriptor theirs) => (_ours, _theirs) = (ours, theirs);

    public static SptStartChannel Open()
    {
        var fds = stackalloc int[2];
        Errno.Check(Libc.socketpair(Libc.AF_UNIX, Libc.SOCK_SEQPACKET | Libc.SOCK_CLOEXEC, 0, fds), "socketpair");
        return new SptStartChannel(new FileDescriptor(fds[0]), new FileDescriptor(fds[1]));
    }

    /// <summary>The tender's end, to pass at spawn (the spawner's dup2 clears its close-on-exec there).</summary>
    public int TheirEnd => _theirs?.Value ?? throw new InvalidOperationException("the tender's end is already released");

    /// <summary>Closes this process's copy of the tender's end, once spawned: the tender's exit then reads as end of file.</summary>
    public void ReleaseTheirEnd()
    {
        _theirs?.Dispose();
        _theirs = null;
    }

    /// <summary>
    /// The go message: "go\n" and each cgroup.procs file on its own line (at most 8, as the tender takes), with the
    /// tap's descriptor attached (SCM_RIGHTS: the tender holds its own copy from here on).
    /// </summary>
    public void Go(IReadOnlyList<string> procsFiles, int tapFd)
    {
        var message = Encoding.UTF8.GetBytes("go\n" + string.Concat(procsFiles.Select(f => f + "\n")));
        if (procsFiles.Count > 8 || message.Length > 4000 || procsFiles.Any(f => f.Contains('\n', StringComparison.Ordinal)))
        {
            throw new LightNfvException(ErrorKind.Host, $"lnfv-spt takes at most 8 cgroup files of one line each, not {procsFiles.Count}");
        }
        fixed (byte* p = message)
        {
            var iov = new Libc.IoVec { Base = p, Length = (nuint)message.Length };
            var cmsg = new Libc.CmsgOneFd { Length = 20, Level = Libc.SOL_SOCKET, Type = Libc.SCM_RIGHTS, Fd = tapFd };
            var msg = new Libc.MsgHdr { Iov = &iov, IovLength = 1, Control = &cmsg, ControlLength = (nuint)sizeof(Libc.CmsgOneFd) };
            // MSG_NOSIGNAL: a tender that died already is an error here, not a SIGPIPE.
            var n = Libc.sendmsg(_ours, &msg, Libc.MSG_NOSIGNAL);
            if (n != message.Length)
            {
                throw new LightNfvException(ErrorKind.Host, $"lnfv-spt's start channel: {(n < 0 ? Errno.Describe(Errno.Last) : "a short write")}");
            }
        }
    }

    /// <summary>True once the tender says the guest is loaded; false when it ended first (its log says why).</summary>
    /// <remarks>
    /// It spins for the first milliseconds (the tender needs well under one) rather than sleeping in poll: a vCPU that
    /// halts is woken by an IPI, which costs a few hundred microseconds on a nested VM like this one.
    /// </remarks>
    public bool WaitLoaded(TimeSpan timeout)
    {
        var start = Environment.TickCount64;
        var deadline = start + (long)timeout.TotalMilliseconds;
        var answer = stackalloc byte[1];
        while (true)
        {
            var n = Libc.recv(_ours, answer, 1, Libc.MSG_DONTWAIT);
            if (n == 1)
            {
                return answer[0] == (byte)'R';
            }
            if (n == 0 || Errno.Last is not (Libc.EINTR or Libc.EAGAIN))
            {
                return false;
            }
            var now = Environment.TickCount64;
            if (now > deadline)
            {
                throw new LightNfvException(ErrorKind.Host, $"lnfv-spt did not load its guest within {timeout.TotalSeconds:0} s");
            }
            if (now - start < SpinMs)
            {
                Thread.Yield();
                continue;
            }
            var left = deadline - now;
            var pfd = new Libc.PollFd { Fd = _ours.Value, Events = Libc.POLLIN };
            var ts = new Libc.TimeSpec { Seconds = left / 1000, Nanoseconds = left % 1000 * 1_000_000 };
            _ = Libc.ppoll(&pfd, 1, &ts, null); // readable, EINTR or the deadline: the loop decides
        }
    }

    private const long SpinMs = 20;

    public void Dispose()
    {
        _theirs?.Dispose();
        _ours.Dispose();
    }
}
