namespace LightNfv.Bench;

/// <summary>
/// Where a bench run stands, for a progress display: <paramref name="Done"/> of <paramref name="Total"/> steps of a
/// phase ("instantiation", "network", "scale"), with the latest sample in words.
/// </summary>
public sealed record BenchStep(string Phase, int Done, int Total, string Line)
{
    /// <summary>
    /// The line a plain (narrow, piped) display prints for this step: the phase and count, then the sample, within
    /// <paramref name="width"/> columns (at least 20). Null while the phase is the previous step's and not finished,
    /// so a 90 s phase is two lines, not hundreds.
    /// </summary>
    public string? PlainLine(string? previousPhase, int width)
    {
        if (string.Equals(Phase, previousPhase, StringComparison.Ordinal) && Done < Total)
        {
            return null;
        }
        var line = $"[{Phase} {Done}/{Total}] {Line}";
        var max = Math.Max(20, width - 1);
        return line.Length <= max ? line : line[..(max - 1)] + "…";
    }
}
