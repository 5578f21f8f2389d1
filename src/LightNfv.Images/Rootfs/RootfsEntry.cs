namespace LightNfv.Images.Rootfs;

internal enum RootfsEntryKind
{
    Directory,
    File,
    Symlink,
}

/// <summary>One path of the image to be: a directory, a file (copied from the host or generated) or a symlink.</summary>
internal sealed class RootfsEntry(string path, RootfsEntryKind kind, UnixFileMode mode)
{
    public string Path { get; } = path;
    public RootfsEntryKind Kind { get; } = kind;
    public UnixFileMode Mode { get; } = mode;

    /// <summary>Host file to copy (a real path, no symlinks), for files taken from the host.</summary>
    public string? HostPath { get; init; }

    /// <summary>Bytes of a generated file (passwd, hosts, ...).</summary>
    public byte[]? Content { get; init; }

    public string? LinkTarget { get; init; }

    public long Size { get; init; }

    /// <summary>Hex SHA-256 of a file's content, filled in before the digest is taken.</summary>
    public string? Sha256 { get; set; }

    public static string Octal(UnixFileMode mode) => Convert.ToString((int)mode, 8).PadLeft(4, '0');
}
