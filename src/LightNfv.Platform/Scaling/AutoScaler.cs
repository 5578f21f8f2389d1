using System.Globalization;
using LightNfv.Core.Descriptors;
using LightNfv.Core.Errors;
using LightNfv.Core.Identity;
using LightNfv.Core.Instances;
using LightNfv.Platform.Alerts;
using LightNfv.Platform.Control;
using LightNfv.Platform.Control.Admission;
using LightNfv.Platform.Monitoring;
using LightNfv.Platform.Store;
using Microsoft.Extensions.Logging;

namespace LightNfv.Platform.Scaling;

/// <summary>
/// Evaluates each VNF's spec.scaling policy after every monitoring round, like an OSM scaling group: the replicas'
/// average metric above scaleOutThreshold adds one replica (up to maxReplicas), below scaleInThreshold removes one
/// (down to minReplicas), and no two scaling actions of a VNF come closer than its cooldown. Time comes from the
/// injected <see cref="TimeProvider"/>, so tests drive cooldowns with a virtual clock.
/// </summary>
/// <remarks>
/// A scale-out the tenant's quota refuses stops there: the VNF keeps its replicas and one <c>quota.reached</c> alert is
/// raised, not one per round, until the tenant's use drops below what it was then (or a scale of the VNF succeeds).
/// </remarks>
public sealed partial class AutoScaler(PlatformStore store, InstanceMonitor monitor, VnfLifecycle lifecycle, TimeProvider time, ILogger<AutoScaler> logger,
    AlertHub? alerts = null)
{
    private readonly Dictionary<(string, string), DateTimeOffset> _lastAction = new();

    // The VNFs whose scale-out the quota refused, with the tenant's instance count then: one alert until it drops.
    private readonly Dictionary<(string Tenant, string Vnf), int> _quotaHeld = new();

    /// <summary>What the policy decided for one VNF this round (for tests and logs).</summary>
    public sealed record Decision(string Vnf, double Value, int From, int To);

    public void Attach() => monitor.Sampled += () =>
    {
        try
        {
            Evaluate();
        }
        catch (Exception e) when (e is LightNfvException or IOException)
        {
            LogFailed(logger, e.Message);
        }
    };

    public IReadOnlyList<Decision> Evaluate()
    {
        var decisions = new List<Decision>();
        // An LCM-API operation left FAILED_TEMP or rolling back holds its VNF too, until the operator resolves it.
        var busy = store.Operations(OperationState.Processing).Concat(store.Operations(OperationState.FailedTemp)).Concat(store.Operations(OperationState.RollingBack))
            .Where(o => o.Kind != OperationKinds.Heal).Select(o => (o.Tenant, o.Deployment)).ToHashSet();
        var records = store.List();
        foreach (var d in store.Deployments())
        {
            if (busy.Contains((d.Tenant, d.Name)) || store.Descriptor(d.Tenant, d.Name, d.Version) is not { } source)
            {
                continue;
            }
            var policy = DescriptorParser.Parse(source.Source).Spec.Scaling;
            if (policy is null)
            {
                continue;
            }
            var now = time.GetUtcNow();
            lock (_lastAction)
            {
                // Cooldown also after any other change of the VNF (instantiate, a manual scale, an update).
                if ((_lastAction.TryGetValue((d.Tenant, d.Name), out var last) && now - last < policy.Cooldown) || now - d.UpdatedAt < policy.Cooldown)
                {
                    continue;
                }
            }
            var samples = records.Where(r => r.Tenant == d.Tenant && r.Deployment == d.Name && r.State == InstanceState.Running)
                .Select(r => monitor.Latest(r.Id)).OfType<MetricSample>().ToList();
            if (samples.Count == 0)
            {
                continue;
            }
            var value = samples.Average(s => policy.Metric switch
            {
                ScalingMetric.Cpu => s.CpuPercent,
                ScalingMetric.Memory => s.MemoryPercent,
                _ => s.PacketRate,
            });
            var target = d.Replicas;
            if (d.Replicas < policy.MinReplicas)
            {
                target = policy.MinReplicas;
            }
            else if (d.Replicas > policy.MaxReplicas)
            {
                target = policy.MaxReplicas;
            }
            else if (value > policy.ScaleOutThreshold && d.Replicas < policy.MaxReplicas)
            {
                target = d.Replicas + 1;
            }
            else if (value < policy.ScaleInThreshold && d.Replicas > policy.MinReplicas)
            {
                target = d.Replicas - 1;
            }
            if (value > policy.ScaleOutThreshold && d.Replicas >= policy.MaxReplicas)
            {
                LogAtMax(logger, d.Name, policy.MaxReplicas);
            }
            if (target == d.Replicas)
            {
                continue;
            }
            var why = $"{policy.Metric.ToString().ToLowerInvariant()} {value.ToString("0.#", CultureInfo.InvariantCulture)} {(target > d.Replicas ? ">" : "<")} {(target > d.Replicas ? policy.ScaleOutThreshold : policy.ScaleInThreshold).ToString(CultureInfo.InvariantCulture)}";
            try
            {
                using (Caller.Use(Caller.System("scale")))
                {
                    lifecycle.Scale(d.Tenant, d.Name, target, why); // audited as vnf.scale by system:scale
                }
            }
            catch (QuotaExceededException e)
            {
                QuotaReached(d, e.Refusal);
                continue;
            }
            lock (_quotaHeld)
            {
                _quotaHeld.Remove((d.Tenant, d.Name));
            }
            lock (_lastAction)
            {
                _lastAction[(d.Tenant, d.Name)] = now;
            }
            LogScaled(logger, d.Name, d.Replicas, target, why);
            decisions.Add(new Decision(d.Name, value, d.Replicas, target));
        }
        return decisions;
    }

    private void QuotaReached(Deployment d, QuotaRefusal refusal)
    {
        var used = store.Usage(d.Tenant).Instances;
        lock (_quotaHeld)
        {
            if (_quotaHeld.TryGetValue((d.Tenant, d.Name), out var then) && used >= then)
            {
                return; // already said, and nothing was freed since
            }
            _quotaHeld[(d.Tenant, d.Name)] = used;
        }
        LogQuota(logger, d.Name, refusal.Message);
        alerts?.Raise(AlertKinds.QuotaReached, d.Tenant, d.Name, null, $"scaling policy of VNF '{d.Name}' stopped at {d.Replicas} replica(s): {refusal.Message}",
            data: new { resource = refusal.Resource, limit = refusal.Limit, used = refusal.Used, needed = refusal.Needed });
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "policy cannot scale {Vnf} out: {Reason}")]
    private static partial void LogQuota(ILogger logger, string vnf, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "policy scales {Vnf} from {From} to {To} replica(s): {Why}")]
    private static partial void LogScaled(ILogger logger, string vnf, int from, int to, string why);

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Vnf} is above its scale-out threshold at maxReplicas {Max}")]
    private static partial void LogAtMax(ILogger logger, string vnf, int max);

    [LoggerMessage(Level = LogLevel.Warning, Message = "scaling policy evaluation failed: {Reason}")]
    private static partial void LogFailed(ILogger logger, string reason);
}
