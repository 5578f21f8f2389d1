using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using LightNfv.Core.Errors;
using LightNfv.Host.Native;

namespace LightNfv.Host.Spt;

/// <summary>
/// lnfv-spt, the sandboxed-process tender (Spt/native/lnfv-spt.c): runs the unikernel guest's spt build as an ordinary
/// Linux process under a seccomp filter, for hosts without /dev/kvm. This class names it and builds its command line.
/// </summary>
public static class SptTender
{
    public const string ExecutableName = "lnfv-spt";

    /// <summary>Exit code after the guest made a system call the filter forbids (128 + SIGSYS); the console log names it.</summary>
    public const int ForbiddenSystemCallExit = 159;

    /// <summary>The line the tender writes to the console before that exit: "lnfv-spt: seccomp: forbidden system call N".</summary>
    public const string ForbiddenSystemCallMarker = "seccomp: forbidden system call ";

    public static string Path { get; } = System.IO.Path.Combine(AppContext.BaseDirectory, ExecutableName);

    /// <summary>Why the tender cannot run here, or null.</summary>
    public static string? Problem() =>
        File.Exists(Path) ? null : $"{Path} is missing; rebuild LightNFV (the build compiles src/LightNfv.Host/Spt/native/lnfv-spt.c with gcc)";

    /// <summary>The tender's command line; the tap is descriptor 3 (the spawner passes it there).</summary>
    public static IReadOnlyList<string> Arguments(string image, ulong memoryBytes, IPAddress address, IPAddress gateway, byte[] mac, int port, string app,
        IReadOnlyList<string> cgroupProcsFiles) =>
        [.. Identity(memoryBytes, address, gateway, mac, port, app, "--tap-fd=3"), .. cgroupProcsFiles.Select(f => "--cgroup-procs=" + f), image];

    /// <summary>
    /// A cold start in halves: the tender's start socket is descriptor 3 (the spawner passes it there), and the tap and
    /// the cgroup files come later, with the go (<see cref="SptStartChannel"/>).
    /// </summary>
    public static IReadOnlyList<string> StartArguments(string image, ulong memoryBytes, IPAddress address, IPAddress gateway, byte[] mac, int port, string app) =>
        [.. Identity(memoryBytes, address, gateway, mac, port, app, "--start-fd=3"), image];

    private static IEnumerable<string> Identity(ulong memoryBytes, IPAddress address, IPAddress gateway, byte[] mac, int port, string app, string descriptor) =>
    [
        Path,
        "--mem=" + (memoryBytes >> 20).ToString(CultureInfo.InvariantCulture),
        descriptor,
        "--ip=" + address,
        "--gateway=" + gateway,
        "--mac=" + string.Join(':', mac.Select(b => b.ToString("x2", CultureInfo.InvariantCulture))),
        "--port=" + port.ToString(CultureInfo.InvariantCulture),
        "--app=" + app,
    ];

    /// <summary>A warm guest's control FIFO, in its run directory: the tender makes it, the claim removes it.</summary>
    public const string ControlFileName = "spt-control";

    /// <summary>"UCLM" little-endian (abi.h SPT_CLAIM_MAGIC): the guest ignores a write without it.</summary>
    private const uint ClaimMagic = 0x4d4c4355;

    /// <summary>
    /// A warm guest's command line: no address, gateway, port or application (the claim brings them), and the control
    /// FIFO the tender makes and the guest reads its claim from. The tap is descriptor 3, as for a cold guest.
    /// </summary>
    public static IReadOnlyList<string> WarmArguments(string image, ulong memoryBytes, byte[] mac, string controlPath, IReadOnlyList<string> cgroupProcsFiles)
    {
        var args = new List<string>
        {
            Path,
            "--mem=" + (memoryBytes >> 20).ToString(CultureInfo.InvariantCulture),
            "--tap-fd=3",
            "--mac=" + string.Join(':', mac.Select(b => b.ToString("x2", CultureInfo.InvariantCulture))),
            "--control=" + controlPath,
        };
        args.AddRange(cgroupProcsFiles.Select(f => "--cgroup-procs=" + f));
        args.Add(image);
        return args;
    }

    /// <summary>
    /// Hands a parked warm guest its identity (abi.h struct spt_claim: magic, address, gateway, port, application):
    /// one 16-byte write, atomic on a FIFO (below PIPE_BUF), which wakes the guest's wait; then the FIFO's name goes
    /// (the tender keeps it open). Fails when no tender holds the FIFO open any more (ENXIO: it died in the pool).
    /// </summary>
    public static unsafe void Claim(string controlPath, IPAddress address, IPAddress gateway, int port, int app)
    {
        Span<byte> claim = stackalloc byte[16];
        BinaryPrimitives.WriteUInt32LittleEndian(claim, ClaimMagic);
        address.TryWriteBytes(claim[4..8], out _);
        gateway.TryWriteBytes(claim[8..12], out _);
        BinaryPrimitives.WriteUInt16LittleEndian(claim[12..], (ushort)port);
        BinaryPrimitives.WriteUInt16LittleEndian(claim[14..], (ushort)app);
        var fd = Libc.open(controlPath, Libc.O_WRONLY | Libc.O_NONBLOCK | Libc.O_CLOEXEC, 0);
        if (fd < 0)
        {
            var errno = Errno.Last;
            throw new LightNfvException(ErrorKind.Host, errno == Libc.ENXIO
                ? $"the warm guest's tender is gone ({controlPath} has no reader)"
                : $"open {controlPath}: {Errno.Describe(errno)}");
        }
        using (new FileDescriptor(fd))
        {
            fixed (byte* p = claim)
            {
                var n = Libc.write(fd, p, (nuint)claim.Length);
                if (n != claim.Length)
                {
                    throw new LightNfvException(ErrorKind.Host, $"writing the claim to {controlPath}: {(n < 0 ? Errno.Describe(Errno.Last) : $"{n} of 16 bytes")}");
                }
            }
        }
        File.Delete(controlPath);
    }

    /// <summary>
    /// Whether the tender's guest is parked: blocked in epoll_pwait (281), its one wait, as /proc/PID/syscall shows
    /// (the tender itself never waits there); false while it boots, runs, or is gone.
    /// </summary>
    public static bool Parked(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/syscall").StartsWith("281 ", StringComparison.Ordinal);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>The system call number the console log names after a forbidden call, or null (pure).</summary>
    public static int? ForbiddenSystemCall(string console)
    {
        var at = console.LastIndexOf(ForbiddenSystemCallMarker, StringComparison.Ordinal);
        if (at < 0)
        {
            return null;
        }
        var digits = console[(at + ForbiddenSystemCallMarker.Length)..].TakeWhile(char.IsAsciiDigit).ToArray();
        return int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : null;
    }
}
