using System.Globalization;
using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace LightNfv.Core.Descriptors;

/// <summary>What to do when a liveness probe fails (OSM's healing "recovery action").</summary>
public enum HealAction
{
    /// <summary>Start the workload again in place: same id, namespace, address (fastest).</summary>
    Restart,
    /// <summary>Remove the instance and make a new one from the descriptor.</summary>
    Recreate,
}

/// <summary>
/// Liveness and recovery (spec.health), in the spirit of a Kubernetes liveness probe and OSM healing: a probe run every
/// <see cref="Interval"/>; after <see cref="FailureThreshold"/> failures in a row the instance is healed with
/// <see cref="Action"/>, at most once per <see cref="Cooldown"/> and at most <see cref="Budget"/> times in
/// <see cref="BudgetWindow"/> (then it is left failed and an alert says so).
/// </summary>
public sealed record HealthSpec(
    int? TcpPort,
    TimeSpan Interval,
    TimeSpan Timeout,
    int FailureThreshold,
    HealAction Action,
    TimeSpan Cooldown,
    int Budget)
{
    public static readonly TimeSpan BudgetWindow = TimeSpan.FromMinutes(10);

    /// <summary>
    /// The mapping form of spec.health.probe ({tcp: PORT, send, expect}): the VNF itself must answer, not only its
    /// kernel. A stopped or deadlocked process still gets its handshakes completed by the kernel (the listen
    /// backlog), so a handshake alone cannot tell it from a working one; an answer (bytes, or the VNF closing the
    /// connection after the probe's half-close) can.
    /// </summary>
    public bool ProbeExpectsAnswer { get; init; }

    /// <summary>Bytes (UTF-8) the answer probe sends after connecting, before its half-close; null sends nothing.</summary>
    public string? ProbeSend { get; init; }

    /// <summary>What the answer must start with (UTF-8); null accepts any bytes or an orderly close.</summary>
    public string? ProbeExpect { get; init; }

    /// <summary>The probe as descriptors write it, for alerts and logs: tcp:PORT, tcp:PORT (answer) or process.</summary>
    public string ProbeName => TcpPort is { } port ? ProbeExpectsAnswer ? $"tcp:{port} (answer)" : $"tcp:{port}" : "process";

    /// <summary>What the daemon applies to a descriptor without spec.health: restart a dead process, no TCP probe.</summary>
    public static HealthSpec Default { get; } = new(null, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(1), 3, HealAction.Restart, TimeSpan.Zero, 10);
}

public enum ScalingMetric
{
    /// <summary>CPU use in percent of the instance's vCPUs, averaged over the replicas.</summary>
    Cpu,
    /// <summary>Memory use in percent of the instance's limit, averaged over the replicas.</summary>
    Memory,
    /// <summary>Packets per second the VNF receives and sends on its interface, averaged over the replicas.</summary>
    Rate,
}

/// <summary>An auto-scaling policy (spec.scaling), in the spirit of an OSM scaling group: thresholds, bounds, cooldown.</summary>
public sealed record ScalingSpec(ScalingMetric Metric, double ScaleOutThreshold, double ScaleInThreshold, int MinReplicas, int MaxReplicas, TimeSpan Cooldown);

/// <summary>
/// A VNF's security policy (spec.security): <see cref="QuarantineOnSpoof"/>, quarantine a replica under the daemon once
/// its lab port has dropped at least that many frames it sent with another MAC, IPv4 source or ARP sender than its own;
/// null: such frames are only dropped and counted.
/// </summary>
public sealed record SecuritySpec(int? QuarantineOnSpoof);

public static partial class DescriptorParser
{
    private static readonly string[] s_securityFields = ["quarantineOnSpoof"];

    /// <summary>Largest spec.security.quarantineOnSpoof (any count a port could reach in practice).</summary>
    public const int MaxQuarantineOnSpoof = 1_000_000_000;

    private static readonly string[] s_healthFields = ["probe", "interval", "timeout", "failureThreshold", "action", "cooldown", "budget"];
    private static readonly string[] s_answerProbeFields = ["tcp", "send", "expect"];

