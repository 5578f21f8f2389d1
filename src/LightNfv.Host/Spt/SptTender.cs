using System.Globalization;
using System.Net;

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
        IReadOnlyList<string> cgroupProcsFiles)
    {
        var args = new List<string>
        {
            Path,
            "--mem=" + (memoryBytes >> 20).ToString(CultureInfo.InvariantCulture),
            "--tap-fd=3",
            "--ip=" + address,
            "--gateway=" + gateway,
            "--mac=" + string.Join(':', mac.Select(b => b.ToString("x2", CultureInfo.InvariantCulture))),
            "--port=" + port.ToString(CultureInfo.InvariantCulture),
            "--app=" + app,
        };
        args.AddRange(cgroupProcsFiles.Select(f => "--cgroup-procs=" + f));
        args.Add(image);
        return args;
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
