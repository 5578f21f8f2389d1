using System.Globalization;
using System.Xml.Linq;
using LightNfv.Bench.Reports;

namespace LightNfv.Bench.Tests.Reports;

public sealed class SvgChartTests
{
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";
    private static readonly string GoldenPath = Path.Combine(AppContext.BaseDirectory, "Reports", "golden", "results.svg");

    private static readonly HostDescription Host = Fixtures.Host;

    /// <summary>
    /// Its own fixed report (not ReportWriterTests'), so the markdown fixture can change without moving this golden file:
    /// every metric, a floor row, and a technology with a different draft row.
    /// </summary>
    public static BenchReport FixedReport() => new(Host,
        [
            R("floor", "bare socket", Metrics.InstantiationMs, "ms", 0.41, 0.38, 0.52),
            R("floor", "bare socket", Metrics.ReadyMs, "ms", 0.45, 0.4, 0.6),
            R("floor", "bare socket", Metrics.TxGbps, "Gb/s", 61.2, 58.4, 63.0),
            R("floor", "bare socket", Metrics.RxGbps, "Gb/s", 60.8, 57.9, 62.1),
            R("floor", "bare socket", Metrics.RttMs, "ms", 0.011, 0.009, 0.016),
            R("process", "netns+cgroupv1", Metrics.InstantiationMs, "ms", 6.85, 6.1, 9.42),
            R("process", "netns+cgroupv1", Metrics.ReadyMs, "ms", 7.3, 6.6, 10.2),
            R("process", "netns+cgroupv1", Metrics.TxGbps, "Gb/s", 42.1, 40.2, 43.0),
            R("process", "netns+cgroupv1", Metrics.RxGbps, "Gb/s", 40.7, 38.8, 41.9),
            R("process", "netns+cgroupv1", Metrics.RttMs, "ms", 0.034, 0.028, 0.05),
            R("process", "netns+cgroupv1", Metrics.ImageMb, "MB", 1.9, 1.9, 1.9),
            R("process", "netns+cgroupv1", Metrics.MemoryMb, "MB", 0.77, 0.75, 0.81),
            R("docker", "default", Metrics.InstantiationMs, "ms", 289, 270, 351),
            R("docker", "default", Metrics.ReadyMs, "ms", 301, 280, 372),
            R("docker", "default", Metrics.TxGbps, "Gb/s", 38.5, 35.1, 40.3),
            R("docker", "default", Metrics.RxGbps, "Gb/s", 37.2, 34.0, 39.9),
            R("docker", "default", Metrics.RttMs, "ms", 0.052, 0.041, 0.08),
            R("docker", "default", Metrics.ImageMb, "MB", 5.6, 5.6, 5.6),
            R("docker", "default", Metrics.MemoryMb, "MB", 2.4, 2.2, 2.9),
            R("unikernel", "osv firecracker", Metrics.InstantiationMs, "ms", 118, 104, 160),
            R("unikernel", "osv firecracker", Metrics.ReadyMs, "ms", 131, 117, 175),
            R("unikernel", "osv firecracker", Metrics.TxGbps, "Gb/s", 18.3, 16.9, 19.4),
            R("unikernel", "osv firecracker", Metrics.RxGbps, "Gb/s", 21.7, 20.2, 22.8),
            R("unikernel", "osv firecracker", Metrics.RttMs, "ms", 0.21, 0.17, 0.33),
            R("unikernel", "osv firecracker", Metrics.ImageMb, "MB", 9.8, 9.8, 9.8),
            R("unikernel", "osv firecracker", Metrics.MemoryMb, "MB", 41.5, 40.9, 42.6),
        ],
        [
            new Unavailable("tinyx", "the tinyx backend is not implemented in this version of LightNFV"),
            new Unavailable("standardvm", "/dev/kvm is PVM and cannot boot Linux guests; qemu TCG is too slow for the bench"),
        ]);

    private static MetricResult R(string tech, string variant, string metric, string unit, double median, double min, double max) =>
        new(tech, variant, metric, unit, median, min, max, max, 5, [median, min, max], "");

    private static List<XElement> Panels(XDocument doc) =>
        doc.Descendants(Svg + "g").Where(g => (string?)g.Attribute("class") == "panel").ToList();

    private static XElement Panel(XDocument doc, string metric) =>
        Panels(doc).Single(p => (string?)p.Attribute("data-metric") == metric);

    private static string PanelTitle(XElement panel) =>
        panel.Elements(Svg + "text").Single(t => (string?)t.Attribute("class") == "panel-title").Value;

