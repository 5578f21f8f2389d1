using System.Net;
using LightNfv.Bench.Experiments;
using LightNfv.Bench.Reports;
using LightNfv.Core.Descriptors;

namespace LightNfv.Bench.Tests.Reports;

public sealed class NoisyReportTests
{
    private static readonly VictimSample Alone = new(10.0, 0.020, 0.050, 500);

    private static NoisyRow Beside(string aggressor, string tenant, double gbps, double p99, AggressorOutcome? outcome = null, bool pinned = false) =>
        new("process", pinned, aggressor, tenant, new VictimSample(gbps, 0.03, p99, 500), outcome)
        {
            ThroughputPercent = NoisyRatios.Percent(gbps, Alone.Gbps),
            RttP99ChangeMs = p99 - Alone.RttP99Ms,
            StoppedAtLimit = outcome?.StoppedAtLimit(AggressorKinds.TryParse(aggressor, out var k) ? k : AggressorKind.CpuBurn),
        };

    private static NoisyReport Report(params NoisyRow[] rows) => new(Fixtures.Host, NoisyExperiment.Declared, [14.5, 16.1, 16.2], [15.0, 16.0, 16.2],
        [new NoisyRow("process", false, null, NoisyRatios.Before, Alone, null), .. rows]);

    [Fact]
    public void Percent_is_of_the_alone_figure_and_null_without_one()
    {
        NoisyRatios.Percent(9.0, 10.0)!.Value.ShouldBe(90.0, 1e-9);
        NoisyRatios.Percent(12.5, 10.0)!.Value.ShouldBe(125.0, 1e-9);
        NoisyRatios.Percent(5.0, 0).ShouldBeNull();
        NoisyRatios.Percent(double.NaN, 10).ShouldBeNull();
    }

    [Fact]
    public void Ratios_are_against_the_mean_of_the_alone_rows_of_the_same_technology_and_pinning()
    {
        var rows = NoisyRatios.AgainstAlone(
        [
            new NoisyRow("process", false, null, NoisyRatios.Before, new VictimSample(10, 0.01, 0.04, 10), null),
            new NoisyRow("process", false, "cpu-burn", "other", new VictimSample(9, 0.01, 0.08, 10), null),
            new NoisyRow("process", false, "cpu-burn", "same", null, null) { Error = "x" },
            new NoisyRow("process", false, null, NoisyRatios.After, new VictimSample(12, 0.01, 0.06, 10), null),
            new NoisyRow("process", true, null, NoisyRatios.Before, new VictimSample(20, 0.01, 0.02, 10), null),
            new NoisyRow("process", true, "cpu-burn", "other", new VictimSample(19, 0.01, 0.03, 10), null),
        ]);
        rows[1].ThroughputPercent!.Value.ShouldBe(9.0 / 11 * 100, 1e-9);
        rows[1].RttP99ChangeMs!.Value.ShouldBe(0.03, 1e-9);
        rows[2].ThroughputPercent.ShouldBeNull();
        rows[0].ThroughputPercent.ShouldBeNull();
        rows[5].ThroughputPercent!.Value.ShouldBe(95.0, 1e-9);
    }

    [Fact]
    public void A_paired_row_is_the_median_of_its_pairs_ratios_not_against_the_alone_rows()
    {
        VictimSample S(double gbps, double p99 = 0.04) => new(gbps, 0.01, p99, 10);
        // Pairs drift with the host (10, 14, 8 frozen): each ratio is 90, 50 and 100 %; the median is 90 %.
        NoisyRatios.MedianRatio(NoisyRatios.Pairs([10, 9, 14, 7, 8, 8]))!.Value.ShouldBe(90.0, 1e-9);
        // A pair without a frozen figure, or with none at all, is left out; an odd last phase has no pair.
        NoisyRatios.Pairs([10, 9, 0, 5, null, 4, 6, null, 3]).ShouldBe([(10.0, 9.0)]);
        NoisyRatios.MedianRatio([]).ShouldBeNull();
        var rows = NoisyRatios.AgainstAlone(
        [
            new NoisyRow("process", false, null, NoisyRatios.Before, S(20), null),
            new NoisyRow("process", false, "cpu-burn", "other", S(9, 0.07), null) { Alone = S(10, 0.05), Pairs = 3, ThroughputPercent = 92 },
            new NoisyRow("process", false, null, NoisyRatios.After, S(20), null),
        ]);
        rows[1].ThroughputPercent!.Value.ShouldBe(92.0, 1e-9);
        rows[1].RttP99ChangeMs!.Value.ShouldBe(0.02, 1e-9);
        var md = NoisyReportWriter.Markdown(Report(rows[1]));
        md.ShouldContain("| cpu-burn | other | 3 | 10.00 | 9.00 | 92.00 % |");
    }

