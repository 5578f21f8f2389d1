using LightNfv.Host.Native;

namespace LightNfv.Host.Processes;

/// <summary>
/// A host binary copied once into a fully sealed memfd and executed from there (/proc/self/fd/N). OCI runtimes guard
/// against CVE-2019-5736 by copying themselves into a sealed memfd and re-executing on every container start (runc 1.1:
/// 8.7 MB and a second exec of a Go binary per `runc init`); both runc and crun accept a binary that already is a fully
/// sealed memfd as safe (nothing can write to it), so the copy is made once per platform process instead of per call.
/// </summary>
public sealed class SealedExecutable : IDisposable
{
    private const int AllSeals = Libc.F_SEAL_SEAL | Libc.F_SEAL_SHRINK | Libc.F_SEAL_GROW | Libc.F_SEAL_WRITE;

    private readonly FileDescriptor _fd;

    private readonly (DateTime Modified, long Length) _stamp;

    private SealedExecutable(string source, FileDescriptor fd, (DateTime, long) stamp)
    {
        Source = source;
        _fd = fd;
        _stamp = stamp;
    }

    /// <summary>The binary this is a copy of.</summary>
    public string Source { get; }

    /// <summary>Whether the binary on disk is still the one copied (a package upgrade replaces it).</summary>
    public bool IsCurrent => Stamp(Source) == _stamp;

    /// <summary>The path to exec: valid in this process and in children spawned from it (the exec opens it before O_CLOEXEC closes it).</summary>
    public string ExecPath => $"/proc/self/fd/{_fd.Value}";

    /// <summary>A sealed copy of <paramref name="path"/>, or null where memfds cannot be sealed (the caller then runs the file itself).</summary>
    public static SealedExecutable? TryCreate(string path)
    {
        var raw = Libc.memfd_create(Path.GetFileName(path), Libc.MFD_CLOEXEC | Libc.MFD_ALLOW_SEALING);
        if (raw < 0)
        {
            return null;
        }
        var fd = new FileDescriptor(raw);
        try
        {
            var stamp = Stamp(path);
            // A handle that does not own the memfd: disposing the stream must not close what we keep.
            using (var source = File.OpenRead(path))
            using (var target = new FileStream(new Microsoft.Win32.SafeHandles.SafeFileHandle(raw, ownsHandle: false), FileAccess.Write))
            {
                source.CopyTo(target);
            }
            if (Libc.fcntl_int(fd, Libc.F_ADD_SEALS, AllSeals) < 0 || Libc.fcntl_int(fd, Libc.F_GET_SEALS, 0) != AllSeals)
            {
                fd.Dispose();
                return null;
            }
            return new SealedExecutable(path, fd, stamp);
        }
        catch (IOException)
        {
            fd.Dispose();
            return null;
        }
    }

    public void Dispose() => _fd.Dispose();

    private static (DateTime, long) Stamp(string path)
    {
        var info = new FileInfo(path);
        return info.Exists ? (info.LastWriteTimeUtc, info.Length) : (DateTime.MinValue, -1);
    }
}
