namespace LightNfv.Host.Native;

/// <summary>Directories on a timed path.</summary>
public static class Directories
{
    /// <summary>
    /// Makes a directory with one mkdir where its parent exists (an instance's run directory once any instance ran),
    /// else as Directory.CreateDirectory does, level by level; an existing one is no error. Directory.CreateDirectory
    /// stats the path and walks its parents first: four system calls where one does.
    /// </summary>
    public static void Make(string path)
    {
        if (Libc.mkdir(path, 0x1FF /* 0777, less the umask, as Directory.CreateDirectory */) == 0 || Errno.Last == Libc.EEXIST)
        {
            return;
        }
        Directory.CreateDirectory(path);
    }
}
