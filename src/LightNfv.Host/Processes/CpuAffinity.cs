using LightNfv.Host.Native;

namespace LightNfv.Host.Processes;

/// <summary>
/// Sends a child just spawned to another CPU than the caller's, for as long as both work at once. After a vfork-style
/// spawn the child is queued on the parent's CPU, and the scheduler moves it to an idle CPU only at a later balance
/// (up to a tick): a parent that goes on working meanwhile delays the child's exec by as long as it works.
/// </summary>
public sealed unsafe class CpuAffinity
{
    private const int MaskBytes = 128; // 1024 CPUs
    private readonly byte[] _original;
    private readonly int _pid;

    private CpuAffinity(int pid, byte[] original) => (_pid, _original) = (pid, original);

    /// <summary>Restricts <paramref name="pid"/> to the caller's allowed CPUs but its current one; null (nothing done) where no other CPU is allowed.</summary>
    public static CpuAffinity? AwayFromCaller(int pid)
    {
        var original = new byte[MaskBytes];
        var cpu = Libc.sched_getcpu();
        fixed (byte* m = original)
        {
            if (cpu < 0 || cpu >= MaskBytes * 8 || Libc.sched_getaffinity(0, MaskBytes, m) < 0)
            {
                return null;
            }
        }
        var away = (byte[])original.Clone();
        away[cpu / 8] &= (byte)~(1 << (cpu % 8));
        if (away.All(b => b == 0))
        {
            return null;
        }
        fixed (byte* m = away)
        {
            return Libc.sched_setaffinity(pid, MaskBytes, m) == 0 ? new CpuAffinity(pid, original) : null;
        }
    }

    /// <summary>Gives the child the caller's own CPUs again (a cpuset cgroup it joined still bounds it). Best effort: it may be gone.</summary>
    public void Restore()
    {
        fixed (byte* m = _original)
        {
            _ = Libc.sched_setaffinity(_pid, MaskBytes, m);
        }
    }
}
