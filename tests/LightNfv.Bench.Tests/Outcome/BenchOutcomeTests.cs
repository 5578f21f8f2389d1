using System.Text.Json;
using LightNfv.Bench.Reports;
using LightNfv.Bench.Tests.Reports;

namespace LightNfv.Bench.Tests.Outcome;

/// <summary>
/// A bench that survives (issue 12): exit 0 whenever anything was measured, with one line naming what failed; non-zero
/// only when nothing could be; a failed technology in every output with the stage and the reason.
/// </summary>
public sealed class BenchOutcomeTests
{
    private static readonly MetricResult Floor = new("floor", "bare-fork-exec", Metrics.ReadyMs, "ms", 13, 12, 15, 15, 5, [13, 12, 15, 13, 14], "floor");
    private static readonly MetricResult Process = new("process", "cold", Metrics.InstantiationMs, "ms", 14, 12, 16, 16, 5, [14, 12, 16, 14, 15], "process");

    private const string DebootstrapError = "debootstrap failed (exit 1): E: Failed getting release file http://127.0.0.1:9/debian/dists/bookworm/Release | x";

    private static BenchReport Report(IReadOnlyList<MetricResult> results, params Unavailable[] missing) => new(Fixtures.Host, results, missing);

    private static Unavailable FailedVm => new("standardvm", DebootstrapError) { FailedIn = "preparation" };

    [Fact]
    public void One_failed_technology_beside_a_measured_one_exits_0_with_a_one_line_summary()
    {
        var report = Report([Floor, Process], FailedVm, new Unavailable("unikernel", "/dev/kvm is missing"));
        BenchOutcome.ExitCode(report).ShouldBe(0);
        var summary = BenchOutcome.Summary(report);
        summary.ShouldNotBeNull();
        summary.ShouldNotContain('\n');
        summary.ShouldContain("measured process");
        summary.ShouldContain("standardvm in preparation: " + DebootstrapError);
        // Unavailable on this host is the probe's answer, not a failure of the run.
        summary.ShouldNotContain("unikernel");
    }

    [Fact]
    public void Nothing_failed_means_no_summary_and_exit_0()
    {
        var report = Report([Floor, Process], new Unavailable("unikernel", "/dev/kvm is missing"));
        BenchOutcome.ExitCode(report).ShouldBe(0);
        BenchOutcome.Summary(report).ShouldBeNull();
    }

    [Fact]
    public void Nothing_measured_exits_non_zero_and_says_why_even_if_the_floor_was()
    {
        var failedOnly = Report([Floor], FailedVm);
        BenchOutcome.ExitCode(failedOnly).ShouldNotBe(0);
        BenchOutcome.Summary(failedOnly)!.ShouldContain("nothing could be measured: standardvm failed in preparation: debootstrap failed");

        var unavailableOnly = Report([], new Unavailable("unikernel", "/dev/kvm is missing"));
        BenchOutcome.ExitCode(unavailableOnly).ShouldNotBe(0);
        BenchOutcome.Summary(unavailableOnly)!.ShouldContain("unikernel not available on this host: /dev/kvm is missing");
    }

    [Fact]
    public void A_failed_technology_is_in_the_json_the_markdown_and_the_svg_with_its_stage_and_reason()
    {
        var report = Report([Floor, Process], FailedVm, new Unavailable("unikernel", "/dev/kvm is missing"));

        var json = ReportWriter.Json(report);
        using (var doc = JsonDocument.Parse(json))
        {
            var entries = doc.RootElement.GetProperty("unavailable").EnumerateArray().ToList();
            var vm = entries.Single(e => e.GetProperty("technology").GetString() == "standardvm");
            vm.GetProperty("failed_in").GetString().ShouldBe("preparation");
            vm.GetProperty("reason").GetString().ShouldBe(DebootstrapError);
            // An unavailable one keeps the old shape: no failed_in key.
            entries.Single(e => e.GetProperty("technology").GetString() == "unikernel").TryGetProperty("failed_in", out _).ShouldBeFalse();
        }
        ReportWriter.ReadJson(json).Unavailable.Single(u => u.Technology == "standardvm").FailedIn.ShouldBe("preparation");

        var md = ReportWriter.Markdown(report);
        // The reason's own pipes are escaped: the row stays one table row.
        md.ShouldContain("| standardvm | – | standardvm.kvm | failed in preparation: debootstrap failed (exit 1): E: Failed getting release file http://127.0.0.1:9/debian/dists/bookworm/Release \\| x |");
        md.ShouldContain("| unikernel | – |");
        md.ShouldContain("not available on this host: /dev/kvm is missing |");

        var svg = SvgChart.Render(report);
        svg.ShouldContain("standardvm: failed in preparation: debootstrap failed (exit 1)");
    }
}
