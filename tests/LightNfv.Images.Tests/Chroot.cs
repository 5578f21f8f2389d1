using System.Diagnostics;

namespace LightNfv.Images.Tests;

/// <summary>Runs a program inside a built rootfs, the real proof that the library closure is complete.</summary>
internal static class Chroot
{
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(string rootfs, params string[] argv)
    {
        var start = new ProcessStartInfo("chroot", [rootfs, .. argv])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        // The host's PATH may name directories the image lacks; busybox looks applets up on it.
        start.Environment["PATH"] = "/usr/sbin:/usr/bin:/sbin:/bin";
        using var process = Process.Start(start)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout, await stderr);
    }
}
