using System.Buffers.Binary;
using System.Text;

namespace LightNfv.Images.Tests.Elf;

/// <summary>
/// Writes minimal ELF64 files with just what the loader reads: PT_LOAD, PT_INTERP, PT_DYNAMIC and a string table.
/// The load address differs from the file offset so the reader must really map DT_STRTAB through PT_LOAD.
/// </summary>
internal sealed record FakeElf
{
    private const ulong Base = 0x400000;

    public ushort Machine { get; init; } = 62;
    public byte Class { get; init; } = 2;
    public byte Data { get; init; } = 1;
    public string? Interpreter { get; init; }
    public IReadOnlyList<string> Needed { get; init; } = [];
    public string? RPath { get; init; }
    public string? RunPath { get; init; }
    public string? SoName { get; init; }
    public bool Dynamic { get; init; } = true;

    public static FakeElf Library(string soname, params string[] needed) => new() { SoName = soname, Needed = needed };

    public void WriteTo(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, ToBytes());
    }

    public byte[] ToBytes()
    {
        var strings = new MemoryStream();
        strings.WriteByte(0);
        int Add(string s)
        {
            var at = (int)strings.Length;
            strings.Write(Encoding.UTF8.GetBytes(s));
            strings.WriteByte(0);
            return at;
        }
        var dynamic = new List<(long Tag, ulong Value)>();
        foreach (var name in Needed)
        {
            dynamic.Add((1, (ulong)Add(name)));
        }
        if (SoName is not null)
        {
            dynamic.Add((14, (ulong)Add(SoName)));
        }

        if (RPath is not null)
        {
            dynamic.Add((15, (ulong)Add(RPath)));
        }

        if (RunPath is not null)
        {
            dynamic.Add((29, (ulong)Add(RunPath)));
        }

        var headers = 1 + (Interpreter is null ? 0 : 1) + (Dynamic ? 1 : 0);
        var phoff = 64;
        var interpOffset = phoff + headers * 56;
        var interpBytes = Interpreter is null ? [] : Encoding.UTF8.GetBytes(Interpreter + "\0");
        var dynOffset = Align(interpOffset + interpBytes.Length, 8);
        var dynCount = Dynamic ? dynamic.Count + 3 : 0; // + DT_STRTAB, DT_STRSZ, DT_NULL
        var strOffset = dynOffset + dynCount * 16;
        var total = strOffset + (int)strings.Length;

        var bytes = new byte[total];
        var s = bytes.AsSpan();
        s[0] = 0x7f; s[1] = (byte)'E'; s[2] = (byte)'L'; s[3] = (byte)'F';
        s[4] = Class; s[5] = Data; s[6] = 1;
        BinaryPrimitives.WriteUInt16LittleEndian(s[16..], 3);
        BinaryPrimitives.WriteUInt16LittleEndian(s[18..], Machine);
        BinaryPrimitives.WriteUInt32LittleEndian(s[20..], 1);
        BinaryPrimitives.WriteUInt64LittleEndian(s[32..], (ulong)phoff);
        BinaryPrimitives.WriteUInt16LittleEndian(s[52..], 64);
        BinaryPrimitives.WriteUInt16LittleEndian(s[54..], 56);
        BinaryPrimitives.WriteUInt16LittleEndian(s[56..], (ushort)headers);

        var ph = phoff;
        void Header(uint type, int offset, int size)
        {
            var h = bytes.AsSpan(ph, 56);
            BinaryPrimitives.WriteUInt32LittleEndian(h, type);
            BinaryPrimitives.WriteUInt64LittleEndian(h[8..], (ulong)offset);
            BinaryPrimitives.WriteUInt64LittleEndian(h[16..], Base + (ulong)offset);
            BinaryPrimitives.WriteUInt64LittleEndian(h[24..], Base + (ulong)offset);
            BinaryPrimitives.WriteUInt64LittleEndian(h[32..], (ulong)size);
            BinaryPrimitives.WriteUInt64LittleEndian(h[40..], (ulong)size);
            ph += 56;
        }
        Header(1, 0, total);
        if (Interpreter is not null)
        {
            Header(3, interpOffset, interpBytes.Length);
            interpBytes.CopyTo(s[interpOffset..]);
        }
        if (Dynamic)
        {
            Header(2, dynOffset, dynCount * 16);
            var at = dynOffset;
            foreach (var (tag, value) in dynamic.Append((5, Base + (ulong)strOffset)).Append((10, (ulong)strings.Length)).Append((0, 0UL)))
            {
                BinaryPrimitives.WriteInt64LittleEndian(s[at..], tag);
                BinaryPrimitives.WriteUInt64LittleEndian(s[(at + 8)..], value);
                at += 16;
            }
            strings.ToArray().CopyTo(s[strOffset..]);
        }
        return bytes;
    }

    private static int Align(int value, int alignment) => (value + alignment - 1) / alignment * alignment;
}