    /// <summary>Longest spec.health.probe.send / expect: a probe is a short request, not a payload.</summary>
    public const int MaxProbeBytes = 1024;
    private static readonly string[] s_scalingFields = ["metric", "scaleOutThreshold", "scaleInThreshold", "minReplicas", "maxReplicas", "cooldown"];
    public const int MaxReplicas = 256;

    [GeneratedRegex(@"^(?<n>\d+(\.\d+)?)(?<unit>ms|s|m|h)$")]
    private static partial Regex DurationText();

    private static HealthSpec ParseHealth(YamlMappingNode node, IReadOnlyList<int> ports)
    {
        const string path = "spec.health";
        var fields = Fields(node, path, s_healthFields);
        var d = HealthSpec.Default;
        int? tcpPort = null;
        (string? Send, string? Expect)? answer = null;
        if (fields.TryGetValue("probe", out var probeNode) && probeNode is YamlMappingNode probeMapping)
        {
            (tcpPort, var send, var expect) = ParseAnswerProbe(probeMapping);
            answer = (send, expect);
        }
        else if (OptionalString(fields, path, "probe") is { } probe)
        {
            const string probePath = "spec.health.probe";
            if (probe == "process")
            {
                tcpPort = null;
            }
            else if (probe.StartsWith("tcp:", StringComparison.Ordinal) &&
                     int.TryParse(probe.AsSpan(4), NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is >= MinPort and <= MaxPort)
            {
                tcpPort = port;
            }
            else if (probe == "tcp" && ports.Count > 0)
            {
                tcpPort = ports[0];
            }
            else
            {
                throw Error(fields["probe"], probePath, $"'{probe}' is not a probe; use 'tcp:PORT' (e.g. tcp:5201, a port from {MinPort} to {MaxPort}), 'process' (the process being alive and not stopped) or a mapping {{tcp: PORT, send: TEXT, expect: TEXT}} (the VNF must answer)");
            }
        }
        var interval = OptionalDuration(fields, path, "interval", TimeSpan.FromMilliseconds(50), TimeSpan.FromHours(1)) ?? d.Interval;
        var timeout = OptionalDuration(fields, path, "timeout", TimeSpan.FromMilliseconds(10), TimeSpan.FromMinutes(1)) ?? d.Timeout;
        var threshold = OptionalInt(fields, path, "failureThreshold", 1, 100) ?? d.FailureThreshold;
        var action = d.Action;
        if (OptionalString(fields, path, "action") is { } a)
        {
            action = a switch
            {
                "restart" => HealAction.Restart,
                "recreate" => HealAction.Recreate,
                _ => throw Error(fields["action"], "spec.health.action", $"'{a}' is not a recovery action; accepted values are restart, recreate"),
            };
        }
        var cooldown = OptionalDuration(fields, path, "cooldown", TimeSpan.Zero, TimeSpan.FromHours(24)) ?? d.Cooldown;
        var budget = OptionalInt(fields, path, "budget", 0, 10_000) ?? d.Budget;
        return new HealthSpec(tcpPort, interval, timeout, threshold, action, cooldown, budget)
        {
            ProbeExpectsAnswer = answer is not null,
            ProbeSend = answer?.Send,
            ProbeExpect = answer?.Expect,
        };
    }

    /// <summary>spec.health.probe as a mapping: {tcp: PORT, send: TEXT (optional), expect: TEXT (optional)}.</summary>
    private static (int Port, string? Send, string? Expect) ParseAnswerProbe(YamlMappingNode node)
    {
        const string path = "spec.health.probe";
        var fields = Fields(node, path, s_answerProbeFields);
        if (!fields.TryGetValue("tcp", out var portNode) || IsNull(portNode))
        {
            throw Missing(fields, node, "spec.health.probe.tcp");
        }
        var port = Integer(portNode, "spec.health.probe.tcp", MinPort, MaxPort);
        string? Text(string name)
        {
            var value = OptionalString(fields, path, name);
            if (value is null)
            {
                return null;
            }
            if (value.Length == 0 || System.Text.Encoding.UTF8.GetByteCount(value) > MaxProbeBytes)
            {
                throw Error(fields[name], $"{path}.{name}", $"must be 1 to {MaxProbeBytes} bytes of text (write \\r\\n in a double-quoted string for line ends); leave it out for {(name == "send" ? "a probe that sends nothing" : "any answer")}");
            }
            return value;
        }
        return (port, Text("send"), Text("expect"));
    }

    private static SecuritySpec ParseSecurity(YamlMappingNode node)
    {
        const string path = "spec.security";
        var fields = Fields(node, path, s_securityFields);
        // Integer's error names the field and the range; the range is the fix (a count of frames, at least one).
        return new SecuritySpec(OptionalInt(fields, path, "quarantineOnSpoof", 1, MaxQuarantineOnSpoof));
    }

    private static ScalingSpec ParseScaling(YamlMappingNode node)
    {
        const string path = "spec.scaling";
        var fields = Fields(node, path, s_scalingFields);
        var metricName = RequiredString(fields, node, path, "metric");
        var metric = metricName switch
        {
            "cpu" => ScalingMetric.Cpu,
            "memory" => ScalingMetric.Memory,
            "rate" => ScalingMetric.Rate,
            _ => throw Error(fields["metric"], "spec.scaling.metric", $"'{metricName}' is not a scaling metric; accepted values are cpu, memory, rate"),
        };
        var outT = RequiredNumber(fields, node, path, "scaleOutThreshold");
        var inT = RequiredNumber(fields, node, path, "scaleInThreshold");
        if (inT >= outT)
        {
            throw Error(fields["scaleInThreshold"], "spec.scaling.scaleInThreshold",
                $"'{RawValue(fields["scaleInThreshold"])}' must be below spec.scaling.scaleOutThreshold ({RawValue(fields["scaleOutThreshold"])}), or replicas would flap");
        }
        var min = OptionalInt(fields, path, "minReplicas", 0, MaxReplicas) ?? 1;
        var max = OptionalInt(fields, path, "maxReplicas", 1, MaxReplicas) ?? Math.Max(min, 1);
        if (max < min)
        {
            throw Error(fields["maxReplicas"], "spec.scaling.maxReplicas", $"'{max}' is below spec.scaling.minReplicas ({min}); raise it");
        }
        var cooldown = OptionalDuration(fields, path, "cooldown", TimeSpan.Zero, TimeSpan.FromHours(24)) ?? TimeSpan.FromMinutes(1);
        return new ScalingSpec(metric, outT, inT, min, max, cooldown);
    }

    private static double RequiredNumber(Dictionary<string, YamlNode> fields, YamlMappingNode parent, string path, string name)
    {
        var fieldPath = Join(path, name);
        if (!fields.TryGetValue(name, out var node) || IsNull(node))
        {
            throw Missing(fields, parent, fieldPath);
        }
        var text = Scalar(node, fieldPath, "a number");
        if (!double.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var v) || v < 0 || double.IsInfinity(v))
        {
            throw Error(node, fieldPath, $"'{text}' is not a number; expected a number of 0 or more such as 75 or 0.5");
        }
        return v;
    }

