using System.Runtime.InteropServices;

namespace LightNfv.IntegrationTests.Infrastructure;

/// <summary>The few libc calls the tests make themselves (the product's own bindings are internal).</summary>
internal static unsafe partial class Native
{
    public const int SIGKILL = 9, WNOHANG = 1;

    [LibraryImport("libc", SetLastError = true)]
    public static partial int kill(int pid, int sig);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int waitpid(int pid, int* status, int options);

    /// <summary>Reaps <paramref name="pid"/> if it is a child of ours that has ended. True if it was reaped.</summary>
    public static bool TryReap(int pid)
    {
        int status;
        return waitpid(pid, &status, WNOHANG) == pid;
    }
}
