using System.Globalization;
using System.Text.RegularExpressions;
using LightNfv.Backends;
using LightNfv.Core.Descriptors;
using LightNfv.Core.Errors;
using LightNfv.Core.Instances;
using LightNfv.Platform.Control.Operations;
using LightNfv.Platform.Store;

namespace LightNfv.Platform.Control;

/// <summary>Where an operation stands after a reconcile pass.</summary>
public readonly record struct OperationVerdict(OperationState State, string? Error)
{
    public static OperationVerdict Pending => new(OperationState.Processing, null);
}

/// <summary>
/// How long each lifecycle operation may stay processing. An operation that cannot progress (a replica that never
/// answers, one left failed by its heal budget, a backend that hangs) is failed with what is missing once its bound
/// passes, so it no longer holds the VNF's other operations at 409. The default bound grows with the work:
/// 30 s plus, per replica to start or stop, the technology's start time and one liveness probe budget
/// (interval x failureThreshold + timeout). <see cref="Overrides"/> (LIGHTNFV_OPERATION_TIMEOUT, e.g. "90s" or
/// "scale=60s,update=10m") replaces the default per kind.
/// </summary>
public sealed partial class OperationBounds
{
    public static readonly TimeSpan Base = TimeSpan.FromSeconds(30);

    /// <summary>Bounds set by the operator, by operation kind ("*" for every kind).</summary>
    public IReadOnlyDictionary<string, TimeSpan> Overrides { get; init; } = new Dictionary<string, TimeSpan>();

    /// <summary>
    /// Time to start one replica of a technology, as its backend's profile says (generous for this machine kind: a
    /// process or container starts in tens of ms, a VM boots under TCG in seconds).
    /// </summary>
    public static TimeSpan StartTime(Technology t) => BackendRegistry.ProfileOf(t).StartBound;

    /// <summary>Time a probe takes to call a replica dead: interval x failureThreshold + one timeout.</summary>
    public static TimeSpan ProbeBudget(HealthSpec health) => health.Interval * health.FailureThreshold + health.Timeout;

    /// <summary>
    /// The bound of <paramref name="op"/> on a VNF of <paramref name="technology"/> with <paramref name="health"/>,
    /// which wants <paramref name="desiredReplicas"/> and has <paramref name="currentReplicas"/>.
    /// </summary>
    public TimeSpan For(OperationRecord op, Technology technology, HealthSpec health, int desiredReplicas, int currentReplicas)
    {
        if (Overrides.TryGetValue(op.Kind, out var set) || Overrides.TryGetValue("*", out set))
        {
            return set;
        }
        var replicas = OperationParameters.Of(op) switch
        {
            InstantiateParameters i => i.Replicas ?? 0,
            // A scale also replaces the replicas its VNF had left failed: one more for slack.
            ScaleParameters s => Math.Abs((s.Replicas ?? 0) - (s.PreviousReplicas ?? 0)) + 1,
            TerminateParameters => currentReplicas,
            // Update and rollback are rolling: every replica is made new, and each must answer before an old one goes.
            _ => desiredReplicas,
        };
        return Base + Math.Max(1, replicas) * (StartTime(technology) + ProbeBudget(health));
    }

