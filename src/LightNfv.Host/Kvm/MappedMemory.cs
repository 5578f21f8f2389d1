using System.Runtime.InteropServices;
using LightNfv.Host.Native;

namespace LightNfv.Host.Kvm;

/// <summary>An mmap'd region (guest memory, a vCPU's kvm_run page), unmapped when released.</summary>
public sealed unsafe class MappedMemory : SafeHandle
{
    private MappedMemory(nint address, ulong length) : base(0, ownsHandle: true)
    {
        SetHandle(address);
        Length = length;
    }

    public ulong Length { get; }
    public byte* Pointer => (byte*)handle;
    public override bool IsInvalid => handle == 0 || handle == -1;

    /// <summary>
    /// Anonymous private memory, not reserved: pages cost nothing until the guest (or the monitor) touches them,
    /// and read as zero, so a guest's .bss needs no clearing.
    /// </summary>
    public static MappedMemory Anonymous(ulong length)
    {
        var p = Libc.mmap(0, (nuint)length, Libc.PROT_READ | Libc.PROT_WRITE,
            Libc.MAP_PRIVATE | Libc.MAP_ANONYMOUS | Libc.MAP_NORESERVE, -1, 0);
        if (p == -1)
        {
            throw Errno.Error($"mmap {length} bytes of guest memory", Errno.Last);
        }
        return new MappedMemory(p, length);
    }

    /// <summary>Maps a file descriptor shared (a vCPU's kvm_run structure).</summary>
    public static MappedMemory OfDescriptor(SafeHandle fd, ulong length)
    {
        var p = Libc.mmap(0, (nuint)length, Libc.PROT_READ | Libc.PROT_WRITE, Libc.MAP_SHARED, (int)fd.DangerousGetHandle(), 0);
        if (p == -1)
        {
            throw Errno.Error("mmap kvm_run", Errno.Last);
        }
        return new MappedMemory(p, length);
    }

    public Span<byte> Span(ulong offset, int length)
    {
        if (offset + (ulong)length > Length || length < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(offset), $"[{offset}, +{length}) is outside the {Length}-byte region");
        }
        return new Span<byte>(Pointer + offset, length);
    }

    /// <summary>Bytes of the region resident in RAM now (mincore), i.e. what the guest really uses.</summary>
    public ulong ResidentBytes()
    {
        var pages = (int)((Length + 4095) / 4096);
        var vec = pages <= 4096 ? stackalloc byte[pages] : new byte[pages];
        fixed (byte* v = vec)
        {
            if (Libc.mincore(handle, (nuint)Length, v) != 0)
            {
                return 0;
            }
        }
        ulong resident = 0;
        foreach (var b in vec)
        {
            resident += (ulong)(b & 1);
        }
        return resident * 4096;
    }

    protected override bool ReleaseHandle() => Libc.munmap(handle, (nuint)Length) == 0;
}
