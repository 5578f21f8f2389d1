using System.Buffers.Binary;
using LightNfv.Host.Native;

namespace LightNfv.Host.Kvm;

/// <summary>The network device: frames between the guest's memory and its tap, and the park of a warm guest until it is bound.</summary>
public sealed unsafe partial class UnikernelVm
{
    /// <summary>Sends the guest's queued frames (struct tx_desc array), filling checksums where asked.</summary>
    private string? SendFrames(Span<byte> mem, ulong descriptors, ulong count)
    {
        if (count == 0)
        {
            return null;
        }
        var memLength = (ulong)mem.Length;
        bool InMemory(ulong address, ulong length) => length <= memLength && address <= memLength - length;
        if (count > Hypercall.MaxTxFrames || !InMemory(descriptors, count * Hypercall.TxDescriptorSize))
        {
            return $"{count} transmit descriptors at 0x{descriptors:x}: over {Hypercall.MaxTxFrames} or outside guest memory";
        }
        for (var i = 0UL; i < count; i++)
        {
            var d = mem.Slice((int)(descriptors + i * Hypercall.TxDescriptorSize), Hypercall.TxDescriptorSize);
            ulong F(ReadOnlySpan<byte> block, int k) => BinaryPrimitives.ReadUInt64LittleEndian(block[(k * 8)..]);
            var (head, headLen, data, dataLen, flags) = (F(d, 0), F(d, 1), F(d, 2), F(d, 3), F(d, 4));
            if (headLen + dataLen > MaxFrame || !InMemory(head, headLen) || !InMemory(data, dataLen))
            {
                return $"send of {headLen}+{dataLen} bytes outside guest memory or over {MaxFrame}";
            }
            var frame = _frame.AsSpan(0, (int)(headLen + dataLen));
            mem.Slice((int)head, (int)headLen).CopyTo(frame);
            mem.Slice((int)data, (int)dataLen).CopyTo(frame[(int)headLen..]);
            if ((flags & 1) != 0)
            {
                FrameChecksums.Fill(frame);
            }
            try
            {
                _tap.Write(frame);
                TxBytes += (ulong)frame.Length;
                TxPackets++;
            }
            catch (Core.Errors.LightNfvException)
            {
                // A full or downed link drops the frame, as a NIC would; TCP retransmits.
            }
        }
        return null;
    }

    /// <summary>
    /// Blocks the vCPU thread in the kernel on the wake eventfd until <see cref="Bind"/> (or Stop) writes it. A managed
    /// wait here (ManualResetEventSlim) sometimes slept through the claim: a sched_switch trace showed the thread
    /// woken by a timer 5 ms after it parked instead of by the bind, in one warm claim of four or five.
    /// </summary>
    private void ParkUntilBound()
    {
        var fd = new Libc.PollFd { Fd = _wake.Value, Events = Libc.POLLIN };
        while (!_bound && !_stopping)
        {
            Libc.ppoll(&fd, 1, null, null);
        }
        ulong count;
        Libc.read(_wake.Value, &count, 8); // consumed (non-blocking eventfd): the guest's first receive blocks again
    }

    /// <summary>One frame into the guest's buffer: at once if one is queued, else after waiting until the deadline.</summary>
    private int Receive(Span<byte> buffer, ulong deadline)
    {
        var tapFd = _tap.Descriptor.Value;
        fixed (byte* p = buffer)
        {
            var n = Libc.read(tapFd, p, (nuint)buffer.Length);
            if (n > 0)
            {
                RxBytes += (ulong)n;
                RxPackets++;
                return (int)n;
            }
            var now = Now;
            if (deadline <= now || _stopping)
            {
                return 0;
            }
            var fds = stackalloc Libc.PollFd[2];
            fds[0] = new Libc.PollFd { Fd = tapFd, Events = Libc.POLLIN };
            fds[1] = new Libc.PollFd { Fd = _wake.Value, Events = Libc.POLLIN };
            Libc.TimeSpec ts;
            Libc.TimeSpec* timeout = null;
            if (deadline != ulong.MaxValue)
            {
                var wait = deadline - now;
                ts = new Libc.TimeSpec { Seconds = (long)(wait / 1_000_000_000), Nanoseconds = (long)(wait % 1_000_000_000) };
                timeout = &ts;
            }
            // Blocks the vCPU thread, not a core: an idle guest costs no CPU.
            if (Libc.ppoll(fds, 2, timeout, null) <= 0 || _stopping)
            {
                return 0;
            }
            n = Libc.read(tapFd, p, (nuint)buffer.Length);
            if (n > 0)
            {
                RxBytes += (ulong)n;
                RxPackets++;
                return (int)n;
            }
            return 0;
        }
    }
}
