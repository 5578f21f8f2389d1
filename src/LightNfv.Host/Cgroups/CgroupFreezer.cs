using System.Diagnostics;
using LightNfv.Core.Errors;

namespace LightNfv.Host.Cgroups;

/// <summary>
/// The cgroup freezer, v1 and v2 alike, decided per directory by the file it has: v2's cgroup.freeze (write 1, wait
/// for "frozen 1" in cgroup.events) or v1's freezer.state in the freezer hierarchy (write FROZEN, wait until it reads
/// FROZEN rather than FREEZING). Frozen tasks keep their memory and every kernel object, so a quarantined instance can
/// be inspected and later thawed exactly where it stopped.
/// </summary>
internal static class CgroupFreezer
{
    /// <summary>How long a freeze may take before it is reported as failed (a task in an uninterruptible sleep holds it).</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(2);

    /// <summary>Freezes every directory that has a freezer file, and waits until the kernel says frozen. Returns "v1" or "v2".</summary>
    public static string Freeze(string relativePath, IReadOnlyList<string> dirs)
    {
        var (v2, v1) = Find(relativePath, dirs);
        if (v2 is not null)
        {
            CgroupFs.Write(Path.Combine(v2, "cgroup.freeze"), "1");
            Wait(() => CgroupFs.ReadKeyed(Path.Combine(v2, "cgroup.events"), "frozen") == 1, relativePath);
            return "v2";
        }
        CgroupFs.Write(Path.Combine(v1!, "freezer.state"), "FROZEN");
        Wait(() => CgroupFs.TryRead(Path.Combine(v1!, "freezer.state"))?.Trim() == "FROZEN", relativePath);
        return "v1";
    }

    /// <summary>Thaws the cgroup. Idempotent: thawing a thawed cgroup, or one with no freezer left, does nothing.</summary>
    public static void Thaw(IReadOnlyList<string> dirs)
    {
        foreach (var d in dirs)
        {
            if (File.Exists(Path.Combine(d, "cgroup.freeze")))
            {
                CgroupFs.Write(Path.Combine(d, "cgroup.freeze"), "0");
            }
            else if (File.Exists(Path.Combine(d, "freezer.state")))
            {
                CgroupFs.Write(Path.Combine(d, "freezer.state"), "THAWED");
            }
        }
    }

    /// <summary>Whether any directory is frozen or freezing.</summary>
    public static bool IsFrozen(IReadOnlyList<string> dirs) => dirs.Any(d =>
        CgroupFs.TryRead(Path.Combine(d, "cgroup.freeze"))?.Trim() == "1" ||
        CgroupFs.TryRead(Path.Combine(d, "freezer.state"))?.Trim() is "FROZEN" or "FREEZING");

    private static (string? V2, string? V1) Find(string relativePath, IReadOnlyList<string> dirs)
    {
        var v2 = dirs.FirstOrDefault(d => File.Exists(Path.Combine(d, "cgroup.freeze")));
        var v1 = dirs.FirstOrDefault(d => File.Exists(Path.Combine(d, "freezer.state")));
        if (v2 is null && v1 is null)
        {
            throw new LightNfvException(ErrorKind.Unavailable,
                $"cgroup {relativePath} has no freezer: on cgroup v1 mount the freezer hierarchy (mount -t cgroup -o freezer cgroup /sys/fs/cgroup/freezer) " +
                "before the instance starts; on cgroup v2 the kernel needs 5.2 or later (cgroup.freeze)");
        }
        return (v2, v1);
    }

    private static void Wait(Func<bool> done, string relativePath)
    {
        var sw = Stopwatch.StartNew();
        var spins = 0;
        while (!done())
        {
            if (sw.Elapsed > Timeout)
            {
                throw new LightNfvException(ErrorKind.Host,
                    $"cgroup {relativePath} did not freeze within {Timeout.TotalSeconds} s (a task in uninterruptible sleep, e.g. on a hung mount, holds it in FREEZING)");
            }
            // Freezing takes tens of microseconds for an idle instance: spin briefly before sleeping.
            if (++spins > 50)
            {
                Thread.Sleep(1);
            }
            else
            {
                Thread.Yield();
            }
        }
    }
}
