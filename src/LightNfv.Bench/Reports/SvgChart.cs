using System.Globalization;
using System.Text;
using System.Xml;
using System.Xml.Linq;

namespace LightNfv.Bench.Reports;

/// <summary>
/// results.svg: one panel per metric, a horizontal bar per (technology, variant) with the median as the bar, the
/// min–max range as a whisker and the draft's figure for the closest row as a diamond. Built with XLinq so every
/// text is escaped, and formatted with fixed rounding so the same report always gives the same bytes.
/// </summary>
public static class SvgChart
{
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    private const double Width = 1000;
    private const int Columns = 2;
    private const double PanelWidth = Width / Columns;
    private const double HeaderHeight = 92;
    private const double PanelTitleHeight = 30;
    private const double RowHeight = 30;
    private const double AxisHeight = 28;
    private const double PanelGap = 10;
    private const double LabelWidth = 130;
    private const double ValueWidth = 70;
    private const double BarHeight = 14;

    // Tableau-like hues for technologies with a draft row; red is kept for the draft marker, grey for the floor.
    private static readonly string[] s_palette = ["#4e79a7", "#59a14f", "#b07aa1", "#76b7b2", "#edc948", "#9c755f", "#f28e2b"];
    private const string FloorColour = "#bab0ac";
    private const string DraftColour = "#e15759";
    private const string InkColour = "#333333";
    private const string MutedColour = "#666666";
    private const string GridColour = "#e3e3e3";

    /// <summary>Whether a panel uses a log10 axis: its values span more than two orders of magnitude.</summary>
    public static bool UsesLogScale(IEnumerable<double> values)
    {
        var finite = values.Where(double.IsFinite).ToList();
        if (finite.Count == 0 || finite.Any(v => v <= 0))
        {
            return false; // a log axis cannot show zero or negatives
        }
        return finite.Max() / finite.Min() > 100;
    }

    public static string Render(BenchReport report)
    {
        if (report.Results.Count == 0 && report.Scaling is { Count: > 0 })
        {
            return ScalingChart.Render(report); // a `bench scale` run: its curve, not empty metric panels
        }
        var metrics = Metrics.All.Where(m => report.Results.Any(r => r.Metric == m.Name)).ToList();
        var colours = TechnologyColours(report);
        var panels = metrics.Select(m => BuildPanel(report, m)).ToList();

        // One height for every panel keeps the grid aligned whatever the row counts.
        var maxRows = panels.Count == 0 ? 1 : Math.Max(1, panels.Max(p => p.Rows.Count));
        var panelHeight = PanelTitleHeight + maxRows * RowHeight + AxisHeight + 8;
        var gridRows = (panels.Count + Columns - 1) / Columns;
        var footerTop = HeaderHeight + gridRows * (panelHeight + PanelGap) + 6;
        var height = footerTop + (report.Unavailable.Count == 0 ? 0 : 18 + report.Unavailable.Count * 16) + 10;

        var h = report.Host;
        var hostLine = $"Host: {h.Cpu}, {h.Cores} cores, {Num(h.MemoryGiB)} GiB, kernel {h.Kernel}, {h.Date.ToUniversalTime().ToString("yyyy-MM-dd HH:mm", Inv)} UTC";
        var root = new XElement(Svg + "svg",
            new XAttribute("width", Num(Width)),
            new XAttribute("height", Num(height)),
            new XAttribute("viewBox", $"0 0 {Num(Width)} {Num(height)}"),
            new XAttribute("font-family", "sans-serif"),
            new XElement(Svg + "title", "LightNFV benchmark: this host beside the draft's figures"),
            new XElement(Svg + "desc", hostLine),
            new XElement(Svg + "rect", new XAttribute("width", "100%"), new XAttribute("height", "100%"), new XAttribute("fill", "#ffffff")),
            Text(16, 26, "LightNFV benchmark: this host beside the draft", 18, InkColour, weight: "bold"),
            Text(16, 46, Ellipsize(hostLine, CharsFitting(Width - 32, 12)), 12, MutedColour),
            Legend(16, 70, report.Results.Any(r => DraftFigures.For(r.Technology) is null)));

        for (var i = 0; i < panels.Count; i++)
        {
            var x = (i % Columns) * PanelWidth;
            var y = HeaderHeight + (i / Columns) * (panelHeight + PanelGap);
            root.Add(RenderPanel(panels[i], x, y, panelHeight, colours));
        }

        if (report.Unavailable.Count > 0)
        {
            var notes = new XElement(Svg + "g", new XAttribute("class", "unavailable"),
                Text(16, footerTop + 12, "Not measured on this host:", 12, InkColour, weight: "bold"));
            for (var i = 0; i < report.Unavailable.Count; i++)
            {
                var u = report.Unavailable[i];
                var line = u.FailedIn is null ? $"{u.Technology}: {u.Reason}" : $"{u.Technology}: failed in {u.FailedIn}: {u.Reason}";
                notes.Add(Text(24, footerTop + 30 + i * 16, Ellipsize(line, CharsFitting(Width - 40, 11)), 11, MutedColour));
            }
            root.Add(notes);
        }

        return Serialize(root);
    }

