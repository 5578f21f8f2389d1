namespace LightNfv.Platform.Control.Liveness;

/// <summary>Options of the liveness loop (<see cref="LivenessProber"/>).</summary>
public sealed class LivenessOptions
{
    /// <summary>
    /// How often the loop looks for due probes: the finest probe interval that matters (dead processes are seen at
    /// once through pidfds anyway). Each replica is probed on its own descriptor's interval.
    /// </summary>
    public TimeSpan Step { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Every this many steps the loop also runs its housekeeping (failing overdue operations): once a second.</summary>
    public int HousekeepingEvery { get; set; } = 10;
}
