using System.Text.Json;
using LightNfv.Bench.Reports;

namespace LightNfv.Bench.Tests.Reports;

public sealed class ReportWriterTests
{
    private static readonly string GoldenPath = Path.Combine(AppContext.BaseDirectory, "Reports", "golden", "results.md");

    /// <summary>A report as a quick run on this machine kind would produce it, with a fixed date.</summary>
    public static BenchReport FixedReport() => new(
        Fixtures.Host,
        [
            new MetricResult("process", "netns+cgroupv1", Metrics.InstantiationMs, "ms", 6.85, 6.1, 9.42, 9.3952, 5,
                [6.85, 6.1, 7.2, 9.42, 6.5], "create call to first SYN-ACK"),
            new MetricResult("process", "netns+cgroupv1", Metrics.TxGbps, "Gb/s", 42.1, 40.2, 43.0, 42.988, 3,
                [42.1, 40.2, 43.0], "iperf3 -t 1 from the lab"),
            new MetricResult("process", "netns+cgroupv1", Metrics.MemoryMb, "MB", 0.77, 0.75, 0.81, 0.8096, 5,
                [0.77, 0.75, 0.81, 0.76, 0.78], "cgroup memory usage of the idle VNF"),
            new MetricResult("docker", "default", Metrics.InstantiationMs, "ms", 289, 270, 351, 349.8, 3,
                [289, 270, 351], "docker run -d to first SYN-ACK"),
        ],
        [
            new Unavailable("tinyx", "the tinyx backend is not implemented in this version of LightNFV"),
            new Unavailable("standardvm", "/dev/kvm is PVM and cannot boot Linux guests; qemu TCG is too slow for the bench"),
        ]);

    [Fact]
    public void Markdown_matches_the_golden_file()
    {
        var actual = Normalize(ReportWriter.Markdown(FixedReport()));
        if (System.Environment.GetEnvironmentVariable("LIGHTNFV_UPDATE_GOLDEN") == "1")
        {
            // Regenerate: LIGHTNFV_UPDATE_GOLDEN=1 dotnet test tests/LightNfv.Bench.Tests, then review the diff.
            File.WriteAllText(SourceGoldenPath(), actual);
            return;
        }
        File.Exists(GoldenPath).ShouldBeTrue($"{GoldenPath} is missing (it is copied from Reports/golden at build)");
        var expected = Normalize(File.ReadAllText(GoldenPath));
        if (actual != expected)
        {
            var actualPath = Path.Combine(AppContext.BaseDirectory, "results.actual.md");
            File.WriteAllText(actualPath, actual);
            actual.ShouldBe(expected, $"Markdown differs from the golden file; actual output written to {actualPath}");
        }
    }

    [Fact]
    public void Markdown_cells_show_this_host_the_draft_and_the_ratio()
    {
        var md = ReportWriter.Markdown(FixedReport());
        // Lower is better: draft 1711 ms (Docker row) / 6.85 ms.
        md.ShouldContain("| process | netns+cgroupv1 | Container (Docker) | **6.85** (1711; 250x) |");
        // Higher is better: 42.1 / 45.1 Gb/s.
        md.ShouldContain("**42.1** (45.1; 0.93x)");
        // Docker has no Tx or memory figure: a dash, not a zero.
        md.ShouldContain("| docker | default | Container (Docker) | **289** (1711; 5.92x) | – | – |");
        // Technologies that could not run are listed with their reason.
        md.ShouldContain("| tinyx | – | tinyx.kvm | not available on this host: the tinyx backend is not implemented in this version of LightNFV |");
        md.ShouldContain("| standardvm | – | standardvm.kvm | not available on this host: /dev/kvm is PVM");
        md.ShouldContain("Date: 2026-11-20 14:30 UTC.");
    }

    [Fact]
    public void Json_round_trips()
    {
        var report = FixedReport();
        var json = ReportWriter.Json(report);
        var back = ReportWriter.ReadJson(json);

        // Records compare lists by reference: compare those by content, the rest by value.
        back.Host.Accelerators.ShouldBe(report.Host.Accelerators);
        back.Host.ShouldBe(report.Host with { Accelerators = back.Host.Accelerators });
        back.Results.Count.ShouldBe(report.Results.Count);
        for (var i = 0; i < report.Results.Count; i++)
        {
            var (a, b) = (report.Results[i], back.Results[i]);
            b.ShouldBe(a with { Samples = b.Samples }); // every scalar field
            b.Samples.ShouldBe(a.Samples);
        }
        back.Unavailable.ShouldBe(report.Unavailable);
        ReportWriter.Json(back).ShouldBe(json);
    }

