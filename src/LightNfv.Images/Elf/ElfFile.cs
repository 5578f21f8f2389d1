using System.Buffers.Binary;
using System.Text;
using LightNfv.Core.Errors;
using Microsoft.Win32.SafeHandles;

namespace LightNfv.Images.Elf;

/// <summary>
/// What the dynamic loader needs to know about an ELF64 little-endian file, read through the program
/// headers only (section headers may be stripped): interpreter, DT_NEEDED, DT_RPATH, DT_RUNPATH, DT_SONAME.
/// </summary>
public sealed class ElfFile
{
    private const int HeaderSize = 64;
    private const int ProgramHeaderSize = 56;
    private const int DynamicEntrySize = 16;
    // Real binaries carry about a dozen program headers; the cap keeps a corrupt count from allocating gigabytes.
    private const int MaxProgramHeaders = 4096;
    private const int MaxStringTableBytes = 64 << 20;

    private const uint PtLoad = 1, PtDynamic = 2, PtInterp = 3;
    private const long DtNull = 0, DtNeeded = 1, DtStrtab = 5, DtStrsz = 10, DtSoname = 14, DtRpath = 15, DtRunpath = 29;

    private ElfFile(string path, ushort type, ElfMachine machine, string? interpreter, bool hasDynamic,
        IReadOnlyList<string> needed, string? rpath, string? runpath, string? soname)
    {
        Path = path;
        Type = type;
        Machine = machine;
        Interpreter = interpreter;
        HasDynamicSegment = hasDynamic;
        Needed = needed;
        RPath = rpath;
        RunPath = runpath;
        SoName = soname;
    }

    /// <summary>The path the file was read as (used in messages).</summary>
    public string Path { get; }

    /// <summary>e_type: 2 for a fixed-address executable, 3 for a shared object or PIE.</summary>
    public ushort Type { get; }

    public ElfMachine Machine { get; }

    /// <summary>PT_INTERP: the dynamic loader the kernel starts, or null.</summary>
    public string? Interpreter { get; }

    public bool HasDynamicSegment { get; }

    /// <summary>DT_NEEDED names in file order (the loader's breadth-first order depends on it).</summary>
    public IReadOnlyList<string> Needed { get; }

    /// <summary>DT_RPATH, colon-separated, as stored (unexpanded).</summary>
    public string? RPath { get; }

    /// <summary>DT_RUNPATH, colon-separated, as stored (unexpanded).</summary>
    public string? RunPath { get; }

    public string? SoName { get; }

    /// <summary>
    /// True when nothing has to be loaded for the file to run: no PT_INTERP and no DT_NEEDED. That covers
    /// classic static binaries (no PT_DYNAMIC) and static-pie ones (a PT_DYNAMIC used only for self-relocation).
    /// </summary>
    public bool IsStatic => Interpreter is null && Needed.Count == 0;

    /// <summary>Reads a host file; <paramref name="displayPath"/> is what messages call it (e.g. the path inside a tree).</summary>
    public static ElfFile Read(string path, string? displayPath = null)
    {
        var name = displayPath ?? path;
        SafeFileHandle handle;
        try
        {
            handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new LightNfvException(ErrorKind.NotFound, $"'{name}' does not exist; check the path", e);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new LightNfvException(ErrorKind.Host, $"'{name}' cannot be read ({e.Message}); run as a user that can read it", e);
        }
        using (handle)
        {
            return new Reader(handle, name).Parse();
        }
    }

    /// <summary>Reads only the identification bytes: true for an ELF64 little-endian file (what <see cref="Read"/> accepts).</summary>
    public static bool IsElf64LittleEndian(string path)
    {
        try
        {
            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            Span<byte> ident = stackalloc byte[6];
            return RandomAccess.Read(handle, ident, 0) == ident.Length && HasElf64LeIdent(ident);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static bool HasElf64LeIdent(ReadOnlySpan<byte> ident) =>
        ident[0] == 0x7f && ident[1] == (byte)'E' && ident[2] == (byte)'L' && ident[3] == (byte)'F'
        && ident[4] == 2 /* ELFCLASS64 */ && ident[5] == 1 /* ELFDATA2LSB */;

    private readonly record struct Segment(uint Type, ulong Offset, ulong VirtualAddress, ulong FileSize);

    /// <summary>Random-access reads with bounds checks, so a truncated file fails with a message instead of garbage.</summary>
    private sealed class Reader(SafeFileHandle handle, string name)
    {
        private readonly long _length = RandomAccess.GetLength(handle);

        public ElfFile Parse()
        {
            if (_length < HeaderSize)
            {
                throw NotElf();
            }
            var header = ReadBytes(0, HeaderSize, "ELF header");
            if (!HasElf64LeIdent(header))
            {
                throw NotElf();
            }
            var type = BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(16));
            var machine = (ElfMachine)BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(18));
            var phoff = BinaryPrimitives.ReadUInt64LittleEndian(header.AsSpan(32));
            var phentsize = BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(54));
            var phnum = BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(56));
            if (phnum > 0 && phentsize < ProgramHeaderSize)
            {
                throw Malformed($"program header entries are {phentsize} bytes, expected at least {ProgramHeaderSize}");
            }
            if (phnum > MaxProgramHeaders)
            {
                throw Malformed($"{phnum} program headers (PN_XNUM extended numbering is not supported)");
            }

