using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Xml.Linq;
using LightNfv.Bench.Experiments;

namespace LightNfv.Bench.Reports;

/// <summary>The `bench noisy` run: host line, what the aggressors declared, the host's load, every row.</summary>
public sealed record NoisyReport(HostDescription Host, string Declared, IReadOnlyList<double> LoadAverageBefore, IReadOnlyList<double> LoadAverageAfter,
    IReadOnlyList<NoisyRow> Rows);

/// <summary>Writes noisy.json (every row), noisy.md (one table per technology) and noisy.svg (a bar per row).</summary>
public static class NoisyReportWriter
{
    private static readonly JsonSerializerOptions s_json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static string Json(NoisyReport report) => JsonSerializer.Serialize(report, s_json);

    public static NoisyReport ReadJson(string json) => JsonSerializer.Deserialize<NoisyReport>(json, s_json) ?? throw new InvalidDataException("empty noisy.json");

    public static void WriteAll(NoisyReport report, string directory)
    {
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, "noisy.json"), Json(report));
        File.WriteAllText(Path.Combine(directory, "noisy.md"), Markdown(report));
        File.WriteAllText(Path.Combine(directory, "noisy.svg"), Svg(report));
    }

    /// <summary>/proc/loadavg's three figures (the host is shared: the figures mean little without them).</summary>
    public static IReadOnlyList<double> LoadAverage(string loadavg = "/proc/loadavg") => File.Exists(loadavg)
        ? File.ReadAllText(loadavg).Split(' ').Take(3).Select(s => double.Parse(s, Inv)).ToArray()
        : [];

    public static string Markdown(NoisyReport report)
    {
        var h = report.Host;
        var sb = new StringBuilder();
        sb.AppendLine("# LightNFV noisy-neighbour benchmark");
        sb.AppendLine();
        sb.AppendLine(Inv, $"Host: {h.Cpu}, {h.Cores} cores, {h.MemoryGiB} GiB, {h.Os}, kernel {h.Kernel}, cgroups {h.Cgroups}, {h.Runtime}.  ");
        sb.AppendLine(Inv, $"Date: {h.Date.ToUniversalTime():yyyy-MM-dd HH:mm} UTC. Command: `{h.Command}`.  ");
        sb.AppendLine(Inv, $"Load average before: {string.Join(" ", report.LoadAverageBefore.Select(v => Fmt(v)))}; after: {string.Join(" ", report.LoadAverageAfter.Select(v => Fmt(v)))}.  ");
        sb.AppendLine(report.Declared + " Each aggressor row is measured in pairs within one iperf3 test: the aggressor frozen (its memory and pids held), " +
            "then running, for the measurement's seconds each, in turn; of the 0.5 s reports only those wholly inside a phase count, not the first after a switch. " +
            "'frozen Gb/s' and 'throughput Gb/s' are the medians, '% of alone' the median of the pairs' ratios; RTT from one ping flood frozen and one running, " +
            "the p99 change against the frozen one. A row without pairs (no freezer for the aggressor) is against the mean of the two alone rows (before the first aggressor, after the last).");
        sb.AppendLine();
        foreach (var group in report.Rows.GroupBy(r => (r.Technology, r.Pinned)))
        {
            var (tech, pinned) = group.Key;
            sb.AppendLine(Inv, $"## {tech}, {(pinned ? $"pinned (victim and the lab's iperf3 client on CPU {NoisyExperiment.VictimCpu}, aggressor on CPU {NoisyExperiment.AggressorCpu})" : "unpinned")}");
            sb.AppendLine();
            sb.AppendLine("| aggressor | tenant | pairs | frozen Gb/s | throughput Gb/s | % of alone | RTT median ms | RTT p99 ms | p99 change ms | aggressor (tech, state) | OOM kills | pids.max hits | pids | stopped at limit |");
            sb.AppendLine("|---|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---|");
            foreach (var r in group)
            {
                var v = r.Victim;
                var o = r.Outcome;
                sb.Append(Inv, $"| {r.Aggressor ?? (r.Tenant == NoisyRatios.After ? "(alone, after)" : "(alone)")} | {(r.Aggressor is null ? "–" : r.Tenant)} | {(r.Aggressor is null ? "–" : r.Pairs.ToString(Inv))} | {(r.Alone is { } a ? Fmt(a.Gbps) : "–")} | {(v is null ? "–" : Fmt(v.Gbps))} | {(r.ThroughputPercent is { } p ? Fmt(p) + " %" : "–")} |");
                sb.Append(Inv, $" {(v is null ? "–" : Fmt(v.RttMedianMs, 3))} | {(v is null ? "–" : Fmt(v.RttP99Ms, 3))} | {(r.RttP99ChangeMs is { } c ? (c >= 0 ? "+" : "") + Fmt(c, 3) : "–")} |");
                sb.Append(Inv, $" {(o is null ? "–" : $"{o.Technology}, {o.State}")} | {(o is null ? "–" : o.OomKills.ToString(Inv))} | {(o is null ? "–" : o.PidsMaxHits.ToString(Inv))} |");
                sb.Append(Inv, $" {(o is null ? "–" : $"{o.PidsCurrent}/{(o.PidsLimit is { } l ? l.ToString(Inv) : "max")}")} | {(r.StoppedAtLimit switch { true => "yes", false => "**no**", null => "–" })} |");
                sb.AppendLine();
                if (r.Error is { } e)
                {
                    sb.AppendLine(Inv, $"| failed: {e.Replace("|", "\\|", StringComparison.Ordinal).ReplaceLineEndings(" ")} |||||||||||||");
                }
            }
            sb.AppendLine();
            sb.AppendLine(Inv, $"Other tenant, every aggressor: victim keeps >= 90 % of its alone throughput: **{(NoisyRatios.OtherTenantKeeps(group, tech, pinned) ? "yes" : "no")}**.");
            var used = group.Where(r => r.Aggressor is null && r.Victim?.CpusUsed is not null).Select(r => r.Victim!.CpusUsed!.Value).ToList();
            if (used.Count > 0)
            {
                sb.AppendLine();
                sb.Append(Inv, $"Alone, the victim and the lab's load generator used {Fmt(used.Average())} CPUs of the host's {h.Cores}");
                sb.AppendLine(pinned
                    ? $" (both on CPU {NoisyExperiment.VictimCpu}, where no aggressor runs)."
                    : $"; an aggressor that gets the {NoisyExperiment.DeclaredCpus} vCPU it declares leaves {h.Cores - NoisyExperiment.DeclaredCpus}, so the pair keeps " +
                      $"at most {Fmt(NoisyRatios.UnpinnedBound(group, tech, h.Cores) ?? 100, 0)} % of alone (more only while the aggressor gets less than it declared). Pinning reserves the victim's CPU.");
            }
            sb.AppendLine();
        }
        return sb.ToString();
    }

    private static string Fmt(double v) => Fmt(v, 2);
    private static string Fmt(double v, int digits) => v.ToString("F" + digits.ToString(Inv), Inv);

    private static readonly XNamespace Ns = "http://www.w3.org/2000/svg";

    /// <summary>One horizontal bar per aggressor row: the victim's throughput as % of alone, a line at 90 %.</summary>
    public static string Svg(NoisyReport report)
    {
        var rows = report.Rows.Where(r => r.Aggressor is not null).ToList();
        const double left = 330, barMax = 500, rowH = 18, top = 60;
        var height = top + rowH * rows.Count + 40;
        var root = new XElement(Ns + "svg", new XAttribute("width", "900"), new XAttribute("height", height.ToString(Inv)),
            new XAttribute("viewBox", $"0 0 900 {height.ToString(Inv)}"), new XAttribute("font-family", "sans-serif"),
            new XElement(Ns + "title", "Victim throughput beside each aggressor, % of alone"),
            new XElement(Ns + "rect", new XAttribute("width", "100%"), new XAttribute("height", "100%"), new XAttribute("fill", "#ffffff")),
            Text(16, 26, "Victim throughput beside each aggressor (% of alone; line at 90 %)", 16, "bold"));
        var scale = Math.Max(110, rows.Select(r => r.ThroughputPercent ?? 0).DefaultIfEmpty(0).Max());
        var x90 = left + barMax * 90 / scale;
        root.Add(new XElement(Ns + "line", new XAttribute("x1", x90.ToString("F1", Inv)), new XAttribute("x2", x90.ToString("F1", Inv)),
            new XAttribute("y1", (top - 10).ToString(Inv)), new XAttribute("y2", (top + rowH * rows.Count).ToString(Inv)), new XAttribute("stroke", "#e15759")));
        for (var i = 0; i < rows.Count; i++)
        {
            var r = rows[i];
            var y = top + i * rowH;
            var p = r.ThroughputPercent ?? 0;
            root.Add(Text(10, y + 13, $"{r.Technology}{(r.Pinned ? " pinned" : "")} {r.Aggressor} ({r.Tenant})", 12, "normal"));
            root.Add(new XElement(Ns + "rect", new XAttribute("x", left.ToString(Inv)), new XAttribute("y", (y + 2).ToString(Inv)),
                new XAttribute("width", (barMax * p / scale).ToString("F1", Inv)), new XAttribute("height", (rowH - 4).ToString(Inv)),
                new XAttribute("fill", r.Tenant == "other" ? "#4e79a7" : "#f28e2b")));
            root.Add(Text(left + barMax * p / scale + 4, y + 13, r.ThroughputPercent is null ? "failed" : $"{p.ToString("F0", Inv)} %", 11, "normal"));
        }
        return new XDocument(root).ToString();
    }

    private static XElement Text(double x, double y, string text, int size, string weight) =>
        new(Ns + "text", new XAttribute("x", x.ToString("F1", Inv)), new XAttribute("y", y.ToString("F1", Inv)), new XAttribute("font-size", size.ToString(Inv)),
            new XAttribute("font-weight", weight), text);
}
