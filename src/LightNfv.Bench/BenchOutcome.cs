using LightNfv.Bench.Experiments;
using LightNfv.Bench.Reports;

namespace LightNfv.Bench;

/// <summary>
/// What a finished bench tells its caller: success when at least one technology was measured (failures are in the
/// report, with their reasons), failure only when nothing could be, so one broken technology never costs the others'
/// figures (issue 12: a standard VM's debootstrap failure ended the whole run with exit 1 and no results).
/// </summary>
public static class BenchOutcome
{
    /// <summary>Exit code when nothing could be measured (every technology unavailable or failed).</summary>
    public const int NothingMeasured = 1;

    /// <summary>Technologies with at least one measured figure (the same run's floor does not count).</summary>
    public static IReadOnlyList<string> Measured(BenchReport report) =>
        report.Results.Where(r => r.Technology != FloorExperiment.Technology).Select(r => r.Technology).Distinct().ToList();

    public static int ExitCode(BenchReport report) => Measured(report).Count > 0 ? 0 : NothingMeasured;

    /// <summary>One line saying what failed and why (null when nothing failed); unavailable technologies are the probe's
    /// answer, not failures, and are named only when nothing at all was measured.</summary>
    public static string? Summary(BenchReport report)
    {
        var failed = report.Unavailable.Where(u => u.FailedIn is not null).ToList();
        var measured = Measured(report);
        if (measured.Count == 0)
        {
            var why = report.Unavailable.Count == 0 ? "no technology was asked for" : string.Join("; ", report.Unavailable.Select(u => $"{u.Technology} {u.Describe}"));
            return $"bench: nothing could be measured: {why}";
        }
        if (failed.Count == 0)
        {
            return null;
        }
        return $"bench: measured {string.Join(", ", measured)}; failed: {string.Join("; ", failed.Select(u => $"{u.Technology} in {u.FailedIn}: {OneLine(u.Reason)}"))} (details in results.md)";
    }

    private static string OneLine(string text) => text.ReplaceLineEndings(" ");
}