    private sealed record Row(string Technology, string Variant, MetricResult Result, DraftFigures.Row? Draft, double? DraftValue);

    private sealed record Panel((string Name, string Unit, string Title, bool LowerIsBetter) Metric, IReadOnlyList<Row> Rows, Axis Axis);

    private static Panel BuildPanel(BenchReport report, (string Name, string Unit, string Title, bool LowerIsBetter) metric)
    {
        var rows = new List<Row>();
        foreach (var (tech, variant) in report.Results.Select(r => (r.Technology, r.Variant)).Distinct())
        {
            // First result wins, as in the markdown table, so both reports show the same figure.
            var r = report.Results.FirstOrDefault(x => x.Technology == tech && x.Variant == variant && x.Metric == metric.Name);
            if (r is null)
            {
                continue;
            }
            var draft = DraftFigures.For(tech);
            rows.Add(new Row(tech, variant, r, draft, draft?.Get(metric.Name)));
        }
        var values = rows.SelectMany(r => new[] { r.Result.Median, r.Result.Min, r.Result.Max })
            .Concat(rows.Where(r => r.DraftValue is not null).Select(r => r.DraftValue!.Value))
            .Where(double.IsFinite)
            .ToList();
        return new Panel(metric, rows, UsesLogScale(values) ? Axis.Log(values) : Axis.Linear(values));
    }

