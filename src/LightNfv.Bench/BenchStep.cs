namespace LightNfv.Bench;

/// <summary>
/// Where a bench run stands, for a progress display: <paramref name="Done"/> of <paramref name="Total"/> steps of a
/// phase ("instantiation", "network", "scale"), with the latest sample in words.
/// </summary>
public sealed record BenchStep(string Phase, int Done, int Total, string Line);
