using System.Globalization;
using System.Text;

namespace LightNfv.Images.Initramfs;

/// <summary>
/// Writes a cpio archive in the "newc" format the kernel unpacks as an initramfs (Documentation/driver-api/early-userspace/
/// buffer-format.rst): a 110-byte ASCII header per member, name and data each padded to 4 bytes, a TRAILER!!! member.
/// Deterministic: inode numbers count up, mtime 0, owner root, so the same members give the same bytes.
/// </summary>
public sealed class CpioNewcWriter(Stream output)
{
    private const string Magic = "070701";
    private const int S_IFDIR = 0x4000, S_IFREG = 0x8000, S_IFLNK = 0xA000, S_IFCHR = 0x2000;
    private int _inode = 1;
    private long _written;

    /// <summary>Bytes written so far.</summary>
    public long Length => _written;

    public void Directory(string path, UnixFileMode mode) => Write(path, S_IFDIR | (int)mode, 2, [], 0, 0);

    public void File(string path, UnixFileMode mode, ReadOnlySpan<byte> content) => Write(path, S_IFREG | (int)mode, 1, content, 0, 0);

    public void Symlink(string path, string target) => Write(path, S_IFLNK | 0x1FF, 1, Encoding.UTF8.GetBytes(target), 0, 0);

    /// <summary>A character device node (the kernel's init needs /dev/console before any devtmpfs exists).</summary>
    public void CharDevice(string path, UnixFileMode mode, int major, int minor) => Write(path, S_IFCHR | (int)mode, 1, [], major, minor);

    /// <summary>The end-of-archive member; the archive is complete after it.</summary>
    public void Trailer()
    {
        _inode = 0;
        Write("TRAILER!!!", 0, 1, [], 0, 0, relative: false);
    }

    private void Write(string path, int mode, int nlink, ReadOnlySpan<byte> data, int rdevMajor, int rdevMinor, bool relative = true)
    {
        // Member names are relative ("usr/bin/x"): the kernel unpacks them under its rootfs.
        var name = Encoding.UTF8.GetBytes((relative ? path.TrimStart('/') : path) + "\0");
        var header = new StringBuilder(110).Append(Magic);
        foreach (var field in (ReadOnlySpan<long>)[_inode == 0 ? 0 : _inode++, mode, 0, 0, nlink, 0, data.Length, 0, 0, rdevMajor, rdevMinor, name.Length, 0])
        {
            header.Append(field.ToString("x8", CultureInfo.InvariantCulture));
        }
        Put(Encoding.ASCII.GetBytes(header.ToString()));
        Put(name);
        Pad();
        Put(data);
        Pad();
    }

    private void Put(ReadOnlySpan<byte> bytes)
    {
        output.Write(bytes);
        _written += bytes.Length;
    }

    private void Pad()
    {
        var pad = (int)((4 - _written % 4) % 4);
        Put(stackalloc byte[pad]);
    }
}