    private static XElement RenderPanel(Panel panel, double x, double y, double height, IReadOnlyDictionary<string, string> colours)
    {
        var plotLeft = LabelWidth;
        var plotRight = PanelWidth - ValueWidth - 12;
        var plotTop = PanelTitleHeight;
        var plotBottom = plotTop + panel.Rows.Count * RowHeight;
        var axis = panel.Axis;
        double X(double v) => plotLeft + axis.Fraction(v) * (plotRight - plotLeft);

        var title = panel.Metric.Title + (axis.IsLog ? " (log scale)" : "");
        var g = new XElement(Svg + "g",
            new XAttribute("class", "panel"),
            new XAttribute("data-metric", panel.Metric.Name),
            new XAttribute("data-scale", axis.IsLog ? "log" : "linear"),
            new XAttribute("transform", $"translate({Num(x)},{Num(y)})"),
            new XElement(Svg + "rect",
                new XAttribute("x", "5"), new XAttribute("y", "0"),
                new XAttribute("width", Num(PanelWidth - 10)), new XAttribute("height", Num(height)),
                new XAttribute("rx", "4"), new XAttribute("fill", "#fafafa"), new XAttribute("stroke", "#d0d0d0")),
            Text(14, 20, title, 13, InkColour, weight: "bold", cls: "panel-title"),
            Text(PanelWidth - 14, 20, panel.Metric.LowerIsBetter ? "lower is better" : "higher is better", 10, MutedColour, anchor: "end"),
            new XElement(Svg + "rect", new XAttribute("class", "plot"),
                new XAttribute("x", Num(plotLeft)), new XAttribute("y", Num(plotTop)),
                new XAttribute("width", Num(plotRight - plotLeft)), new XAttribute("height", Num(plotBottom - plotTop)),
                new XAttribute("fill", "#ffffff")));

        // Grid lines and tick labels first, so the bars are drawn over them.
        var ticks = new XElement(Svg + "g", new XAttribute("class", "axis"));
        var labelEvery = axis.IsLog && axis.Ticks.Count > 8 ? 2 : 1; // keep decade labels from colliding
        for (var i = 0; i < axis.Ticks.Count; i++)
        {
            var t = axis.Ticks[i];
            var tx = X(t);
            ticks.Add(Line(tx, plotTop, tx, plotBottom + 4, GridColour, 1));
            if (i % labelEvery == 0)
            {
                ticks.Add(Text(tx, plotBottom + 16, axis.IsLog ? DecadeLabel(t) : ReportWriter.Fmt(t), 10, MutedColour, anchor: "middle"));
            }
        }
        ticks.Add(Line(plotLeft, plotBottom, plotRight, plotBottom, "#999999", 1));
        g.Add(ticks);

        var baseline = axis.IsLog ? axis.Min : Math.Clamp(0, axis.Min, axis.Max);
        for (var i = 0; i < panel.Rows.Count; i++)
        {
            var row = panel.Rows[i];
            var r = row.Result;
            var cy = plotTop + (i + 0.5) * RowHeight;
            var isFloor = row.Draft is null;
            var colour = isFloor ? FloorColour : colours[row.Technology];
            var rowGroup = new XElement(Svg + "g",
                new XAttribute("class", isFloor ? "row floor" : "row"),
                new XAttribute("data-technology", row.Technology),
                new XAttribute("data-variant", row.Variant),
                new XElement(Svg + "title", $"{row.Technology} {row.Variant}: median {ReportWriter.Fmt(r.Median)} {r.Unit}, min {ReportWriter.Fmt(r.Min)}, max {ReportWriter.Fmt(r.Max)}, p99 {ReportWriter.Fmt(r.P99)}, {r.Runs.ToString(Inv)} runs"
                    + (row.Draft is null ? "" : $"; draft ({row.Draft.Name}): {ReportWriter.Fmt(row.DraftValue)}")),
                Text(14, cy - 2, Ellipsize(row.Technology, CharsFitting(LabelWidth - 20, 11)), 11, InkColour),
                Text(14, cy + 10, Ellipsize(row.Variant, CharsFitting(LabelWidth - 20, 9)), 9, MutedColour));

            if (double.IsFinite(r.Median))
            {
                var (a, b) = (X(baseline), X(r.Median));
                rowGroup.Add(new XElement(Svg + "rect", new XAttribute("class", "bar"),
                    new XAttribute("x", Num(Math.Min(a, b))), new XAttribute("y", Num(cy - BarHeight / 2)),
                    new XAttribute("width", Num(Math.Abs(b - a))), new XAttribute("height", Num(BarHeight)),
                    new XAttribute("fill", colour)));
            }
            if (double.IsFinite(r.Min) && double.IsFinite(r.Max))
            {
                var (lo, hi) = (X(r.Min), X(r.Max));
                rowGroup.Add(new XElement(Svg + "g", new XAttribute("class", "whisker"),
                    Line(lo, cy, hi, cy, InkColour, 1.5),
                    Line(lo, cy - 4, lo, cy + 4, InkColour, 1.5),
                    Line(hi, cy - 4, hi, cy + 4, InkColour, 1.5)));
            }
            if (row.DraftValue is { } d && double.IsFinite(d))
            {
                rowGroup.Add(Diamond(X(d), cy, 5.5, "draft"));
            }

            // Values sit in their own column right of the plot, so they never collide with bars or markers.
            var valueX = PanelWidth - 14;
            rowGroup.Add(Text(valueX, row.DraftValue is null ? cy + 4 : cy - 1, ReportWriter.Fmt(r.Median), 11, InkColour, weight: "bold", anchor: "end", cls: "value"));
            if (row.DraftValue is not null)
            {
                rowGroup.Add(Text(valueX, cy + 11, "draft " + ReportWriter.Fmt(row.DraftValue), 9, DraftColour, anchor: "end", cls: "draft-value"));
            }
            g.Add(rowGroup);
        }
        return g;
    }