    private static double D(XElement e, string attribute) =>
        double.Parse((string)e.Attribute(attribute)!, CultureInfo.InvariantCulture);

    [Fact]
    public void Svg_parses_as_xml_with_an_svg_root()
    {
        var doc = XDocument.Parse(SvgChart.Render(FixedReport()));
        doc.Root!.Name.ShouldBe(Svg + "svg");
        D(doc.Root, "width").ShouldBe(1000);
        ((string?)doc.Root.Attribute("font-family")).ShouldBe("sans-serif");
        doc.Descendants(Svg + "script").ShouldBeEmpty();
        // The host line (cpu, cores, kernel, date) heads the chart.
        doc.Root.Elements(Svg + "text").Select(t => t.Value)
            .ShouldContain("Host: Intel(R) Xeon(R) CPU @ 2.20GHz, 2 cores, 23.5 GiB, kernel 6.18.0, 2026-11-20 14:30 UTC");
    }

    [Fact]
    public void One_panel_per_metric_present_in_report_order_of_metrics()
    {
        var doc = XDocument.Parse(SvgChart.Render(FixedReport()));
        Panels(doc).Select(p => (string?)p.Attribute("data-metric")).ShouldBe(Metrics.All.Select(m => (string?)m.Name));

        var report = ReportWriterTests.FixedReport(); // instantiation, tx and memory only
        var few = XDocument.Parse(SvgChart.Render(report));
        Panels(few).Select(p => (string?)p.Attribute("data-metric"))
            .ShouldBe([Metrics.InstantiationMs, Metrics.TxGbps, Metrics.MemoryMb]);
        // The panels sit in a two-column grid: the third starts a new row at the left.
        var translates = Panels(few).Select(p => (string)p.Attribute("transform")!).ToList();
        translates[0].ShouldStartWith("translate(0,");
        translates[1].ShouldStartWith("translate(500,");
        translates[2].ShouldStartWith("translate(0,");
    }

    [Fact]
    public void Three_orders_of_magnitude_use_a_log_scale_and_memory_a_linear_one()
    {
        var report = new BenchReport(Host,
            [
                R("process", "netns", Metrics.InstantiationMs, "ms", 3.8, 3.5, 4.2), // draft (Docker row): 1711 ms
                R("process", "netns", Metrics.MemoryMb, "MB", 0.77, 0.75, 0.81), // draft: 3.8 MB
            ],
            []);
        var doc = XDocument.Parse(SvgChart.Render(report));

        var inst = Panel(doc, Metrics.InstantiationMs);
        ((string?)inst.Attribute("data-scale")).ShouldBe("log");
        PanelTitle(inst).ShouldBe("Instantiation (ms) (log scale)");
        // Powers of ten from 1 to 10000 cover 3.5 .. 1711.
        TickLabels(inst).ShouldBe(["1", "10", "100", "1000", "10k"]);

        var mem = Panel(doc, Metrics.MemoryMb);
        ((string?)mem.Attribute("data-scale")).ShouldBe("linear");
        PanelTitle(mem).ShouldBe("Memory (MB)");
        TickLabels(mem).ShouldBe(["0", "1", "2", "3", "4"]); // 1-2-5 steps up to the draft's 3.8

        SvgChart.UsesLogScale([3.8, 1711]).ShouldBeTrue();
        SvgChart.UsesLogScale([1, 100]).ShouldBeFalse(); // exactly two orders: still linear
        SvgChart.UsesLogScale([0, 5000]).ShouldBeFalse(); // zero cannot go on a log axis
    }

    private static List<string> TickLabels(XElement panel) =>
        panel.Elements(Svg + "g").Single(g => (string?)g.Attribute("class") == "axis").Elements(Svg + "text").Select(t => t.Value).ToList();

    [Fact]
    public void Text_is_escaped()
    {
        var report = new BenchReport(Host with { Cpu = "A<B> & \"C\"" },
            [R("odd<tech>", "v&'x'", Metrics.TxGbps, "Gb/s", 1, 0.5, 2)],
            [new Unavailable("x", "needs <kvm> & \"root\"")]);
        var svg = SvgChart.Render(report);
        svg.ShouldContain("odd&lt;tech&gt;");
        svg.ShouldContain("v&amp;'x'");
        svg.ShouldNotContain("odd<tech>");
        var doc = XDocument.Parse(svg);
        var texts = doc.Descendants(Svg + "text").Select(t => t.Value).ToList();
        texts.ShouldContain("odd<tech>");
        texts.ShouldContain("v&'x'");
        texts.ShouldContain("x: needs <kvm> & \"root\"");
        texts.ShouldContain(t => t.StartsWith("Host: A<B> & \"C\", ", StringComparison.Ordinal));
    }

