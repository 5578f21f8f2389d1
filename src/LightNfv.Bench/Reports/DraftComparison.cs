namespace LightNfv.Bench.Reports;

/// <summary>One measured median beside the draft's figure for the closest row, and how they compare.</summary>
/// <param name="Ratio">How many times better LightNFV does (&gt;1: better), whichever way the metric is better; null without a draft figure.</param>
public sealed record ComparedCell(MetricResult Result, double? Draft, double? Ratio);

/// <summary>A (technology, variant) row: the draft row it is compared with and a cell per metric (null: not measured).</summary>
public sealed record ComparedRow(string Technology, string Variant, DraftFigures.Row? Draft, IReadOnlyList<ComparedCell?> Cells);

/// <summary>
/// The report's comparison with the draft, in one place for every writer of it: results.md's table and the web
/// console's benchmark page show the same cells.
/// </summary>
public sealed record DraftComparison(IReadOnlyList<(string Name, string Unit, string Title, bool LowerIsBetter)> Metrics, IReadOnlyList<ComparedRow> Rows)
{
    public static DraftComparison Of(BenchReport report)
    {
        var metrics = Reports.Metrics.All.Where(m => report.Results.Any(r => r.Metric == m.Name)).ToList();
        var rows = report.Results.Select(r => (r.Technology, r.Variant)).Distinct().Select(key =>
        {
            var draft = DraftFigures.For(key.Technology);
            var cells = metrics.Select(m =>
            {
                var r = report.Results.FirstOrDefault(x => x.Technology == key.Technology && x.Variant == key.Variant && x.Metric == m.Name);
                if (r is null)
                {
                    return null;
                }
                var d = draft?.Get(m.Name);
                var ratio = d is null || r.Median == 0 ? null : (double?)(m.LowerIsBetter ? d.Value / r.Median : r.Median / d.Value);
                return new ComparedCell(r, d, ratio);
            }).ToList();
            return new ComparedRow(key.Technology, key.Variant, draft, cells);
        }).ToList();
        return new DraftComparison(metrics, rows);
    }
}
