using LightNfv.Host.Namespaces;
using LightNfv.Host.Native;

namespace LightNfv.Host.Probes;

/// <summary>
/// TCP sockets for a readiness probe's SYNs, made inside a network namespace from the calling thread: it enters the
/// namespace only around socket creation, a batch at a time, and returns home at once (a socket keeps the namespace it
/// was made in). So a prober needs no thread in the lab, and nothing it starts can inherit the lab. Made before the
/// create call is timed, the first batch costs the measurement nothing. Null namespace: the calling thread's own, one
/// socket at a time, as before.
/// </summary>
public sealed class ProbeSockets : IDisposable
{
    /// <summary>SYNs per namespace entry: a process answers after ~150 SYNs at 50 µs, so a few entries per probe.</summary>
    private const int Batch = 32;

    private readonly FileDescriptor? _namespace;
    private readonly Stack<FileDescriptor> _spare = new();

    public ProbeSockets(FileDescriptor? netNamespace)
    {
        _namespace = netNamespace;
        if (_namespace is not null)
        {
            Fill();
        }
    }

    /// <summary>A fresh non-blocking TCP socket of the namespace; the caller owns it.</summary>
    public FileDescriptor Take()
    {
        if (_namespace is null)
        {
            return Open();
        }
        if (_spare.Count == 0)
        {
            Fill();
        }
        return _spare.Pop();
    }

    private void Fill() => NetNamespace.WithNamespace(_namespace!, () =>
    {
        for (var i = 0; i < Batch; i++)
        {
            _spare.Push(Open());
        }
    });

    private static FileDescriptor Open()
    {
        var raw = Libc.socket(TcpReadinessProbe.AF_INET, TcpReadinessProbe.SOCK_STREAM | TcpReadinessProbe.SOCK_NONBLOCK | TcpReadinessProbe.SOCK_CLOEXEC, 0);
        if (raw < 0)
        {
            throw Errno.Error("probe socket", Errno.Last);
        }
        return new FileDescriptor(raw);
    }

    public void Dispose()
    {
        while (_spare.TryPop(out var fd))
        {
            fd.Dispose();
        }
    }
}
