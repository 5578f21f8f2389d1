using System.Text;
using LightNfv.Core.Errors;
using LightNfv.Host.Native;

namespace LightNfv.Host.Network;

/// <summary>
/// A tap interface (layer-2 frames through a file descriptor), for guests whose NIC a monitor or QEMU emulates.
/// Not persistent: the kernel removes the link when the last descriptor closes, so a crashed VMM leaves no tap behind.
/// </summary>
public sealed class TapDevice : IDisposable
{
    private const ulong TUNSETIFF = 0x400454ca;
    private const short IFF_TAP = 0x0002, IFF_NO_PI = 0x1000, IFF_VNET_HDR = 0x4000;
    private const int IFNAMSIZ = 16;

    private TapDevice(string name, FileDescriptor fd)
    {
        Name = name;
        Descriptor = fd;
    }

    public string Name { get; }

    /// <summary>Read one frame / write one frame per call. O_CLOEXEC: hand it to a child explicitly (dup2 in the spawn).</summary>
    public FileDescriptor Descriptor { get; }

    /// <summary>
    /// Creates the tap in the calling thread's network namespace. <paramref name="vnetHeader"/> prefixes each frame
    /// with a virtio-net header (what QEMU's virtio-net wants for offloads); <paramref name="nonBlocking"/> for poll loops.
    /// </summary>
    public static unsafe TapDevice Create(string name, bool vnetHeader = false, bool nonBlocking = false)
    {
        var bytes = Encoding.ASCII.GetBytes(name);
        if (bytes.Length is 0 or >= IFNAMSIZ)
        {
            throw new ArgumentException($"tap name '{name}' must be 1-15 characters", nameof(name));
        }
        var fd = FileDescriptor.Open("/dev/net/tun", Libc.O_RDWR | (nonBlocking ? Libc.O_NONBLOCK : 0));
        try
        {
            // struct ifreq: char ifr_name[16]; short ifr_flags; padding to 40 bytes.
            var ifr = stackalloc byte[40];
            new Span<byte>(ifr, 40).Clear();
            bytes.CopyTo(new Span<byte>(ifr, IFNAMSIZ));
            *(short*)(ifr + IFNAMSIZ) = (short)(IFF_TAP | IFF_NO_PI | (vnetHeader ? IFF_VNET_HDR : 0));
            if (Libc.ioctl(fd, TUNSETIFF, ifr) < 0)
            {
                var e = Errno.Last;
                throw e == Libc.EBUSY
                    ? new LightNfvException(ErrorKind.Conflict, $"tap {name} already exists; run 'lightnfv down' to remove leftovers")
                    : Errno.Error($"create tap {name}", e);
            }
            return new TapDevice(name, fd);
        }
        catch
        {
            fd.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Reads one frame, waiting at most <paramref name="timeout"/>; returns its length, or 0 when none arrived.
    /// A buffer shorter than the frame gets its first bytes (the kernel drops the rest).
    /// </summary>
    public unsafe int Read(Span<byte> frame, TimeSpan timeout)
    {
        var pfd = new Libc.PollFd { Fd = Descriptor.Value, Events = Libc.POLLIN };
        var ts = new Libc.TimeSpec { Seconds = (long)timeout.TotalSeconds, Nanoseconds = timeout.Ticks % TimeSpan.TicksPerSecond * 100 };
        while (true)
        {
            var ready = Libc.ppoll(&pfd, 1, &ts, null);
            if (ready < 0 && Errno.Last == Libc.EINTR)
            {
                continue;
            }
            Errno.Check(ready, $"poll tap {Name}");
            if (ready == 0)
            {
                return 0;
            }
            fixed (byte* p = frame)
            {
                var n = Libc.read(Descriptor.Value, p, (nuint)frame.Length);
                if (n < 0 && Errno.Last is Libc.EAGAIN or Libc.EINTR)
                {
                    continue;
                }
                Errno.Check((int)n, $"read tap {Name}");
                return (int)n;
            }
        }
    }

    /// <summary>Writes one whole frame (a tap write is atomic: all or an error).</summary>
    public unsafe void Write(ReadOnlySpan<byte> frame)
    {
        fixed (byte* p = frame)
        {
            Errno.Check((int)Libc.write(Descriptor.Value, p, (nuint)frame.Length), $"write tap {Name}");
        }
    }

    /// <summary>
    /// Bounds the frames waiting for the reader (the tap's tx queue, 1000 by default). A reader slower than its
    /// senders (an emulated guest under a SYN flood) then answers frames at most that many frames old, not seconds old.
    /// Must run in the tap's network namespace.
    /// </summary>
    public unsafe void SetQueueLength(int frames)
    {
        const ulong SIOCSIFTXQLEN = 0x8943;
        const int AF_INET = 2, SOCK_DGRAM = 2, SOCK_CLOEXEC = 0x80000;
        using var socket = new FileDescriptor(Errno.Check(Libc.socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), "socket"));
        var ifr = stackalloc byte[40];
        new Span<byte>(ifr, 40).Clear();
        Encoding.ASCII.GetBytes(Name).CopyTo(new Span<byte>(ifr, IFNAMSIZ));
        *(int*)(ifr + IFNAMSIZ) = frames;
        Errno.Check(Libc.ioctl(socket, SIOCSIFTXQLEN, ifr), $"set the queue length of tap {Name}");
    }

    /// <summary>Closing the last descriptor removes the link.</summary>
    public void Dispose() => Descriptor.Dispose();
}
