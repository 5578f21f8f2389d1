namespace LightNfv.Bench.Statistics;

/// <summary>Order statistics of one metric's samples.</summary>
public sealed record Summary(double Median, double Min, double Max, double Mean, double P99, int Count)
{
    public static Summary Of(IReadOnlyCollection<double> samples)
    {
        if (samples.Count == 0)
        {
            throw new ArgumentException("no samples", nameof(samples));
        }
        var sorted = samples.Order().ToArray();
        return new Summary(Percentile(sorted, 50), sorted[0], sorted[^1], sorted.Average(), Percentile(sorted, 99), sorted.Length);
    }

    /// <summary>Linear interpolation between closest ranks (the common "type 7" definition, as numpy's default).</summary>
    public static double Percentile(IReadOnlyList<double> sorted, double p)
    {
        if (sorted.Count == 1)
        {
            return sorted[0];
        }
        var rank = p / 100.0 * (sorted.Count - 1);
        var lo = (int)Math.Floor(rank);
        var hi = Math.Min(lo + 1, sorted.Count - 1);
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo);
    }
}