    /// <summary>
    /// Decides a non-heal operation from what the store holds now: completed when the VNF has converged (every
    /// replica running the desired version, as many as desired; terminate: none left), failed at once when a replica
    /// made for it is left failed (it cannot progress), failed when its bound passed, else still processing.
    /// </summary>
    public static OperationVerdict Evaluate(OperationRecord op, Deployment? desired, IReadOnlyList<InstanceRecord> replicas, DateTimeOffset now, TimeSpan bound)
    {
        if (op.Kind == OperationKinds.Terminate)
        {
            if (desired is null && replicas.Count == 0)
            {
                return new(OperationState.Completed, null);
            }
        }
        else if (desired is not null && replicas.Count == desired.Replicas &&
                 replicas.All(r => r.Version == desired.Version && r.State == InstanceState.Running))
        {
            return new(OperationState.Completed, null);
        }
        if (op.Kind != OperationKinds.Terminate &&
            replicas.FirstOrDefault(r => r.State == InstanceState.Failed && r.CreatedAt >= op.CreatedAt) is { } failed)
        {
            return new(OperationState.Failed, $"replica {failed.Name} ({failed.Id}) made for this {op.Kind} is failed: {failed.Error ?? "no reason recorded"}; " +
                "the platform keeps the desired state; heal it, or scale or update again to replace it");
        }
        if (now - op.CreatedAt < bound)
        {
            return OperationVerdict.Pending;
        }
        var running = replicas.Count(r => r.State == InstanceState.Running && (desired is null || r.Version == desired.Version));
        var others = string.Join(", ", replicas.Where(r => r.State != InstanceState.Running || (desired is not null && r.Version != desired.Version))
            .Select(r => $"{r.Name} {r.State.ToString().ToLowerInvariant()}{(r.Error is { } e ? $" ({e})" : "")}"));
        var want = op.Kind == OperationKinds.Terminate ? "0 replicas" : $"{desired?.Replicas ?? 0} running replica(s) of version {desired?.Version}";
        return new(OperationState.Failed, $"{op.Kind} did not complete within {Text(bound)}: wanted {want}, have {running} running" +
            (others.Length > 0 ? $"; {others}" : "") + "; the platform keeps converging toward the desired state");
    }

    /// <summary>Parses LIGHTNFV_OPERATION_TIMEOUT: "DURATION" for every kind, or "KIND=DURATION,..." (durations 1s to 24h).</summary>
    public static OperationBounds Parse(string? text)
    {
        var overrides = new Dictionary<string, TimeSpan>(StringComparer.Ordinal);
        if (string.IsNullOrWhiteSpace(text))
        {
            return new OperationBounds();
        }
        string[] kinds = [OperationKinds.Instantiate, OperationKinds.Scale, OperationKinds.Update, OperationKinds.Terminate, OperationKinds.Rollback];
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var eq = part.IndexOf('=', StringComparison.Ordinal);
            var kind = eq < 0 ? "*" : part[..eq].Trim();
            var value = eq < 0 ? part : part[(eq + 1)..].Trim();
            if (kind != "*" && !kinds.Contains(kind))
            {
                throw new LightNfvException(ErrorKind.Invalid, $"LIGHTNFV_OPERATION_TIMEOUT: '{kind}' is not an operation kind; use one of {string.Join(", ", kinds)} (e.g. scale=60s), or one duration for all");
            }
            overrides[kind] = ParseDuration(value) ?? throw new LightNfvException(ErrorKind.Invalid,
                $"LIGHTNFV_OPERATION_TIMEOUT: '{value}' is not a duration from 1s to 24h; write e.g. 90s, 5m or 1h");
        }
        return new OperationBounds { Overrides = overrides };
    }

    [GeneratedRegex(@"^(?<n>\d+)(?<unit>ms|s|m|h)$")]
    private static partial Regex Duration();

    private static TimeSpan? ParseDuration(string text)
    {
        var m = Duration().Match(text);
        // More than 10^9 of any unit is out of range anyway; refusing it first keeps TimeSpan from overflowing.
        if (!m.Success || !long.TryParse(m.Groups["n"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n > 1_000_000_000)
        {
            return null;
        }
        var t = m.Groups["unit"].Value switch
        {
            "ms" => TimeSpan.FromMilliseconds(n),
            "s" => TimeSpan.FromSeconds(n),
            "m" => TimeSpan.FromMinutes(n),
            _ => TimeSpan.FromHours(n),
        };
        return t >= TimeSpan.FromSeconds(1) && t <= TimeSpan.FromHours(24) ? t : null;
    }

    private static string Text(TimeSpan t) => t.TotalMinutes >= 2
        ? string.Create(CultureInfo.InvariantCulture, $"{t.TotalMinutes:0.#} min")
        : string.Create(CultureInfo.InvariantCulture, $"{t.TotalSeconds:0} s");
}