    private static TimeSpan? OptionalDuration(Dictionary<string, YamlNode> fields, string path, string name, TimeSpan min, TimeSpan max)
    {
        if (!fields.TryGetValue(name, out var node) || IsNull(node))
        {
            return null;
        }
        var fieldPath = Join(path, name);
        var text = Scalar(node, fieldPath, "a duration");
        var m = DurationText().Match(text);
        if (!m.Success)
        {
            throw Error(node, fieldPath, $"'{text}' is not a duration; write a number with a unit ms, s, m or h, such as 500ms, 2s or 1m");
        }
        var n = double.Parse(m.Groups["n"].Value, CultureInfo.InvariantCulture);
        var value = m.Groups["unit"].Value switch
        {
            "ms" => TimeSpan.FromMilliseconds(n),
            "s" => TimeSpan.FromSeconds(n),
            "m" => TimeSpan.FromMinutes(n),
            _ => TimeSpan.FromHours(n),
        };
        if (value < min || value > max)
        {
            throw Error(node, fieldPath, $"'{text}' is out of range; expected {Show(min)} to {Show(max)}");
        }
        return value;
    }

    private static string Show(TimeSpan t) =>
        t.TotalMilliseconds < 1000 ? $"{t.TotalMilliseconds:0}ms" : t.TotalSeconds < 60 ? $"{t.TotalSeconds:0.#}s" : t.TotalMinutes < 60 ? $"{t.TotalMinutes:0.#}m" : $"{t.TotalHours:0.#}h";
}