    [Fact]
    public void Bars_whiskers_and_draft_markers_stay_inside_the_plot()
    {
        var doc = XDocument.Parse(SvgChart.Render(FixedReport()));
        foreach (var panel in Panels(doc))
        {
            var plot = panel.Elements(Svg + "rect").Single(r => (string?)r.Attribute("class") == "plot");
            var (left, right) = (D(plot, "x"), D(plot, "x") + D(plot, "width"));
            var rows = panel.Elements(Svg + "g").Where(g => ((string?)g.Attribute("class"))?.StartsWith("row", StringComparison.Ordinal) == true).ToList();
            rows.ShouldNotBeEmpty();
            foreach (var bar in rows.SelectMany(r => r.Elements(Svg + "rect")))
            {
                D(bar, "x").ShouldBeGreaterThanOrEqualTo(left);
                (D(bar, "x") + D(bar, "width")).ShouldBeLessThanOrEqualTo(right);
            }
            foreach (var line in rows.SelectMany(r => r.Descendants(Svg + "line")))
            {
                D(line, "x1").ShouldBeInRange(left, right);
                D(line, "x2").ShouldBeInRange(left, right);
            }
        }
    }

    [Fact]
    public void Floor_rows_are_neutral_and_have_no_draft_marker()
    {
        var doc = XDocument.Parse(SvgChart.Render(FixedReport()));
        var rows = Panel(doc, Metrics.TxGbps).Elements(Svg + "g").Where(g => (string?)g.Attribute("data-technology") is not null).ToList();
        rows.Select(r => (string?)r.Attribute("data-technology")).ShouldBe(["floor", "process", "docker", "unikernel"]);

        var floor = rows[0];
        ((string?)floor.Attribute("class")).ShouldBe("row floor");
        floor.Elements(Svg + "path").ShouldBeEmpty();
        var floorFill = (string?)floor.Element(Svg + "rect")!.Attribute("fill");

        var fills = rows.Skip(1).Select(r => (string?)r.Element(Svg + "rect")!.Attribute("fill")).ToList();
        fills.ShouldNotContain(floorFill);
        fills.Distinct().Count().ShouldBe(3); // one colour per technology
        rows.Skip(1).ShouldAllBe(r => r.Elements(Svg + "path").Count(p => (string?)p.Attribute("class") == "draft") == 1);
    }

    [Fact]
    public void Render_is_deterministic()
    {
        SvgChart.Render(FixedReport()).ShouldBe(SvgChart.Render(FixedReport()));
    }

    [Fact]
    public void WriteAll_writes_the_chart()
    {
        var dir = Path.Combine(Path.GetTempPath(), "lnfv-svg-tests-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            ReportWriter.WriteAll(FixedReport(), dir);
            File.ReadAllText(Path.Combine(dir, "results.svg")).ShouldBe(SvgChart.Render(FixedReport()));
        }
        finally
        {
            if (Directory.Exists(dir))
            {
                Directory.Delete(dir, recursive: true);
            }
        }
    }

    [Fact]
    public void Svg_matches_the_golden_file()
    {
        var actual = SvgChart.Render(FixedReport()).Replace("\r\n", "\n", StringComparison.Ordinal);
        if (System.Environment.GetEnvironmentVariable("LIGHTNFV_UPDATE_GOLDEN") == "1")
        {
            // Regenerate: LIGHTNFV_UPDATE_GOLDEN=1 dotnet test tests/LightNfv.Bench.Tests, then look at the picture and the diff.
            File.WriteAllText(SourceGoldenPath(), actual);
            return;
        }
        File.Exists(GoldenPath).ShouldBeTrue($"{GoldenPath} is missing (it is copied from Reports/golden at build)");
        var expected = File.ReadAllText(GoldenPath).Replace("\r\n", "\n", StringComparison.Ordinal);
        if (actual != expected)
        {
            var actualPath = Path.Combine(AppContext.BaseDirectory, "results.actual.svg");
            File.WriteAllText(actualPath, actual);
            actual.ShouldBe(expected, $"SVG differs from the golden file; actual output written to {actualPath}");
        }
    }

    private static string SourceGoldenPath()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "LightNfv.slnx")))
            {
                return Path.Combine(dir.FullName, "tests", "LightNfv.Bench.Tests", "Reports", "golden", "results.svg");
            }
        }
        throw new InvalidOperationException("LightNfv.slnx not found above " + AppContext.BaseDirectory);
    }
}