    private static XElement Legend(double x, double y, bool hasFloor)
    {
        var g = new XElement(Svg + "g", new XAttribute("class", "legend"),
            new XElement(Svg + "rect",
                new XAttribute("x", Num(x)), new XAttribute("y", Num(y - 6)),
                new XAttribute("width", "26"), new XAttribute("height", "12"), new XAttribute("fill", s_palette[0])),
            Line(x - 4, y, x + 34, y, InkColour, 1.5),
            Line(x - 4, y - 4, x - 4, y + 4, InkColour, 1.5),
            Line(x + 34, y - 4, x + 34, y + 4, InkColour, 1.5),
            Text(x + 42, y + 4, "this host: median, min–max", 11, InkColour),
            Diamond(x + 220, y, 5.5, "draft"),
            Text(x + 232, y + 4, "draft (figure of the closest draft row)", 11, InkColour));
        if (hasFloor)
        {
            g.Add(new XElement(Svg + "rect",
                    new XAttribute("x", Num(x + 480)), new XAttribute("y", Num(y - 6)),
                    new XAttribute("width", "26"), new XAttribute("height", "12"), new XAttribute("fill", FloorColour)),
                Text(x + 512, y + 4, "no draft row (floor)", 11, InkColour));
        }
        return g;
    }

    /// <summary>A colour per technology that has a draft row, in order of first appearance, so reruns keep their colours.</summary>
    private static Dictionary<string, string> TechnologyColours(BenchReport report)
    {
        var colours = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var tech in report.Results.Select(r => r.Technology).Distinct())
        {
            if (DraftFigures.For(tech) is not null)
            {
                colours[tech] = s_palette[colours.Count % s_palette.Length];
            }
        }
        return colours;
    }

    private sealed class Axis
    {
        public bool IsLog { get; private init; }
        public double Min { get; private init; }
        public double Max { get; private init; }
        public IReadOnlyList<double> Ticks { get; private init; } = [];

        public double Fraction(double v) => IsLog
            ? (Math.Log10(v) - Math.Log10(Min)) / (Math.Log10(Max) - Math.Log10(Min))
            : (v - Min) / (Max - Min);

        /// <summary>From zero (or the lowest negative) to a round top, ticks in 1-2-5 steps, about five of them.</summary>
        public static Axis Linear(IReadOnlyList<double> values)
        {
            var lo = Math.Min(0, values.Count == 0 ? 0 : values.Min());
            var hi = Math.Max(0, values.Count == 0 ? 0 : values.Max());
            if (hi - lo <= 0)
            {
                hi = lo + 1; // all zero: still a usable axis
            }
            var step = NiceStep((hi - lo) / 5);
            var first = Math.Floor(lo / step);
            var last = Math.Ceiling(hi / step);
            var ticks = new List<double>();
            for (var k = first; k <= last; k++)
            {
                ticks.Add(Math.Round(k * step, 12)); // k * step, not a running sum: no drift such as 0.30000000000000004
            }
            return new Axis { IsLog = false, Min = ticks[0], Max = ticks[^1], Ticks = ticks };
        }

        /// <summary>Whole decades around the values, a tick at each power of ten.</summary>
        public static Axis Log(IReadOnlyList<double> values)
        {
            var loExp = (int)Math.Floor(Math.Log10(values.Min()));
            var hiExp = (int)Math.Ceiling(Math.Log10(values.Max()));
            if (hiExp <= loExp)
            {
                hiExp = loExp + 1;
            }
            var ticks = Enumerable.Range(loExp, hiExp - loExp + 1).Select(e => Math.Pow(10, e)).ToList();
            return new Axis { IsLog = true, Min = ticks[0], Max = ticks[^1], Ticks = ticks };
        }

        private static double NiceStep(double raw)
        {
            var magnitude = Math.Pow(10, Math.Floor(Math.Log10(raw)));
            var n = raw / magnitude;
            return (n <= 1 ? 1 : n <= 2 ? 2 : n <= 5 ? 5 : 10) * magnitude;
        }
    }

    /// <summary>1, 10, 100, 1k, 10k, 1M: short enough that neighbouring decades do not overlap.</summary>
    private static string DecadeLabel(double v) => v switch
    {
        >= 1e9 => ReportWriter.Fmt(v / 1e9) + "G",
        >= 1e6 => ReportWriter.Fmt(v / 1e6) + "M",
        >= 1e4 => ReportWriter.Fmt(v / 1e3) + "k",
        _ => ReportWriter.Fmt(v),
    };

    private static XElement Diamond(double cx, double cy, double r, string cls) =>
        new(Svg + "path",
            new XAttribute("class", cls),
            new XAttribute("d", $"M{Num(cx)},{Num(cy - r)} L{Num(cx + r)},{Num(cy)} L{Num(cx)},{Num(cy + r)} L{Num(cx - r)},{Num(cy)} Z"),
            new XAttribute("fill", DraftColour),
            new XAttribute("stroke", "#222222"),
            new XAttribute("stroke-width", "1"));

    private static XElement Line(double x1, double y1, double x2, double y2, string stroke, double width) =>
        new(Svg + "line",
            new XAttribute("x1", Num(x1)), new XAttribute("y1", Num(y1)),
            new XAttribute("x2", Num(x2)), new XAttribute("y2", Num(y2)),
            new XAttribute("stroke", stroke), new XAttribute("stroke-width", Num(width)));

    private static XElement Text(double x, double y, string text, double size, string fill,
        string? weight = null, string? anchor = null, string? cls = null)
    {
        var e = new XElement(Svg + "text", new XAttribute("x", Num(x)), new XAttribute("y", Num(y)),
            new XAttribute("font-size", Num(size)), new XAttribute("fill", fill));
        if (cls is not null)
        {
            e.Add(new XAttribute("class", cls));
        }
        if (weight is not null)
        {
            e.Add(new XAttribute("font-weight", weight));
        }
        if (anchor is not null)
        {
            e.Add(new XAttribute("text-anchor", anchor));
        }
        e.Add(text);
        return e;
    }

    /// <summary>How many characters of a sans-serif font of this size fit a width (about 0.6 em each, generously).</summary>
    private static int CharsFitting(double width, double fontSize) => Math.Max(4, (int)(width / (fontSize * 0.6)));

    private static string Ellipsize(string s, int maxChars) => s.Length <= maxChars ? s : s[..(maxChars - 1)] + "…";

    /// <summary>Coordinates to one decimal, invariant, without "-0".</summary>
    private static string Num(double v)
    {
        var r = Math.Round(v, 1, MidpointRounding.AwayFromZero);
        return r == 0 ? "0" : r.ToString("0.#", Inv);
    }

    private static string Serialize(XElement root)
    {
        // Explicit settings, not XDocument.ToString(): "\n" on every platform and a UTF-8 declaration.
        var settings = new XmlWriterSettings
        {
            Indent = true,
            IndentChars = "  ",
            NewLineChars = "\n",
            NewLineHandling = NewLineHandling.Replace,
            OmitXmlDeclaration = true,
        };
        var sb = new StringBuilder();
        sb.Append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        using (var writer = XmlWriter.Create(sb, settings))
        {
            root.Save(writer);
        }
        sb.Append('\n');
        return sb.ToString();
    }
}
