using System.Globalization;
using System.Xml.Linq;
using LightNfv.Bench.Experiments;

namespace LightNfv.Bench.Reports;

/// <summary>
/// The SVG of a `bench scale` run: two line panels over the instance count, the k-th instance's instantiation time
/// (and the median of the last 10) and the memory per instance (cgroups and host). The main chart only draws
/// per-technology metrics, which a scale run has none of, so without this the file had a header and no data.
/// </summary>
public static class ScalingChart
{
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    private static readonly string[] s_palette = ["#4e79a7", "#f28e2b", "#59a14f", "#b07aa1"];
    private const double Width = 1000, PanelWidth = 480, PanelHeight = 300, Top = 70, Left = 60;

    public static string Render(BenchReport report)
    {
        var curves = report.Scaling ?? [];
        var root = new XElement(Svg + "svg",
            new XAttribute("width", Num(Width)), new XAttribute("height", Num(Top + PanelHeight + 60)),
            new XAttribute("viewBox", $"0 0 {Num(Width)} {Num(Top + PanelHeight + 60)}"), new XAttribute("font-family", "sans-serif"),
            new XElement(Svg + "title", "LightNFV density: instantiation and memory per instance over the instance count"),
            new XElement(Svg + "rect", new XAttribute("width", "100%"), new XAttribute("height", "100%"), new XAttribute("fill", "#ffffff")),
            Text(16, 26, "LightNFV density (bench scale)", 18, "bold"),
            Text(16, 46, string.Join("; ", curves.Select(c => $"{c.Technology} ({c.Variant}): {c.InstancesStarted} started{(c.StoppedEarly is null ? "" : ", " + c.StoppedEarly)}")), 12, "normal"));
        root.Add(Panel(curves, 0, "Instantiation (ms)",
            [("k-th instance", p => p.InstantiationMs), ("median of last 10", p => p.InstantiationMsMedianLast10)]));
        root.Add(Panel(curves, 500, "Memory per instance (MB)",
            [("cgroups", p => p.MemoryMbPerInstance), ("host MemAvailable drop", p => p.HostMemoryMbPerInstance)]));
        return new XDocument(root).ToString();
    }

    private static XElement Panel(IReadOnlyList<ScalingResult> curves, double x0, string title, (string Name, Func<ScalingPoint, double> Value)[] series)
    {
        var g = new XElement(Svg + "g", new XAttribute("class", "panel"));
        g.Add(Text(x0 + Left, Top - 6, title, 13, "bold"));
        var points = curves.SelectMany(c => c.Points).ToList();
        double plotW = PanelWidth - Left - 10, plotH = PanelHeight - 40;
        g.Add(new XElement(Svg + "rect", new XAttribute("x", Num(x0 + Left)), new XAttribute("y", Num(Top)), new XAttribute("width", Num(plotW)),
            new XAttribute("height", Num(plotH)), new XAttribute("fill", "none"), new XAttribute("stroke", "#cccccc")));
        if (points.Count == 0)
        {
            g.Add(Text(x0 + Left + 10, Top + plotH / 2, "no checkpoint reached", 12, "normal"));
            return g;
        }
        var maxX = Math.Max(1, points.Max(p => p.Count));
        var maxY = Math.Max(1e-9, series.SelectMany(s => points.Select(s.Value)).Where(double.IsFinite).DefaultIfEmpty(1).Max()) * 1.1;
        double X(double c) => x0 + Left + c / maxX * plotW;
        double Y(double v) => Top + plotH - Math.Max(0, v) / maxY * plotH;
        g.Add(Text(x0 + Left - 4, Top + 10, ReportWriter.Fmt(maxY), 10, "normal", "end"));
        g.Add(Text(x0 + Left - 4, Top + plotH, "0", 10, "normal", "end"));
        g.Add(Text(x0 + Left + plotW, Top + plotH + 16, $"{maxX.ToString(Inv)} instances", 10, "normal", "end"));
        var colour = 0;
        foreach (var curve in curves)
        {
            foreach (var (name, value) in series)
            {
                var fill = s_palette[colour++ % s_palette.Length];
                var ordered = curve.Points.OrderBy(p => p.Count).ToList();
                g.Add(new XElement(Svg + "polyline", new XAttribute("class", "series"), new XAttribute("data-series", name),
                    new XAttribute("points", string.Join(' ', ordered.Select(p => $"{Num(X(p.Count))},{Num(Y(value(p)))}"))),
                    new XAttribute("fill", "none"), new XAttribute("stroke", fill), new XAttribute("stroke-width", "2")));
                foreach (var p in ordered)
                {
                    g.Add(new XElement(Svg + "circle", new XAttribute("cx", Num(X(p.Count))), new XAttribute("cy", Num(Y(value(p)))), new XAttribute("r", "3"),
                        new XAttribute("fill", fill), new XElement(Svg + "title", $"{curve.Technology} {name}, {p.Count.ToString(Inv)} instances: {ReportWriter.Fmt(value(p))}")));
                }
                g.Add(Text(x0 + Left + 8, Top + PanelHeight - 20 + (colour - 1) % series.Length * 14, $"{curve.Technology}: {name}", 11, "normal", fill: fill));
            }
        }
        return g;
    }

    private static XElement Text(double x, double y, string text, double size, string weight, string anchor = "start", string fill = "#333333") =>
        new(Svg + "text", new XAttribute("x", Num(x)), new XAttribute("y", Num(y)), new XAttribute("font-size", Num(size)),
            new XAttribute("font-weight", weight), new XAttribute("text-anchor", anchor), new XAttribute("fill", fill), text);

    private static string Num(double v) => Math.Round(v, 2).ToString(Inv);
}
