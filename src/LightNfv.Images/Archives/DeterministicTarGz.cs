using System.Formats.Tar;
using System.IO.Compression;
using System.Text;

namespace LightNfv.Images.Archives;

public enum TarItemKind
{
    Directory,
    File,
    Symlink,
}

/// <summary>One archive member; <paramref name="Path"/> is absolute inside the image.</summary>
public sealed record TarItem(string Path, TarItemKind Kind, UnixFileMode Mode, string? SourceFile = null, string? LinkTarget = null);

/// <summary>
/// Writes a tar.gz whose bytes depend only on the items: sorted names, mtime 0, owner root (0/0), no host
/// uid/gid/atime leaking in, so the same tree always gives the same file (and the same Docker layer digest).
/// </summary>
public static class DeterministicTarGz
{
    // Beyond these a ustar header has no room; longer names go in GNU long-name records. Not PAX: .NET names
    // each PAX header "PaxHeaders.<pid>/...", which would make two builds of the same tree differ.
    private const int UstarNameBytes = 100;
    private const int UstarLinkBytes = 100;

    /// <summary>Writes the archive (the destination must not exist) and returns its size in bytes.</summary>
    public static long Write(IEnumerable<TarItem> items, string destination)
    {
        using var file = new FileStream(destination, FileMode.CreateNew, FileAccess.Write);
        using (var gzip = new GZipStream(file, CompressionLevel.SmallestSize, leaveOpen: true))
        using (var tar = new TarWriter(gzip, TarEntryFormat.Ustar, leaveOpen: true))
        {
            foreach (var item in items.OrderBy(i => i.Path, StringComparer.Ordinal))
            {
                WriteItem(tar, item);
            }
        }
        file.Flush();
        return file.Length;
    }

    private static void WriteItem(TarWriter tar, TarItem item)
    {
        var name = item.Path.TrimStart('/');
        if (name.Length == 0)
        {
            return; // The archive root is implied.
        }
        var (type, entryName) = item.Kind switch
        {
            TarItemKind.Directory => (TarEntryType.Directory, name + "/"),
            TarItemKind.File => (TarEntryType.RegularFile, name),
            _ => (TarEntryType.SymbolicLink, name),
        };
        var fitsUstar = Encoding.UTF8.GetByteCount(entryName) <= UstarNameBytes
            && Encoding.UTF8.GetByteCount(item.LinkTarget ?? "") <= UstarLinkBytes;
        PosixTarEntry entry = fitsUstar
            ? new UstarTarEntry(type, entryName)
            : new GnuTarEntry(type, entryName) { AccessTime = DateTimeOffset.UnixEpoch, ChangeTime = DateTimeOffset.UnixEpoch };
        entry.ModificationTime = DateTimeOffset.UnixEpoch;
        entry.Uid = 0;
        entry.Gid = 0;
        entry.UserName = "root";
        entry.GroupName = "root";
        entry.Mode = item.Kind == TarItemKind.Symlink ? (UnixFileMode)0b111_111_111 : item.Mode;
        if (item.Kind == TarItemKind.Symlink)
        {
            entry.LinkName = item.LinkTarget ?? throw new ArgumentException($"symlink {item.Path} has no target", nameof(item));
        }
        if (item.Kind == TarItemKind.File)
        {
            using var data = File.OpenRead(item.SourceFile ?? throw new ArgumentException($"file {item.Path} has no source", nameof(item)));
            entry.DataStream = data;
            tar.WriteEntry(entry);
            return;
        }
        tar.WriteEntry(entry);
    }
}
