using System.Buffers.Binary;

namespace LightNfv.Host.Kvm;

/// <summary>A loadable segment: file bytes at [Offset, +FileSize) go to guest-physical Address; the rest up to MemorySize is zero.</summary>
public readonly record struct ElfSegment(ulong Address, ulong Offset, ulong FileSize, ulong MemorySize);

/// <summary>A static x86-64 ELF executable as the monitor loads it: its PT_LOAD segments at their physical addresses and its entry.</summary>
public sealed class ElfImage
{
    private const uint PtLoad = 1;

    private ElfImage(byte[] bytes, ulong entry, IReadOnlyList<ElfSegment> segments)
    {
        Bytes = bytes;
        Entry = entry;
        Segments = segments;
    }

    public byte[] Bytes { get; }
    public ulong Entry { get; }
    public IReadOnlyList<ElfSegment> Segments { get; }

    public static ElfImage Read(string path) => Parse(File.ReadAllBytes(path), path);

    public static ElfImage Parse(byte[] b, string name = "image")
    {
        string Bad(string why) => $"{name} is not a loadable guest: {why}";
        if (b.Length < 64 || b[0] != 0x7F || b[1] != (byte)'E' || b[2] != (byte)'L' || b[3] != (byte)'F')
        {
            throw new InvalidDataException(Bad("no ELF magic"));
        }
        if (b[4] != 2 || b[5] != 1)
        {
            throw new InvalidDataException(Bad("not 64-bit little-endian"));
        }
        var type = BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(16));
        var machine = BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(18));
        if (type != 2 || machine != 62)
        {
            throw new InvalidDataException(Bad($"type {type} machine {machine}, want a static executable (2) for x86-64 (62)"));
        }
        var entry = BinaryPrimitives.ReadUInt64LittleEndian(b.AsSpan(24));
        var phoff = BinaryPrimitives.ReadUInt64LittleEndian(b.AsSpan(32));
        var phentsize = BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(54));
        var phnum = BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(56));
        if (phentsize < 56 || phoff + (ulong)phentsize * phnum > (ulong)b.Length)
        {
            throw new InvalidDataException(Bad("program headers outside the file"));
        }
        var segments = new List<ElfSegment>();
        for (var i = 0; i < phnum; i++)
        {
            var ph = b.AsSpan((int)(phoff + (ulong)(i * phentsize)));
            if (BinaryPrimitives.ReadUInt32LittleEndian(ph) != PtLoad)
            {
                continue;
            }
            var offset = BinaryPrimitives.ReadUInt64LittleEndian(ph[8..]);
            var paddr = BinaryPrimitives.ReadUInt64LittleEndian(ph[24..]);
            var filesz = BinaryPrimitives.ReadUInt64LittleEndian(ph[32..]);
            var memsz = BinaryPrimitives.ReadUInt64LittleEndian(ph[40..]);
            if (offset + filesz > (ulong)b.Length || filesz > memsz)
            {
                throw new InvalidDataException(Bad($"segment {i} runs past the end of the file"));
            }
            segments.Add(new ElfSegment(paddr, offset, filesz, memsz));
        }
        if (segments.Count == 0)
        {
            throw new InvalidDataException(Bad("no PT_LOAD segment"));
        }
        return new ElfImage(b, entry, segments);
    }

    /// <summary>Highest guest-physical address the image occupies (end of its last segment).</summary>
    public ulong End => Segments.Max(s => s.Address + s.MemorySize);

    /// <summary>
    /// Copies the segments into guest memory (zeroed already, so .bss costs nothing). Segments must lie between
    /// <paramref name="lowest"/> and the end of memory, clear of the monitor's tables.
    /// </summary>
    public void Load(Span<byte> memory, ulong lowest = GuestLayout.ImageBase)
    {
        foreach (var s in Segments)
        {
            if (s.Address < lowest || s.Address + s.MemorySize > (ulong)memory.Length)
            {
                throw new InvalidDataException($"guest segment at 0x{s.Address:x} (+0x{s.MemorySize:x}) is outside [0x{lowest:x}, 0x{memory.Length:x}); link it at 1 MiB and give the guest more memory");
            }
            Bytes.AsSpan((int)s.Offset, (int)s.FileSize).CopyTo(memory[(int)s.Address..]);
        }
    }
}
