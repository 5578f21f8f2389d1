using System.Globalization;
using System.Text;
using System.Text.Json;

namespace LightNfv.Bench.Reports;

/// <summary>Writes results.json (every sample) and results.md (the draft's table layout, this host beside the draft).</summary>
public static class ReportWriter
{
    private static readonly JsonSerializerOptions s_json = new() { WriteIndented = true };

    public static string Json(BenchReport report) => JsonSerializer.Serialize(report, s_json);

    public static BenchReport ReadJson(string json) =>
        JsonSerializer.Deserialize<BenchReport>(json) ?? throw new InvalidDataException("empty results.json");

    public static void WriteAll(BenchReport report, string directory)
    {
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, "results.json"), Json(report));
        File.WriteAllText(Path.Combine(directory, "results.md"), Markdown(report));
        File.WriteAllText(Path.Combine(directory, "results.svg"), SvgChart.Render(report));
    }

    public static string Markdown(BenchReport report)
    {
        var inv = CultureInfo.InvariantCulture;
        var h = report.Host;
        var sb = new StringBuilder();
        sb.AppendLine("# LightNFV benchmark");
        sb.AppendLine();
        sb.AppendLine(inv, $"Host: {h.Cpu}, {h.Cores} cores, {h.MemoryGiB} GiB, {h.Os}, kernel {h.Kernel}, cgroups {h.Cgroups} ({h.Tuning}), accelerators: {(h.Accelerators.Count == 0 ? "none" : string.Join(", ", h.Accelerators))}, {h.Runtime}.  ");
        sb.AppendLine(inv, $"Date: {h.Date.ToUniversalTime():yyyy-MM-dd HH:mm} UTC. Command: `{h.Command}`");
        sb.AppendLine();

        var comparison = DraftComparison.Of(report);
        // A `bench scale` run has no per-technology metrics: its tables are the scaling ones, not empty headers.
        var hasResults = report.Results.Count > 0 || report.Unavailable.Count > 0;
        if (hasResults)
        {
            sb.AppendLine("Each cell: this host's median (the draft's figure for the closest row; ratio, >1 means LightNFV does better).");
            sb.AppendLine();
            sb.Append("| technology | variant | draft row |");
            foreach (var m in comparison.Metrics)
            {
                sb.Append(inv, $" {m.Title} |");
            }
            sb.AppendLine();
            sb.Append("|---|---|---|");
            foreach (var _ in comparison.Metrics)
            {
                sb.Append("---:|");
            }
            sb.AppendLine();
            foreach (var row in comparison.Rows)
            {
                sb.Append(inv, $"| {row.Technology} | {row.Variant} | {row.Draft?.Name ?? "–"} |");
                foreach (var c in row.Cells)
                {
                    sb.Append(c switch
                    {
                        null => " – |",
                        { Draft: null } => $" **{Fmt(c.Result.Median)}** |",
                        _ => $" **{Fmt(c.Result.Median)}** ({Fmt(c.Draft)}; {(c.Ratio is { } ratio ? FmtRatio(ratio) : "–")}) |",
                    });
                }
                sb.AppendLine();
            }
            foreach (var u in report.Unavailable)
            {
                // One line in the table whatever the reason holds (a build's output may have pipes and newlines).
                var text = u.Describe.Replace("|", "\\|", StringComparison.Ordinal).ReplaceLineEndings(" ");
                sb.AppendLine(inv, $"| {u.Technology} | – | {DraftFigures.For(u.Technology)?.Name ?? "–"} | {text} |");
            }
            sb.AppendLine();
        }
        if (report.Scaling is { Count: > 0 } scaling)
        {
            sb.AppendLine("## Scaling");
            sb.AppendLine();
            foreach (var curve in scaling)
            {
                sb.AppendLine(inv, $"{curve.Technology} ({curve.Variant}): {curve.InstancesStarted} instances started{(curve.StoppedEarly is null ? "" : "; " + curve.StoppedEarly)}.");
                sb.AppendLine();
                Table(sb, "| instances | k-th instantiation (ms) | k-th / 1st | median of last 10 (ms) | memory per instance, cgroups (MB) | host memory per instance (MB) |",
                    "|---:|---:|---:|---:|---:|---:|",
                    curve.Points.Select(p => $"| {p.Count} | {Fmt(p.InstantiationMs)} | {(p.InstantiationVsFirst is { } r ? Fmt(r) + "x" : "–")} | {Fmt(p.InstantiationMsMedianLast10)} | {Fmt(p.MemoryMbPerInstance)} | {Fmt(p.HostMemoryMbPerInstance)} |"));
                sb.AppendLine();
            }
        }
        if (report.Results.Count == 0)
        {
            return sb.ToString();
        }
        sb.AppendLine("## Detail");
        sb.AppendLine();
        Table(sb, "| technology | variant | metric | median | min | max | p99 | runs | notes |", "|---|---|---|---:|---:|---:|---:|---:|---|",
            report.Results.Select(r => $"| {r.Technology} | {r.Variant} | {r.Metric} | {Fmt(r.Median)} | {Fmt(r.Min)} | {Fmt(r.Max)} | {Fmt(r.P99)} | {r.Runs.ToString(inv)} | {r.Notes} |"));
        sb.AppendLine();
        sb.AppendLine("## The draft's figures");
        sb.AppendLine();
        Table(sb, "| technology | instantiation ms | Tx Gb/s | Rx Gb/s | RTT ms | image MB | memory MB |", "|---|---:|---:|---:|---:|---:|---:|",
            DraftFigures.Rows.Select(d => $"| {d.Name} | {Fmt(d.InstantiationMs)} | {Fmt(d.TxGbps)} | {Fmt(d.RxGbps)} | {Fmt(d.RttMs)} | {Fmt(d.ImageMb)} | {Fmt(d.MemoryMb)} |"));
        return sb.ToString();
    }

    /// <summary>A Markdown table: header, alignment row, one line per row (rows already formatted with invariant numbers).</summary>
    private static void Table(StringBuilder sb, string header, string alignment, IEnumerable<string> rows)
    {
        sb.AppendLine(header);
        sb.AppendLine(alignment);
        foreach (var row in rows)
        {
            sb.AppendLine(row);
        }
    }

    /// <summary>Three significant digits (all integer digits for 1000 and more), no exponent, no trailing zeros: 1711, 82, 3.8, 0.75, 0.00034.</summary>
    public static string Fmt(double? v)
    {
        if (v is null)
        {
            return "–";
        }
        var x = v.Value;
        if (x == 0 || double.IsNaN(x) || double.IsInfinity(x))
        {
            return x.ToString(CultureInfo.InvariantCulture);
        }
        var decimals = Math.Clamp(2 - (int)Math.Floor(Math.Log10(Math.Abs(x))), 0, 9);
        var text = Math.Round(x, decimals).ToString("F" + decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
        return text.Contains('.') ? text.TrimEnd('0').TrimEnd('.') : text;
    }

    /// <summary>A ratio as the reports write it: 3.4x, 12x.</summary>
    public static string FmtRatio(double r) => r >= 10
        ? r.ToString("0", CultureInfo.InvariantCulture) + "x"
        : r.ToString("0.0#", CultureInfo.InvariantCulture) + "x";
}
