using System.Globalization;
using LightNfv.Core.Backends;

namespace LightNfv.Host.Processes;

/// <summary>
/// A process named by pid plus its start time in clock ticks since boot (/proc/PID/stat field 22):
/// a recycled pid has a different start time, so a stale record can never signal a stranger.
/// </summary>
public readonly record struct ProcessIdentity(int Pid, ulong StartTicks)
{
    public override string ToString() => $"{Pid}@{StartTicks}";

    /// <summary>The compact form backends record (<see cref="ProcessRef"/>) and back: the same two numbers.</summary>
    public static implicit operator ProcessRef(ProcessIdentity p) => new(p.Pid, p.StartTicks);

    public static implicit operator ProcessIdentity(ProcessRef p) => new(p.Pid, p.StartTicks);

    /// <summary>The identity of a recorded process, or null when none is recorded.</summary>
    public static ProcessIdentity? From(ProcessRef? p) => p is { } r ? new ProcessIdentity(r.Pid, r.StartTicks) : null;

    public static ProcessIdentity? Parse(string? s)
    {
        if (s is null)
        {
            return null;
        }
        var at = s.IndexOf('@');
        return at > 0 && int.TryParse(s.AsSpan(0, at), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) &&
               ulong.TryParse(s.AsSpan(at + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var t)
            ? new ProcessIdentity(pid, t)
            : null;
    }

    /// <summary>Reads the identity of a live pid; null if it is gone or a zombie.</summary>
    public static ProcessIdentity? Of(int pid)
    {
        var stat = ReadStat(pid);
        return stat is { } s && s.State != 'Z' ? new ProcessIdentity(pid, s.StartTicks) : null;
    }

    /// <summary>True while this exact process runs (not a zombie, not a recycled pid).</summary>
    public bool IsAlive => ReadStat(Pid) is { } s && s.StartTicks == StartTicks && s.State != 'Z';

    /// <summary>When the process started, from boot time plus its start ticks.</summary>
    public DateTimeOffset StartedAt => BootTime.AddSeconds(StartTicks / (double)ClockTicksPerSecond);

    private const long ClockTicksPerSecond = 100; // USER_HZ is 100 on every Linux ABI .NET runs on

    private static readonly Lazy<DateTimeOffset> s_bootTime = new(() =>
    {
        foreach (var line in File.ReadLines("/proc/stat"))
        {
            if (line.StartsWith("btime ", StringComparison.Ordinal))
            {
                return DateTimeOffset.FromUnixTimeSeconds(long.Parse(line.AsSpan(6), CultureInfo.InvariantCulture));
            }
        }
        return DateTimeOffset.UnixEpoch;
    });

    private static DateTimeOffset BootTime => s_bootTime.Value;

    private static (char State, ulong StartTicks)? ReadStat(int pid) =>
        ProcStat.Read(pid) is { StartTicks: { } start } stat ? (stat.State, start) : null;
}
