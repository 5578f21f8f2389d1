using LightNfv.Core.Errors;

namespace LightNfv.Platform.Store;

/// <summary>
/// The state directory and the store hold every descriptor (commands a VNF runs as root) and instance: readable by
/// root only. The directory is made 0700 and the store's files 0600, and modes left wider by an older LightNFV or
/// by hand are narrowed at every start.
/// </summary>
public static class StoreFileModes
{
    public const UnixFileMode DirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    public const UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>SQLite's companions of a database file (write-ahead log, shared-memory index, rollback journal).</summary>
    public static readonly string[] Companions = ["-wal", "-shm", "-journal"];

    /// <summary>
    /// Creates the state directory 0700, or narrows an existing one to 0700. A shared directory (sticky bit, as /tmp,
    /// or /) is refused rather than narrowed: it is not LightNFV's to lock.
    /// </summary>
    public static void SecureDirectory(string directory)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }
        var full = Path.GetFullPath(directory);
        if (File.Exists(full))
        {
            throw new LightNfvException(ErrorKind.Invalid,
                $"LIGHTNFV_STATE_DIR: {full} is a file, not a directory; point LIGHTNFV_STATE_DIR at a directory of LightNFV's own (default /var/lib/lightnfv)");
        }
        if (!Directory.Exists(full))
        {
            Directory.CreateDirectory(full, DirectoryMode);
            // CreateDirectory applies the umask; say it once more.
            File.SetUnixFileMode(full, DirectoryMode);
            return;
        }
        var mode = File.GetUnixFileMode(full);
        if (full == "/" || mode.HasFlag(UnixFileMode.StickyBit))
        {
            throw new LightNfvException(ErrorKind.Invalid,
                $"LIGHTNFV_STATE_DIR: {full} is a shared directory; LightNFV makes its state directory readable by root only, so give it a directory of its own, e.g. {Path.Combine(full, "lightnfv")}");
        }
        if ((mode & ~UnixFileMode.SetGroup & ~UnixFileMode.SetUser) != DirectoryMode)
        {
            File.SetUnixFileMode(full, DirectoryMode);
        }
    }

    /// <summary>Creates the store file 0600 if it is missing (so SQLite never makes it with the umask's mode) and narrows it and its companions to 0600.</summary>
    public static void SecureStoreFile(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }
        if (path is "" or ":memory:")
        {
            return;
        }
        if (ModeOf(path) is null)
        {
            // An empty file is a new database to SQLite; its -wal and -shm files take this file's mode. OpenOrCreate,
            // not CreateNew: a store path may be a symlink to a file not made yet, which O_EXCL would refuse.
            using var _ = new FileStream(path, new FileStreamOptions
            {
                Mode = System.IO.FileMode.OpenOrCreate,
                Access = FileAccess.Write,
                UnixCreateMode = FileMode,
            });
        }
        foreach (var file in Companions.Select(c => path + c).Prepend(path))
        {
            if (ModeOf(file) is { } mode && mode != FileMode)
            {
                File.SetUnixFileMode(file, FileMode);
            }
        }
    }

    /// <summary>The mode of what a path leads to (symlinks followed), or null when nothing is there (a dangling link too).</summary>
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    private static UnixFileMode? ModeOf(string path)
    {
        try
        {
            return File.GetUnixFileMode(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }
}
