using System.Text.Json.Serialization;

namespace LightNfv.Bench.Reports;

/// <summary>The machine the figures were measured on.</summary>
public sealed record HostDescription(
    [property: JsonPropertyName("cpu")] string Cpu,
    [property: JsonPropertyName("cores")] int Cores,
    [property: JsonPropertyName("memory_gib")] double MemoryGiB,
    [property: JsonPropertyName("kernel")] string Kernel,
    [property: JsonPropertyName("os")] string Os,
    [property: JsonPropertyName("accelerators")] IReadOnlyList<string> Accelerators,
    [property: JsonPropertyName("cgroups")] string Cgroups,
    [property: JsonPropertyName("tuning")] string Tuning,
    [property: JsonPropertyName("runtime")] string Runtime,
    [property: JsonPropertyName("date")] DateTimeOffset Date,
    [property: JsonPropertyName("command")] string Command);

/// <summary>One metric of one technology (and variant), with every sample kept.</summary>
public sealed record MetricResult(
    [property: JsonPropertyName("technology")] string Technology,
    [property: JsonPropertyName("variant")] string Variant,
    [property: JsonPropertyName("metric")] string Metric,
    [property: JsonPropertyName("unit")] string Unit,
    [property: JsonPropertyName("median")] double Median,
    [property: JsonPropertyName("min")] double Min,
    [property: JsonPropertyName("max")] double Max,
    [property: JsonPropertyName("p99")] double P99,
    [property: JsonPropertyName("runs")] int Runs,
    [property: JsonPropertyName("samples")] IReadOnlyList<double> Samples,
    [property: JsonPropertyName("notes")] string Notes);

/// <summary>A technology the run could not measure, and why (so it never silently vanishes from the report).</summary>
public sealed record Unavailable(
    [property: JsonPropertyName("technology")] string Technology,
    [property: JsonPropertyName("reason")] string Reason)
{
    /// <summary>Null: this host cannot run it (its probe said why). Else where it failed: "preparation" (an image or disk
    /// build, the first instance) or "measurement".</summary>
    [JsonPropertyName("failed_in")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? FailedIn { get; init; }

    /// <summary>How the report says it: "not available on this host: ..." or "failed in preparation: ...".</summary>
    [JsonIgnore]
    public string Describe => FailedIn is null ? $"not available on this host: {Reason}" : $"failed in {FailedIn}: {Reason}";
}

public sealed record BenchReport(
    [property: JsonPropertyName("host")] HostDescription Host,
    [property: JsonPropertyName("results")] IReadOnlyList<MetricResult> Results,
    [property: JsonPropertyName("unavailable")] IReadOnlyList<Unavailable> Unavailable)
{
    /// <summary>Density curves from `bench scale`; absent from a plain bench run.</summary>
    [JsonPropertyName("scaling")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<Experiments.ScalingResult>? Scaling { get; init; }
}

/// <summary>Metric names and units, as the draft reports them.</summary>
public static class Metrics
{
    public const string InstantiationMs = "instantiation_ms";
    public const string ReadyMs = "ready_ms";
    public const string TxGbps = "tx_gbps";
    public const string RxGbps = "rx_gbps";
    public const string RttMs = "rtt_ms";
    public const string ImageMb = "image_mb";
    public const string MemoryMb = "memory_mb";

    public static readonly IReadOnlyList<(string Name, string Unit, string Title, bool LowerIsBetter)> All =
    [
        (InstantiationMs, "ms", "Instantiation (ms)", true),
        (ReadyMs, "ms", "VNF ready (ms)", true),
        (TxGbps, "Gb/s", "Tx (Gb/s)", false),
        (RxGbps, "Gb/s", "Rx (Gb/s)", false),
        (RttMs, "ms", "RTT (ms)", true),
        (ImageMb, "MB", "Image (MB)", true),
        (MemoryMb, "MB", "Memory (MB)", true),
    ];
}