    [Fact]
    public void Pids_events_max_is_read_and_absent_counts_as_zero()
    {
        NoisyRatios.ReadMax("max 17\n").ShouldBe(17UL);
        NoisyRatios.ReadMax("max.imposed 2\nmax 3\n").ShouldBe(3UL);
        NoisyRatios.ReadMax("").ShouldBe(0UL);
    }

    [Fact]
    public void Stopped_at_limit_needs_an_oom_kill_for_the_hog_and_a_refused_fork_within_pids_max_for_the_bomb()
    {
        new AggressorOutcome("process", "running", 3, 0, 2, 64, 64 << 20).StoppedAtLimit(AggressorKind.MemoryHog).ShouldBe(true);
        new AggressorOutcome("process", "running", 0, 0, 2, 64, 64 << 20).StoppedAtLimit(AggressorKind.MemoryHog).ShouldBe(false);
        new AggressorOutcome("process", "running", 0, 40, 64, 64, null).StoppedAtLimit(AggressorKind.ForkBomb).ShouldBe(true);
        new AggressorOutcome("process", "running", 0, 0, 64, 64, null).StoppedAtLimit(AggressorKind.ForkBomb).ShouldBe(false);
        new AggressorOutcome("process", "running", 0, 9, 65, 64, null).StoppedAtLimit(AggressorKind.ForkBomb).ShouldBe(false);
        new AggressorOutcome("process", "running", 0, 0, 1, 64, null).StoppedAtLimit(AggressorKind.CpuBurn).ShouldBeNull();
    }

    [Fact]
    public void The_90_percent_verdict_looks_at_every_other_tenant_row_and_only_those()
    {
        var rows = new[] { Beside("cpu-burn", "same", 5.0, 0.1), Beside("cpu-burn", "other", 9.5, 0.06), Beside("fork-bomb", "other", 9.0, 0.06) };
        NoisyRatios.OtherTenantKeeps(rows, "process", false).ShouldBeTrue();
        NoisyRatios.OtherTenantKeeps([.. rows, Beside("memory-hog", "other", 8.9, 0.06)], "process", false).ShouldBeFalse();
        // A failed row (no figure) does not count as kept.
        NoisyRatios.OtherTenantKeeps([.. rows, new NoisyRow("process", false, "packet-flood", "other", null, null) { Error = "x" }], "process", false).ShouldBeFalse();
        // Rows of the other pinning are not this group's.
        NoisyRatios.OtherTenantKeeps([.. rows, Beside("memory-hog", "other", 1, 0.06, pinned: true)], "process", false).ShouldBeTrue();
    }

    [Fact]
    public void Markdown_has_the_host_and_load_lines_and_one_row_per_measurement()
    {
        var md = NoisyReportWriter.Markdown(Report(
            Beside("memory-hog", "same", 7.0, 0.08, new AggressorOutcome("process", "running", 4, 0, 3, 64, 64 << 20)),
            Beside("fork-bomb", "other", 9.6, 0.04, new AggressorOutcome("container", "running", 0, 0, 64, 64, null))));
        md.ShouldContain("Host: " + Fixtures.Host.Cpu);
        md.ShouldContain("Load average before: 14.50 16.10 16.20");
        md.ShouldContain("## process, unpinned");
        md.ShouldContain("| (alone) | – | – | – | 10.00 | – |");
        md.ShouldContain("| memory-hog | same | 0 | – | 7.00 | 70.00 % | 0.030 | 0.080 | +0.030 | process, running | 4 | 0 | 3/64 | yes |");
        md.ShouldContain("| fork-bomb | other | 0 | – | 9.60 | 96.00 % | 0.030 | 0.040 | -0.010 | container, running | 0 | 0 | 64/64 | **no** |");
        md.ShouldContain("victim keeps >= 90 % of its alone throughput: **yes**");
    }

    [Fact]
    public void Json_round_trips_with_snake_case_fields_and_the_svg_has_a_bar_per_aggressor_row()
    {
        var report = Report(Beside("cpu-burn", "other", 9.6, 0.06, new AggressorOutcome("process", "running", 0, 0, 2, 64, 64 << 20)));
        var json = NoisyReportWriter.Json(report);
        json.ShouldContain("\"throughput_percent\": 96");
        json.ShouldContain("\"load_average_before\"");
        var back = NoisyReportWriter.ReadJson(json);
        back.Rows.Count.ShouldBe(2);
        back.Rows[1].Outcome!.PidsLimit.ShouldBe(64UL);
        back.Rows[1].ThroughputPercent!.Value.ShouldBe(96.0, 1e-9);
        var svg = System.Xml.Linq.XDocument.Parse(NoisyReportWriter.Svg(report));
        svg.Descendants().Count(e => e.Name.LocalName == "rect").ShouldBe(2); // background and one bar
    }

