using System.Runtime.InteropServices;

namespace LightNfv.Host.Native;

/// <summary>An owned file descriptor (namespace files, netlink sockets, pidfds, probe sockets).</summary>
public sealed class FileDescriptor : SafeHandle
{
    public FileDescriptor(int fd) : base(-1, ownsHandle: true) => SetHandle(fd);

    public override bool IsInvalid => handle < 0;

    public int Value => (int)handle;

    protected override bool ReleaseHandle() => Libc.close((int)handle) == 0;

    /// <summary>Opens a path read-only with O_CLOEXEC, so no child ever inherits it by accident.</summary>
    public static FileDescriptor Open(string path, int flags = Libc.O_RDONLY)
    {
        var fd = Libc.open(path, flags | Libc.O_CLOEXEC, 0);
        if (fd < 0)
        {
            throw Errno.Error($"open {path}", Errno.Last);
        }
        return new FileDescriptor(fd);
    }
}