    [Fact]
    public void Json_has_the_documented_keys()
    {
        using var doc = JsonDocument.Parse(ReportWriter.Json(FixedReport()));
        var root = doc.RootElement;
        root.EnumerateObject().Select(p => p.Name).ShouldBe(["host", "results", "unavailable"]);
        var results = root.GetProperty("results").EnumerateArray().ToList();
        results.Count.ShouldBe(4);
        foreach (var r in results)
        {
            r.EnumerateObject().Select(p => p.Name).ShouldBe(
                ["technology", "variant", "metric", "unit", "median", "min", "max", "p99", "runs", "samples", "notes"]);
        }
        results[0].GetProperty("samples").GetArrayLength().ShouldBe(5);
        results[0].GetProperty("median").GetDouble().ShouldBe(6.85);
        root.GetProperty("unavailable")[0].EnumerateObject().Select(p => p.Name).ShouldBe(["technology", "reason"]);
        root.GetProperty("host").GetProperty("date").GetString().ShouldBe("2026-11-20T14:30:05+00:00");
    }

    [Fact]
    public void WriteAll_writes_both_files()
    {
        var dir = Path.Combine(Path.GetTempPath(), "lnfv-bench-tests-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            ReportWriter.WriteAll(FixedReport(), dir);
            File.ReadAllText(Path.Combine(dir, "results.md")).ShouldBe(ReportWriter.Markdown(FixedReport()));
            ReportWriter.ReadJson(File.ReadAllText(Path.Combine(dir, "results.json"))).Results.Count.ShouldBe(4);
        }
        finally
        {
            if (Directory.Exists(dir))
            {
                Directory.Delete(dir, recursive: true);
            }
        }
    }

    [Theory]
    [InlineData(1711.0, "1711")]
    [InlineData(123.4, "123")]
    [InlineData(100.0, "100")]
    [InlineData(99.94, "99.9")]
    [InlineData(45.67, "45.7")]
    [InlineData(10.0, "10")]
    [InlineData(82.0, "82")]
    [InlineData(4.567, "4.57")]
    [InlineData(3.8, "3.8")]
    [InlineData(1.0, "1")]
    [InlineData(0.4567, "0.457")]
    [InlineData(0.75, "0.75")]
    [InlineData(0.1, "0.1")]
    [InlineData(0.00034, "0.00034")]
    [InlineData(0.0026, "0.0026")]
    [InlineData(0.0034, "0.0034")]
    [InlineData(0.0, "0")]
    [InlineData(-12.34, "-12.3")]
    [InlineData(-0.5, "-0.5")]
    public void Fmt_gives_three_significant_digits_without_trailing_zeros(double value, string expected)
    {
        ReportWriter.Fmt(value).ShouldBe(expected);
    }

    [Fact]
    public void Fmt_of_nothing_is_a_dash()
    {
        ReportWriter.Fmt(null).ShouldBe("–");
    }

    [Theory]
    [InlineData(1e12)]
    [InlineData(12345678.9)]
    [InlineData(1e-7)]
    [InlineData(-3.2e-9)]
    public void Fmt_never_uses_scientific_notation(double value)
    {
        var s = ReportWriter.Fmt(value);
        s.ShouldNotContain("E");
        s.ShouldNotContain("e");
        double.Parse(s, System.Globalization.CultureInfo.InvariantCulture).ShouldBe(value, Math.Max(Math.Abs(value) * 1e-3, 1e-3));
    }

    private static string Normalize(string s) => s.Replace("\r\n", "\n", StringComparison.Ordinal);

    private static string SourceGoldenPath()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "LightNfv.slnx")))
            {
                return Path.Combine(dir.FullName, "tests", "LightNfv.Bench.Tests", "Reports", "golden", "results.md");
            }
        }
        throw new InvalidOperationException("LightNfv.slnx not found above " + AppContext.BaseDirectory);
    }
}
