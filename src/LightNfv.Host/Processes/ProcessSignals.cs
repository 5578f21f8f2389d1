using LightNfv.Host.Native;

namespace LightNfv.Host.Processes;

/// <summary>Signals and waits through pidfds, so a pid recycled between check and kill is never hit.</summary>
public static unsafe class ProcessSignals
{
    /// <summary>Sends <paramref name="signal"/> if the process is still the one recorded. Returns false if it is gone.</summary>
    public static bool Send(ProcessIdentity process, int signal)
    {
        using var pidfd = OpenPidFd(process);
        if (pidfd is null)
        {
            return false;
        }
        var r = Libc.syscall(Libc.SYS_pidfd_send_signal, pidfd.Value, signal, 0, 0);
        if (r < 0)
        {
            var e = Errno.Last;
            if (e == Libc.ESRCH)
            {
                return false;
            }
            throw Errno.Error($"signal {signal} to pid {process.Pid}", e);
        }
        return true;
    }

    /// <summary>Waits until the process exits or the timeout passes; true if it is gone.</summary>
    public static bool WaitForExit(ProcessIdentity process, TimeSpan timeout)
    {
        using var pidfd = OpenPidFd(process);
        if (pidfd is null)
        {
            return true;
        }
        var deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        while (true)
        {
            var left = deadline - Environment.TickCount64;
            if (left <= 0)
            {
                return !process.IsAlive;
            }
            var pfd = new Libc.PollFd { Fd = pidfd.Value, Events = Libc.POLLIN };
            var ts = new Libc.TimeSpec { Seconds = left / 1000, Nanoseconds = left % 1000 * 1_000_000 };
            var r = Libc.ppoll(&pfd, 1, &ts, null);
            // A pidfd turns readable when the process exits; it stays a zombie until its supervisor reaps it.
            if (r > 0)
            {
                return true;
            }
            if (r < 0 && Errno.Last != Libc.EINTR)
            {
                throw Errno.Error("poll pidfd", Errno.Last);
            }
        }
    }

    /// <summary>
    /// SIGTERM, then SIGKILL after <paramref name="grace"/>. True if the process is gone afterwards.
    /// A VNF is pid 1 of its pid namespace, and the kernel drops signals pid 1 has no handler for: when SIGTERM is
    /// not caught there is nothing to wait for, so SIGKILL goes at once.
    /// </summary>
    public static bool Terminate(ProcessIdentity process, TimeSpan grace)
    {
        if (!CatchesSignal(process.Pid, Libc.SIGTERM))
        {
            grace = TimeSpan.Zero;
        }
        else if (!Send(process, Libc.SIGTERM))
        {
            return true;
        }
        if (grace > TimeSpan.Zero && WaitForExit(process, grace))
        {
            return true;
        }
        Send(process, Libc.SIGKILL);
        return WaitForExit(process, TimeSpan.FromSeconds(5));
    }

    /// <summary>Whether the process has a handler for <paramref name="signal"/> (SigCgt in /proc/PID/status).</summary>
    public static bool CatchesSignal(int pid, int signal)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("SigCgt:", StringComparison.Ordinal))
                {
                    var mask = Convert.ToUInt64(line[7..].Trim(), 16);
                    return (mask & (1UL << (signal - 1))) != 0;
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
        }
        return false;
    }

    private static FileDescriptor? OpenPidFd(ProcessIdentity process)
    {
        var fd = Libc.syscall(Libc.SYS_pidfd_open, process.Pid, 0, 0, 0);
        if (fd < 0)
        {
            var e = Errno.Last;
            if (e == Libc.ESRCH)
            {
                return null;
            }
            throw Errno.Error($"pidfd_open {process.Pid}", e);
        }
        var handle = new FileDescriptor((int)fd);
        // Checked after opening: from here the pidfd pins this exact process, so the identity cannot change under us.
        if (!process.IsAlive)
        {
            handle.Dispose();
            return null;
        }
        return handle;
    }
}
