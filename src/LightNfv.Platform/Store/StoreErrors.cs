using System.Text.RegularExpressions;
using LightNfv.Core.Errors;
using Microsoft.Data.Sqlite;

namespace LightNfv.Platform.Store;

/// <summary>
/// Turns what SQLite and the file system say about the store into one line for the operator: the file, what is wrong
/// and how to recover. Used where the store is opened and read (CLI, daemon start-up) and where a write fails.
/// </summary>
public static partial class StoreErrors
{
    // SQLite primary result codes (sqlite3.h).
    private const int Perm = 3, Busy = 5, Locked = 6, ReadOnly = 8, IoErr = 10, Corrupt = 11, Full = 13, CantOpen = 14, NotADb = 26;
    private const int Enospc = 28;

    /// <summary>A store that cannot be used until it is moved aside (not a database, or damaged).</summary>
    public static bool IsDamaged(SqliteException e) => e.SqliteErrorCode is Corrupt or NotADb;

    public static bool IsDiskFull(Exception e) => e switch
    {
        SqliteException s => s.SqliteErrorCode == Full,
        IOException io => io.HResult == Enospc || io.Message.Contains("No space left on device", StringComparison.Ordinal),
        LightNfvException l => l.Data.Contains(DiskFullKey) || (l.InnerException is { } inner && IsDiskFull(inner)),
        _ => false,
    };

    /// <summary>The one-line error for a failure of the store at <paramref name="path"/>.</summary>
    public static LightNfvException Explain(SqliteException e, string path)
    {
        var what = Detail(e);
        return e.SqliteErrorCode switch
        {
            NotADb => new LightNfvException(ErrorKind.Host,
                $"store {path} is not a SQLite database ({what}); move it aside and run 'lightnfv down' to reset, or restore a backup", e),
            Corrupt => new LightNfvException(ErrorKind.Host,
                $"store {path} is damaged ({what}); move it aside and run 'lightnfv down' to reset, or restore a backup", e),
            Full => DiskFull(Resolved(path), e),
            CantOpen => new LightNfvException(ErrorKind.Host,
                $"store {path} cannot be opened ({what}); check that its directory exists and is writable by root", e),
            ReadOnly or Perm => new LightNfvException(ErrorKind.Host,
                $"store {path} cannot be written ({what}); make it and its directory writable by root, or free the file system", e),
            Busy or Locked => new LightNfvException(ErrorKind.Conflict,
                $"store {path} stayed locked by another LightNFV process ({what}); retry when it is done", e),
            // SQLite reports a full file system as an I/O error when it cannot size its shared-memory or WAL file.
            IoErr when FileSystemFull(Resolved(path)) => DiskFull(Resolved(path), e),
            IoErr => new LightNfvException(ErrorKind.Host,
                $"store {path} could not be read or written ({what}); check the disk, then retry", e),
            _ => new LightNfvException(ErrorKind.Host, $"store {path}: {what}", e),
        };
    }

    /// <summary>An error for a failed file operation: disk full is named as such, anything else passes its message on.</summary>
    public static LightNfvException Explain(IOException e, string path) =>
        IsDiskFull(e) ? DiskFull(ExtractPath(e.Message) ?? path, e) : new LightNfvException(ErrorKind.Host, $"{path}: {e.Message}", e);

    public static LightNfvException DiskFull(string path, Exception? inner = null)
    {
        var e = new LightNfvException(ErrorKind.Host, $"disk full: {path}; free space and retry", inner);
        e.Data[DiskFullKey] = true; // also when SQLite called it an I/O error
        return e;
    }

    private const string DiskFullKey = "lightnfv.diskFull";

    /// <summary>SQLite's own words, without the "SQLite Error N:" prefix.</summary>
    private static string Detail(SqliteException e)
    {
        var m = QuotedMessage().Match(e.Message);
        return m.Success ? m.Groups[1].Value : e.Message.Trim();
    }

    /// <summary>.NET names the file of a failed I/O call as " : '/path'" at the end of its message.</summary>
    private static string? ExtractPath(string message)
    {
        var m = QuotedPath().Match(message);
        return m.Success ? m.Groups[1].Value : null;
    }

    /// <summary>The file behind a symlinked store (SQLite follows the link, so that is where space runs out).</summary>
    private static string Resolved(string path)
    {
        try
        {
            return new FileInfo(path).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? path;
        }
        catch (IOException)
        {
            return path;
        }
    }

    private static bool FileSystemFull(string path)
    {
        try
        {
            var dir = Path.GetDirectoryName(Path.GetFullPath(path)) ?? "/";
            return new DriveInfo(dir).AvailableFreeSpace == 0;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return false;
        }
    }

    [GeneratedRegex(@"SQLite Error \d+: '(.*)'\.?\s*$", RegexOptions.Singleline)]
    private static partial Regex QuotedMessage();

    [GeneratedRegex(@"'(/[^']*)'\s*\.?\s*$")]
    private static partial Regex QuotedPath();
}
