namespace LightNfv.Host.Kvm;

/// <summary>The guest's hypercalls: one `outl` of its argument block's guest-physical address to the port (guest/unikernel/abi.h).</summary>
public enum HypercallKind
{
    Console = 0x500,
    Send = 0x501,
    Wait = 0x502,
    Exit = 0x503,
}

/// <summary>One decoded hypercall.</summary>
public readonly record struct Hypercall(HypercallKind Kind, ulong Argument)
{
    public const ushort FirstPort = 0x500, LastPort = 0x503;

    /// <summary>Bytes of one transmit descriptor (struct tx_desc: head, head_len, data, data_len, flags).</summary>
    public const int TxDescriptorSize = 40;

    /// <summary>Most frames one hypercall may send (abi.h MAX_TX).</summary>
    public const int MaxTxFrames = 64;

    /// <summary>Size of each argument block (u64 fields), so the monitor can check it lies in guest memory.</summary>
    public static int ArgumentSize(HypercallKind kind) => kind switch
    {
        HypercallKind.Console => 16,
        HypercallKind.Send => 16,
        HypercallKind.Wait => 56,
        HypercallKind.Exit => 8,
        _ => 0,
    };

    /// <summary>
    /// Decodes a port-I/O exit: only a 4-byte OUT, once, to a known port, is a hypercall; anything else is the guest
    /// misbehaving and ends it.
    /// </summary>
    public static Hypercall? Decode(byte direction, byte size, ushort port, uint count, uint value)
    {
        const byte Out = 1;
        if (direction != Out || size != 4 || count != 1 || port < FirstPort || port > LastPort)
        {
            return null;
        }
        return new Hypercall((HypercallKind)port, value);
    }
}
