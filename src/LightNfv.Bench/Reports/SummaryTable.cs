using System.Globalization;
using System.Text;

namespace LightNfv.Bench.Reports;

/// <summary>
/// The few lines a bench run ends with on the terminal: one row per technology (and runtime), its medians, and how the
/// cold start compares with the draft's figure; every row fits <see cref="MaxWidth"/> columns. The full tables are in
/// results.md; printing them made the end of a run 150 wide lines.
/// </summary>
public static class SummaryTable
{
    public const int MaxWidth = 100;

    public static string Render(BenchReport report)
    {
        var sb = new StringBuilder();
        const string Header = "{0,-20} {1,9} {2,9} {3,11} {4,8} {5,9} {6,8}  {7}";
        sb.AppendLine(Fit(string.Format(CultureInfo.InvariantCulture, Header, "technology", "cold ms", "warm ms", "tx/rx Gb/s", "RTT ms", "image MB", "mem MB", "cold vs draft")));
        // A row per technology and runtime: the variant without its cold/warm suffix ("crun-cold" -> crun).
        var groups = report.Results
            .GroupBy(r => (r.Technology, Runtime: Runtime(r.Variant)))
            .OrderBy(g => g.Key.Technology, StringComparer.Ordinal).ThenBy(g => g.Key.Runtime, StringComparer.Ordinal);
        foreach (var g in groups)
        {
            // Cold figures also from a variant with no cold/warm suffix (the floor's "bare-fork-exec").
            double? Get(string metric, string? warmth = null) => g.FirstOrDefault(r => r.Metric == metric && (warmth switch
            {
                null => true,
                "cold" => !r.Variant.EndsWith("warm", StringComparison.Ordinal),
                _ => r.Variant.EndsWith(warmth, StringComparison.Ordinal),
            }))?.Median;
            var cold = Get(Metrics.InstantiationMs, "cold") ?? Get(Metrics.ReadyMs, "cold");
            var draft = DraftFigures.For(g.Key.Technology);
            var versus = cold is > 0 && draft is not null
                ? (draft.InstantiationMs >= cold.Value
                    ? $"{Ratio(draft.InstantiationMs / cold.Value)} faster ({ReportWriter.Fmt(draft.InstantiationMs)} ms)"
                    : $"{Ratio(cold.Value / draft.InstantiationMs)} slower ({ReportWriter.Fmt(draft.InstantiationMs)} ms)")
                : "–";
            var name = g.Key.Runtime.Length == 0 ? g.Key.Technology : $"{g.Key.Technology}/{g.Key.Runtime}";
            var tx = Get(Metrics.TxGbps);
            var rx = Get(Metrics.RxGbps);
            sb.AppendLine(Fit(string.Format(CultureInfo.InvariantCulture, Header, Cut(name, 20), ReportWriter.Fmt(cold), ReportWriter.Fmt(Get(Metrics.InstantiationMs, "warm")),
                tx is null && rx is null ? "–" : $"{ReportWriter.Fmt(tx)}/{ReportWriter.Fmt(rx)}", ReportWriter.Fmt(Get(Metrics.RttMs)),
                ReportWriter.Fmt(Get(Metrics.ImageMb)), ReportWriter.Fmt(Get(Metrics.MemoryMb)), versus)));
        }
        foreach (var u in report.Unavailable)
        {
            sb.AppendLine(Fit($"{Cut(u.Technology, 20),-20} {u.Describe.ReplaceLineEndings(" ")}"));
        }
        return sb.ToString();
    }

    /// <summary>The lines a `bench scale` run ends with: one per checkpoint.</summary>
    public static string RenderScaling(BenchReport report)
    {
        var sb = new StringBuilder();
        foreach (var c in report.Scaling ?? [])
        {
            sb.AppendLine(Fit($"{c.Technology} ({c.Variant}): {c.InstancesStarted} instances started{(c.StoppedEarly is null ? "" : "; " + c.StoppedEarly)}"));
            sb.AppendLine(string.Format(CultureInfo.InvariantCulture, "{0,9} {1,10} {2,8} {3,11} {4,14} {5,13}", "instances", "k-th ms", "vs 1st", "last-10 ms", "cgroup MB/inst", "host MB/inst"));
            foreach (var p in c.Points)
            {
                sb.AppendLine(string.Format(CultureInfo.InvariantCulture, "{0,9} {1,10} {2,8} {3,11} {4,14} {5,13}", p.Count, ReportWriter.Fmt(p.InstantiationMs),
                    p.InstantiationVsFirst is { } r ? ReportWriter.Fmt(r) + "x" : "-",
                    ReportWriter.Fmt(p.InstantiationMsMedianLast10), ReportWriter.Fmt(p.MemoryMbPerInstance), ReportWriter.Fmt(p.HostMemoryMbPerInstance)));
            }
        }
        return sb.ToString();
    }

    private static string Runtime(string variant)
    {
        foreach (var suffix in new[] { "-cold", "-warm", "cold", "warm" })
        {
            if (variant.EndsWith(suffix, StringComparison.Ordinal))
            {
                return variant[..^suffix.Length];
            }
        }
        return variant;
    }

    private static string Ratio(double r) => r >= 10 ? r.ToString("0", CultureInfo.InvariantCulture) + "x" : r.ToString("0.0", CultureInfo.InvariantCulture) + "x";

    private static string Cut(string s, int max) => s.Length <= max ? s : s[..(max - 1)] + "…";

    private static string Fit(string line) => Cut(line.TrimEnd(), MaxWidth);
}
