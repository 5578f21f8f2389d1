using System.Collections.Concurrent;
using LightNfv.Core.Descriptors;
using LightNfv.Core.Errors;
using LightNfv.Core.Identity;
using LightNfv.Core.Instances;
using LightNfv.Platform.Monitoring;
using LightNfv.Platform.Store;
using Microsoft.Extensions.Logging;

namespace LightNfv.Platform.Control.Quarantine;

/// <summary>
/// spec.security.quarantineOnSpoof under the daemon: after each monitoring round, a running instance whose descriptor
/// sets N and whose port's spoofed-frame drop counter (the latest sample's <c>SpoofedFramesDropped</c>) has reached N
/// is quarantined by the API's path (<see cref="Reconciler.QuarantineAsync(InstanceRecord, string?, CancellationToken)"/>),
/// as <c>system:quarantine</c>, with the counter and the threshold in its event, alert and audit record.
/// </summary>
/// <remarks>
/// Once per crossing: the count at an attempt becomes the replica's baseline, so a refused quarantine is not retried
/// each round, and a replica released by an operator is quarantined again only after N more spoofed frames.
/// </remarks>
public sealed partial class SpoofQuarantine(PlatformStore store, InstanceMonitor monitor, Reconciler reconciler, ILogger<SpoofQuarantine> logger)
{
    /// <summary>The actor its quarantines are audited as.</summary>
    public static Caller Actor { get; } = Caller.System("quarantine");

    private readonly ConcurrentDictionary<string, ulong> _baseline = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int?> _thresholds = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private Task _round = Task.CompletedTask;

    /// <summary>
    /// Evaluates after every monitoring round, off the monitor's loop (a quarantine writes nftables and the store); a
    /// round that finds the previous evaluation still running is skipped, the next one reads the counters again.
    /// </summary>
    public void Attach() => monitor.Sampled += () =>
    {
        lock (_gate)
        {
            if (_round.IsCompleted)
            {
                _round = Task.Run(() => EvaluateAsync());
            }
        }
    };

    /// <summary>The evaluation in progress, if any (the daemon waits for it before it stops the reconciler).</summary>
    public Task DrainAsync()
    {
        lock (_gate)
        {
            return _round;
        }
    }

    /// <summary>Quarantines each instance over its threshold; returns the ids quarantined.</summary>
    public async Task<IReadOnlyList<string>> EvaluateAsync(CancellationToken ct = default)
    {
        Caller.Current = Actor; // set inside this async method: undone when it returns
        var records = store.List();
        foreach (var id in _baseline.Keys.Where(id => records.All(r => r.Id != id)).ToList())
        {
            _baseline.TryRemove(id, out _);
        }
        var quarantined = new List<string>();
        foreach (var r in records.Where(r => r.State == InstanceState.Running))
        {
            if (ThresholdOf(r.Descriptor) is not { } threshold || monitor.Latest(r.Id)?.Stats.SpoofedFramesDropped is not { } dropped)
            {
                continue;
            }
            var from = _baseline.GetValueOrDefault(r.Id);
            if (dropped < from)
            {
                from = 0; // a new port (restarted in place) counts from zero again
                _baseline[r.Id] = 0;
            }
            if (dropped - from < (ulong)threshold)
            {
                continue;
            }
            _baseline[r.Id] = dropped;
            var cause = $"its port dropped {dropped} spoofed frame(s) (spoofedFramesDropped), at or above spec.security.quarantineOnSpoof: {threshold}";
            try
            {
                await reconciler.QuarantineAsync(r, cause, ct).ConfigureAwait(false);
                quarantined.Add(r.Id);
                LogQuarantined(logger, r.Name, dropped, threshold);
            }
            catch (LightNfvException e)
            {
                // Refused (e.g. a KVM unikernel guest, or no longer running): audited as failed by the path; not retried.
                LogRefused(logger, r.Name, dropped, threshold, e.Message);
            }
        }
        return quarantined;
    }

    private int? ThresholdOf(string descriptor) => _thresholds.GetOrAdd(descriptor, d =>
    {
        try
        {
            return DescriptorParser.Parse(d).Spec.Security?.QuarantineOnSpoof;
        }
        catch (LightNfvException)
        {
            return null;
        }
    });

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Name} quarantined: {Dropped} spoofed frame(s) dropped, threshold {Threshold}")]
    private static partial void LogQuarantined(ILogger logger, string name, ulong dropped, int threshold);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Name} dropped {Dropped} spoofed frame(s) (threshold {Threshold}) but its quarantine was refused: {Reason}")]
    private static partial void LogRefused(ILogger logger, string name, ulong dropped, int threshold, string reason);
}