    [Fact]
    public void Aggressors_declare_a_tenants_size_and_the_flood_targets_the_victim_only()
    {
        var victim = IPAddress.Parse("10.85.1.5");
        foreach (var kind in AggressorKinds.All)
        {
            var d = NoisyExperiment.Aggressor(Technology.Container, kind, NoisyExperiment.OtherTenant, pinned: true, victim);
            d.Metadata.Tenant.ShouldBe(NoisyExperiment.OtherTenant);
            d.Spec.Resources.Vcpus.ShouldBe(1);
            d.Spec.Resources.MemoryMiB.ShouldBe(64);
            d.Spec.Resources.Pids.ShouldBe(64);
            d.Spec.Resources.CpuSet.ShouldBe(NoisyExperiment.AggressorCpu);
            d.Spec.Technology.ShouldBe(kind == AggressorKind.PacketFlood ? Technology.Process : Technology.Container);
        }
        var flood = NoisyExperiment.Aggressor(Technology.Process, AggressorKind.PacketFlood, NoisyExperiment.VictimTenant, pinned: false, victim);
        flood.Spec.Resources.CpuSet.ShouldBeNull();
        flood.Spec.App.Argv[^1].ShouldContain("(\"10.85.1.5\", 5201)");
        flood.Spec.App.Argv[^1].ShouldContain($"n < {NoisyExperiment.MaxPackets}");
    }

    [Fact]
    public void Each_phase_keeps_only_the_intervals_wholly_inside_it_after_the_settle_and_before_the_margin()
    {
        // 3 s phases, 0.5 s reports a few microseconds off the grid as iperf3 gives them.
        var intervals = Enumerable.Range(0, 12).Select(i => new LightNfv.Host.Probes.Iperf3Interval(i * 0.5 + 0.00004, (i + 1) * 0.5 + 0.00004, i < 6 ? 10 + i : 20 + i)).ToList();
        var medians = NoisyRatios.PhaseMedians(intervals, TimeSpan.FromSeconds(3), 2, TimeSpan.FromMilliseconds(500), TimeSpan.FromMilliseconds(250));
        // Phase 0 keeps 0.5-2.5 s (11, 12, 13, 14): not the first half second after the switch, not the one that ends at the next.
        medians[0]!.Value.ShouldBe(12.5, 1e-9);
        medians[1]!.Value.ShouldBe(28.5, 1e-9);
        NoisyRatios.PhaseMedians(intervals, TimeSpan.FromSeconds(3), 3, TimeSpan.FromMilliseconds(500), TimeSpan.FromMilliseconds(250))[2].ShouldBeNull("the test ended before a third phase");
        NoisyRatios.PhaseMedians([], TimeSpan.FromSeconds(3), 2, TimeSpan.Zero, TimeSpan.Zero).ShouldBe([null, null]);
    }

    [Fact]
    public void Unpinned_the_bound_is_the_cpus_an_aggressor_leaves_over_what_the_victim_and_its_load_generator_used_alone()
    {
        VictimSample Used(double cpus) => new VictimSample(15, 0.01, 0.02, 10) with { CpusUsed = cpus };
        NoisyRow[] rows =
        [
            new("process", false, null, NoisyRatios.Before, Used(1.25), null),
            new("process", false, null, NoisyRatios.After, Used(1.35), null),
            new("process", true, null, NoisyRatios.Before, Used(0.99), null),
            new("container", false, null, NoisyRatios.Before, Used(0.8), null),
        ];
        NoisyRatios.UnpinnedBound(rows, "process", hostCpus: 2)!.Value.ShouldBe(1 / 1.3 * 100, 1e-9);
        NoisyRatios.UnpinnedBound(rows, "container", hostCpus: 2)!.Value.ShouldBe(100, 1e-9, "a pair that used less than what is left can keep it all");
        NoisyRatios.UnpinnedBound(rows, "process", hostCpus: 4)!.Value.ShouldBe(100, 1e-9);
        NoisyRatios.UnpinnedBound([new("docker", false, null, NoisyRatios.Before, new VictimSample(15, 0.01, 0.02, 10), null)], "docker", 2).ShouldBeNull();

        var md = NoisyReportWriter.Markdown(Report(rows[0], rows[1], new NoisyRow("process", false, "cpu-burn", "other", Used(1), null) { ThroughputPercent = 77 }));
        md.ShouldContain("Alone, the victim and the lab's load generator used 1.30 CPUs of the host's");
        md.ShouldContain("so the pair keeps at most 77 % of alone");
    }
}
