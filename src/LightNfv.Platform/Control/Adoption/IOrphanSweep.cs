namespace LightNfv.Platform.Control.Adoption;

/// <summary>
/// Removes host resources named like an instance of this platform that no record owns (a crash between making them
/// and recording them). Called once at start-up, before the reconcile loop.
/// </summary>
public interface IOrphanSweep
{
    /// <summary>Removes what belongs to no id in <paramref name="recorded"/> (nor to a warm-pool shell); returns how many orphans it found.</summary>
    int Sweep(IReadOnlySet<string> recorded);
}
