using System.Buffers.Binary;

namespace LightNfv.Host.Kvm;

/// <summary>The boot info page's fields (guest/unikernel/abi.h struct boot_info).</summary>
public sealed record BootInfo(byte[] Address, byte[] Gateway, byte[] Mac, ushort Port, ushort App)
{
    public const ulong Magic = 0x31304b55564e4c4cUL;
    public const int Size = 40;

    public byte[] ToBytes(ulong memorySize)
    {
        var b = new byte[Size];
        BinaryPrimitives.WriteUInt64LittleEndian(b, Magic);
        BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(8), memorySize);
        Address.CopyTo(b, 16);
        Gateway.CopyTo(b, 20);
        Mac.CopyTo(b, 24);
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(30), Port);
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(32), App);
        return b;
    }
}
