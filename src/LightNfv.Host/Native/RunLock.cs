namespace LightNfv.Host.Native;

/// <summary>
/// A host-wide lock for LightNFV's bookkeeping under /run (tuning registry, the /run/netns mount): flock on the /run
/// directory itself, so it leaves no file behind. Held briefly; released when the returned handle is disposed.
/// </summary>
public static class RunLock
{
    public static FileDescriptor Acquire()
    {
        var fd = FileDescriptor.Open("/run");
        Errno.Check(Libc.flock(fd, Libc.LOCK_EX), "flock /run");
        return fd;
    }

    /// <summary>The same kind of lock on another directory (one platform's state directory: its monitor's start-up).</summary>
    public static FileDescriptor AcquireOn(string directory)
    {
        var fd = FileDescriptor.Open(directory);
        try
        {
            Errno.Check(Libc.flock(fd, Libc.LOCK_EX), $"flock {directory}");
            return fd;
        }
        catch
        {
            fd.Dispose();
            throw;
        }
    }
}
