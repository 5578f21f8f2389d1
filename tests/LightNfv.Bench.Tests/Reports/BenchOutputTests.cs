using System.Xml.Linq;
using LightNfv.Bench.Experiments;
using LightNfv.Bench.Reports;

namespace LightNfv.Bench.Tests.Reports;

/// <summary>What a bench run leaves on the terminal and what `bench scale` writes, on synthetic results.</summary>
public sealed class BenchOutputTests
{
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";

    private static MetricResult R(string tech, string variant, string metric, double median) =>
        new(tech, variant, metric, "u", median, median, median, median, 5, [median], "");

    private static BenchReport ScaleReport() => new(Fixtures.Host, [], [])
    {
        Scaling =
        [
            new ScalingResult("process", "cold",
                [
                    new ScalingPoint(1, 3.1, 3.1, 0.8, 1.2),
                    new ScalingPoint(10, 3.4, 3.3, 0.81, 1.3) { InstantiationVsFirst = 1.097 },
                    new ScalingPoint(100, 4.2, 4.0, 0.82, 1.4) { InstantiationVsFirst = 1.354 },
                ],
                100, null, "synthetic"),
        ],
    };

    [Fact]
    public void Summary_fits_100_columns_with_one_row_per_technology_and_runtime()
    {
        var report = new BenchReport(Fixtures.Host,
            [
                R("container", "crun-cold", Metrics.InstantiationMs, 95.5), R("container", "crun-warm", Metrics.InstantiationMs, 12.3),
                R("container", "crun-cold", Metrics.TxGbps, 38.2), R("container", "crun-cold", Metrics.RxGbps, 37.1),
                R("container", "crun-cold", Metrics.RttMs, 0.041), R("container", "crun-cold", Metrics.ImageMb, 6.4), R("container", "crun-cold", Metrics.MemoryMb, 1.9),
                R("a-technology-with-a-very-long-name", "cold", Metrics.InstantiationMs, 1234.5),
            ],
            [new Unavailable("microvm", new string('x', 300))]);

        var lines = SummaryTable.Render(report).TrimEnd().Split('\n');

        Assert.All(lines, l => Assert.True(l.TrimEnd('\r').Length <= SummaryTable.MaxWidth, $"{l.Length} columns: {l}"));
        Assert.Equal(4, lines.Length); // header, two technologies, one unavailable
        var crun = Assert.Single(lines, l => l.StartsWith("container/crun", StringComparison.Ordinal));
        Assert.Contains("95.5", crun, StringComparison.Ordinal);
        Assert.Contains("12.3", crun, StringComparison.Ordinal);
        Assert.Contains("38.2/37.1", crun, StringComparison.Ordinal);
        Assert.Contains("faster", crun, StringComparison.Ordinal); // the draft's Docker row is slower than 95 ms
    }

    [Fact]
    public void A_technology_slower_than_the_draft_says_slower_not_a_fraction_faster()
    {
        var report = new BenchReport(Fixtures.Host, [R("standardvm", "cold", Metrics.InstantiationMs, 29880)], []);

        var vm = Assert.Single(SummaryTable.Render(report).Split('\n'), l => l.StartsWith("standardvm", StringComparison.Ordinal));

        Assert.Contains("slower", vm, StringComparison.Ordinal);
        Assert.DoesNotContain("faster", vm, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(60)]
    [InlineData(80)]
    [InlineData(120)]
    public void Plain_progress_is_one_short_line_per_phase(int width)
    {
        var printed = new List<string>();
        string? phase = null;
        var steps = Enumerable.Range(1, 50).Select(i => new BenchStep("instantiation", i, 50, $"container/crun-cold run {i}: {i * 1.5:0.00} ms, a long sample description that goes on"))
            .Concat(Enumerable.Range(1, 3).Select(i => new BenchStep("network", i, 3, $"iperf3 {i}")));
        foreach (var step in steps)
        {
            if (step.PlainLine(phase, width) is { } line)
            {
                printed.Add(line);
            }
            phase = step.Phase;
        }

        Assert.Equal(4, printed.Count); // first and last step of each phase
        Assert.All(printed, l => Assert.True(l.Length < width, $"{l.Length} >= {width}: {l}"));
        Assert.StartsWith("[instantiation 1/50] container/crun-cold", printed[0], StringComparison.Ordinal);
        Assert.NotEqual("…", printed[0]);
    }

    [Fact]
    public void Scale_markdown_has_its_rows_and_no_empty_tables()
    {
        var md = ReportWriter.Markdown(ScaleReport());

        Assert.Contains("| 1 | 3.1 | – | 3.1 | 0.8 | 1.2 |", md, StringComparison.Ordinal); // the first has no ratio to itself
        Assert.Contains("| 100 | 4.2 | 1.35x | 4 | 0.82 | 1.4 |", md, StringComparison.Ordinal);
        Assert.DoesNotContain("| technology | variant | draft row |", md, StringComparison.Ordinal);
        Assert.DoesNotContain("## Detail", md, StringComparison.Ordinal);
    }

    [Fact]
    public void Scale_svg_draws_its_curve()
    {
        var svg = XDocument.Parse(SvgChart.Render(ScaleReport()));

        var series = svg.Descendants(Svg + "polyline").ToList();
        Assert.Equal(4, series.Count); // two panels, two series each
        Assert.All(series, s => Assert.Equal(3, s.Attribute("points")!.Value.Split(' ').Length));
        Assert.Equal(12, svg.Descendants(Svg + "circle").Count());
    }
}
