using LightNfv.Host.Native;

namespace LightNfv.Host.Processes;

/// <summary>
/// Keeps every page a long-lived process touches resident (mlockall with MCL_ONFAULT: nothing is pre-faulted, so the
/// footprint does not grow). Hosts like this one run a reclaim daemon (DAMON, action pageout) that evicts file pages
/// idle for 30 s, which includes the runtime's and the platform's own code: a path used every half minute (a bench
/// round, an API call) then starts with major page faults from disk.
/// </summary>
public static class MemoryLock
{
    /// <summary>Best effort: false without CAP_IPC_LOCK beyond RLIMIT_MEMLOCK, and the process runs as before.</summary>
    public static bool KeepTouchedPagesResident() => Libc.mlockall(Libc.MCL_CURRENT | Libc.MCL_FUTURE | Libc.MCL_ONFAULT) == 0;
}