            var table = ReadBytes(phoff, (long)phnum * phentsize, "program header table");
            var segments = new List<Segment>(phnum);
            for (var i = 0; i < phnum; i++)
            {
                var entry = table.AsSpan(i * phentsize, ProgramHeaderSize);
                segments.Add(new Segment(
                    BinaryPrimitives.ReadUInt32LittleEndian(entry),
                    BinaryPrimitives.ReadUInt64LittleEndian(entry[8..]),
                    BinaryPrimitives.ReadUInt64LittleEndian(entry[16..]),
                    BinaryPrimitives.ReadUInt64LittleEndian(entry[32..])));
            }

            string? interpreter = null;
            if (segments.FirstOrDefault(s => s.Type == PtInterp) is { Type: PtInterp } interp)
            {
                interpreter = CString(ReadBytes(interp.Offset, checked((long)interp.FileSize), "PT_INTERP"), 0);
            }

            var needed = new List<string>();
            string? rpath = null, runpath = null, soname = null;
            var dynamic = segments.FirstOrDefault(s => s.Type == PtDynamic);
            var hasDynamic = dynamic.Type == PtDynamic;
            if (hasDynamic)
            {
                var entries = ReadBytes(dynamic.Offset, checked((long)dynamic.FileSize), "PT_DYNAMIC");
                ulong? strtab = null;
                ulong strsz = 0;
                // String-valued tags are offsets into DT_STRTAB, which may come later in the array: collect first, decode after.
                var stringTags = new List<(long Tag, ulong Offset)>();
                for (var at = 0; at + DynamicEntrySize <= entries.Length; at += DynamicEntrySize)
                {
                    var tag = BinaryPrimitives.ReadInt64LittleEndian(entries.AsSpan(at));
                    var value = BinaryPrimitives.ReadUInt64LittleEndian(entries.AsSpan(at + 8));
                    if (tag == DtNull)
                    {
                        break;
                    }
                    switch (tag)
                    {
                        case DtStrtab: strtab = value; break;
                        case DtStrsz: strsz = value; break;
                        case DtNeeded or DtRpath or DtRunpath or DtSoname: stringTags.Add((tag, value)); break;
                    }
                }

                if (stringTags.Count > 0)
                {
                    if (strtab is null)
                    {
                        throw Malformed("the dynamic section has string entries but no DT_STRTAB");
                    }
                    var strtabOffset = FileOffsetOf(segments, strtab.Value)
                        ?? throw Malformed($"DT_STRTAB address 0x{strtab.Value:x} is not inside any PT_LOAD segment");
                    // A missing DT_STRSZ is tolerated by reading to the end of the file; strings are NUL-terminated anyway.
                    var size = strsz == 0 ? _length - (long)strtabOffset : (long)Math.Min(strsz, (ulong)MaxStringTableBytes);
                    var strings = ReadBytes(strtabOffset, Math.Min(size, _length - (long)strtabOffset), "DT_STRTAB");
                    foreach (var (tag, offset) in stringTags)
                    {
                        if (offset >= (ulong)strings.Length)
                        {
                            throw Malformed($"a dynamic string offset ({offset}) lies outside DT_STRTAB");
                        }
                        var value = CString(strings, (int)offset);
                        switch (tag)
                        {
                            case DtNeeded: needed.Add(value); break;
                            case DtRpath: rpath = value; break;
                            case DtRunpath: runpath = value; break;
                            case DtSoname: soname = value; break;
                        }
                    }
                }
            }

            return new ElfFile(name, type, machine, interpreter, hasDynamic, needed, rpath, runpath, soname);
        }

        private static ulong? FileOffsetOf(List<Segment> segments, ulong address)
        {
            foreach (var s in segments)
            {
                if (s.Type == PtLoad && address >= s.VirtualAddress && address - s.VirtualAddress < s.FileSize)
                {
                    return s.Offset + (address - s.VirtualAddress);
                }
            }
            return null;
        }

        private byte[] ReadBytes(ulong offset, long count, string what)
        {
            if (count < 0 || offset > (ulong)_length || (ulong)count > (ulong)_length - offset)
            {
                throw Malformed($"the {what} (offset {offset}, {count} bytes) runs past the end of the file ({_length} bytes)");
            }
            var buffer = new byte[count];
            var done = 0;
            while (done < count)
            {
                var read = RandomAccess.Read(handle, buffer.AsSpan(done), (long)offset + done);
                if (read == 0)
                {
                    throw Malformed($"the file ended while reading the {what}");
                }
                done += read;
            }
            return buffer;
        }

        private static string CString(byte[] bytes, int start)
        {
            var end = Array.IndexOf(bytes, (byte)0, start);
            return Encoding.UTF8.GetString(bytes, start, (end < 0 ? bytes.Length : end) - start);
        }

        private LightNfvException NotElf() =>
            new(ErrorKind.Invalid, $"'{name}' is not a 64-bit little-endian ELF file; give an x86-64 or aarch64 Linux binary");

        private LightNfvException Malformed(string detail) =>
            new(ErrorKind.Invalid, $"'{name}' is a malformed ELF file: {detail}; the file may be truncated or corrupt, reinstall it");
    }
}
