using LightNfv.Host.Native;

namespace LightNfv.Host.Processes;

/// <summary>
/// Tells the moment a watched process exits: one thread waits in ppoll on a pidfd per process (readable at exit, also
/// for processes that are not our children) plus a pipe that wakes it when the set changes. No polling interval:
/// a SIGKILLed VNF is reported within microseconds, which is what lets the healer restart it well under a second.
/// </summary>
public sealed unsafe class ProcessExitWatcher : IDisposable
{
    private readonly Lock _gate = new();
    private readonly Dictionary<long, Entry> _entries = new();
    private readonly Thread _thread;
    private readonly int _wakeRead, _wakeWrite;
    private long _next;
    private volatile bool _disposed;

    private sealed record Entry(long Token, ProcessIdentity Process, FileDescriptor PidFd, Action<ProcessIdentity> OnExit);

    public ProcessExitWatcher()
    {
        var fds = stackalloc int[2];
        Errno.Check(Libc.pipe2(fds, Libc.O_CLOEXEC | Libc.O_NONBLOCK), "pipe2");
        _wakeRead = fds[0];
        _wakeWrite = fds[1];
        _thread = new Thread(Loop) { IsBackground = true, Name = "lightnfv-exit-watcher" };
        _thread.Start();
    }

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _entries.Count;
            }
        }
    }

    /// <summary>
    /// Calls <paramref name="onExit"/> (on the thread pool) once when the process exits; at once if it is already gone.
    /// Dispose the result to stop watching.
    /// </summary>
    public IDisposable Watch(ProcessIdentity process, Action<ProcessIdentity> onExit)
    {
        var fd = Libc.syscall(Libc.SYS_pidfd_open, process.Pid, 0, 0, 0);
        if (fd < 0 || !process.IsAlive)
        {
            if (fd >= 0)
            {
                Libc.close((int)fd);
            }
            ThreadPool.QueueUserWorkItem(_ => onExit(process));
            return new Token(this, -1);
        }
        long token;
        lock (_gate)
        {
            token = ++_next;
            _entries[token] = new Entry(token, process, new FileDescriptor((int)fd), onExit);
        }
        Wake();
        return new Token(this, token);
    }

    private void Unwatch(long token)
    {
        Entry? e;
        lock (_gate)
        {
            if (!_entries.Remove(token, out e))
            {
                return;
            }
        }
        Wake();
        // Closed after the loop has rebuilt its set (it copies fds under the lock, and a closed fd it still polls is harmless: POLLNVAL).
        e.PidFd.Dispose();
    }

    private void Wake()
    {
        byte b = 1;
        Libc.write(_wakeWrite, &b, 1);
    }

    private void Loop()
    {
        var buffer = stackalloc byte[64];
        while (!_disposed)
        {
            Entry[] snapshot;
            lock (_gate)
            {
                snapshot = [.. _entries.Values];
            }
            var fds = new Libc.PollFd[snapshot.Length + 1];
            fds[0] = new Libc.PollFd { Fd = _wakeRead, Events = Libc.POLLIN };
            for (var i = 0; i < snapshot.Length; i++)
            {
                fds[i + 1] = new Libc.PollFd { Fd = snapshot[i].PidFd.Value, Events = Libc.POLLIN };
            }
            int r;
            fixed (Libc.PollFd* p = fds)
            {
                r = Libc.ppoll(p, (nuint)fds.Length, null, null);
            }
            if (r < 0)
            {
                continue; // EINTR, or a fd closed under us: rebuild the set
            }
            if ((fds[0].Revents & Libc.POLLIN) != 0)
            {
                while (Libc.read(_wakeRead, buffer, 64) > 0)
                {
                }
            }
            for (var i = 0; i < snapshot.Length; i++)
            {
                if (fds[i + 1].Revents == 0)
                {
                    continue;
                }
                var e = snapshot[i];
                bool removed;
                lock (_gate)
                {
                    removed = _entries.Remove(e.Token);
                }
                if (removed)
                {
                    e.PidFd.Dispose();
                    ThreadPool.QueueUserWorkItem(_ => e.OnExit(e.Process));
                }
            }
        }
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        Wake();
        _thread.Join(TimeSpan.FromSeconds(2));
        lock (_gate)
        {
            foreach (var e in _entries.Values)
            {
                e.PidFd.Dispose();
            }
            _entries.Clear();
        }
        Libc.close(_wakeRead);
        Libc.close(_wakeWrite);
    }

    private sealed class Token(ProcessExitWatcher owner, long token) : IDisposable
    {
        public void Dispose()
        {
            if (token >= 0)
            {
                owner.Unwatch(token);
            }
        }
    }
}
