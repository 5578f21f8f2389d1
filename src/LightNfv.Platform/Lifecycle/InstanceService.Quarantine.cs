using System.Diagnostics;
using LightNfv.Core.Errors;
using LightNfv.Core.Instances;
using LightNfv.Host.Network;
using LightNfv.Platform.Alerts;
using LightNfv.Platform.Audit;
using LightNfv.Platform.Store;

namespace LightNfv.Platform.Lifecycle;

/// <summary>
/// What a quarantine did: the record (now quarantined), how the workload was frozen, which port was cut (null for an
/// instance without one), the time from the call to frozen-and-cut, and where the call's time went.
/// </summary>
public sealed record QuarantineOutcome(InstanceRecord Record, string Freeze, string? Port, TimeSpan Elapsed)
{
    public QuarantineSteps Steps { get; init; } = new();
}

/// <summary>
/// Where a quarantine call's time went, step by step (the bench reports their medians): the wait for the instance's
/// lock, the port cut, the freeze, the store write (state, event, alert), the audit record, the service-address leave.
/// </summary>
public sealed class QuarantineSteps
{
    public TimeSpan LockWait { get; set; }
    public TimeSpan Cut { get; set; }
    public TimeSpan Freeze { get; set; }
    public TimeSpan Store { get; set; }
    public TimeSpan Audit { get; set; }
    public TimeSpan ServiceLeave { get; set; }
}

/// <summary>Raises an alert about an instance (the daemon's <see cref="AlertHub"/>, or the store alone without a daemon).</summary>
public delegate void InstanceAlert(string kind, InstanceRecord record, string message, object? data);

public sealed partial class InstanceService
{
    /// <summary>
    /// Quarantines a running instance in one call: its port is cut from its segment first (nothing leaves or reaches it
    /// from then on), then its workload is frozen by its backend (cgroup freezer, docker pause, QMP stop), memory kept.
    /// A freeze that fails rejoins the port, so a refused quarantine changes nothing. Then the record says quarantined
    /// (its VNF, if any, no longer counts it as serving), an event, an alert and an audit record are written.
    /// </summary>
    public Task<QuarantineOutcome> QuarantineAsync(InstanceRecord record, InstanceAlert? alert = null, CancellationToken cancellationToken = default) =>
        QuarantineAsync(record, alert, null, cancellationToken);

    /// <summary>
    /// As <see cref="QuarantineAsync(InstanceRecord, InstanceAlert?, CancellationToken)"/>, with why the platform did it
    /// on its own (e.g. a spec.security threshold reached): said in the event, the alert and the audit record.
    /// </summary>
    public async Task<QuarantineOutcome> QuarantineAsync(InstanceRecord record, InstanceAlert? alert, string? cause, CancellationToken cancellationToken = default)
    {
        // AuditedAsync's habit, spelled out so the audit append is timed as a step of its own.
        var steps = new QuarantineSteps();
        object parameters = cause is null ? new { id = record.Id, vnf = record.Deployment } : new { id = record.Id, vnf = record.Deployment, cause };
        QuarantineOutcome outcome;
        try
        {
            outcome = await QuarantineCoreAsync(record, alert ?? AlertInStore, cause, steps, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            store.Record(AuditActions.InstanceQuarantine, record.Tenant, $"instance/{record.Name}", parameters, e);
            throw;
        }
        var audited = Stopwatch.GetTimestamp();
        store.Record(AuditActions.InstanceQuarantine, record.Tenant, $"instance/{record.Name}", parameters, null);
        steps.Audit = Stopwatch.GetElapsedTime(audited);
        return outcome with { Steps = steps };
    }

    private async Task<QuarantineOutcome> QuarantineCoreAsync(InstanceRecord record, InstanceAlert alert, string? cause, QuarantineSteps steps, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        // As stored now (the caller's copy may be stale), and a crash since the last look is not running any more.
        record = View(store.Get(record.Id) ?? throw new LightNfvException(ErrorKind.NotFound, $"no instance matches '{record.Id}'; 'lightnfv ps' lists them"), false).Record;
        InstanceStateMachine.EnsureAllowed(record.Name, record.State, LifecycleAction.Quarantine);
        var backend = backends.Require(record.Technology);
        var instance = Instance(record);
        var port = record.Facts.HostLink is { } link && backends.Host.LabExists ? link : null;
        var step = Stopwatch.GetTimestamp();
        if (port is not null)
        {
            PortSwitch.Cut(backends.Host.Lab, port);
        }
        steps.Cut = Stopwatch.GetElapsedTime(step);
        step = Stopwatch.GetTimestamp();
        string how;
        try
        {
            how = await backend.FreezeAsync(instance, cancellationToken).ConfigureAwait(false);
            steps.Freeze = Stopwatch.GetElapsedTime(step);
        }
        catch
        {
            if (port is not null)
            {
                PortSwitch.Rejoin(backends.Host.Lab, port);
            }
            throw;
        }
        var elapsed = Stopwatch.GetElapsedTime(started);
        step = Stopwatch.GetTimestamp();
        record = store.Update(record.Id, InstanceState.Quarantined, error: null);
        var message = $"{record.Name} quarantined: frozen by {how}, " + (port is null ? "no port to cut" : $"port {port} cut from its segment") +
            $" in {elapsed.TotalMilliseconds:0.0} ms; memory kept ('lightnfv release {record.Name}' thaws it, 'lightnfv rm' ends it)" +
            (cause is null ? "" : $"; cause: {cause}");
        store.AddEvent(record.Id, "instance.quarantined", message);
        var ms = Math.Round(elapsed.TotalMilliseconds, 2);
        alert(AlertKinds.InstanceQuarantined, record, message, cause is null ? new { freeze = how, port, ms } : new { freeze = how, port, ms, cause });
        steps.Store = Stopwatch.GetElapsedTime(step);
        return new QuarantineOutcome(record, how, port, elapsed);
    }

    /// <summary>Ends a quarantine: thaws the workload where it stopped, then rejoins its port; the record says running again.</summary>
    public Task<InstanceRecord> ReleaseAsync(InstanceRecord record, InstanceAlert? alert = null, CancellationToken cancellationToken = default) =>
        store.AuditedAsync(AuditActions.InstanceRelease, record.Tenant, $"instance/{record.Name}", new { id = record.Id, vnf = record.Deployment },
            () => ReleaseCoreAsync(record, alert ?? AlertInStore, cancellationToken));

    private async Task<InstanceRecord> ReleaseCoreAsync(InstanceRecord record, InstanceAlert alert, CancellationToken cancellationToken)
    {
        record = store.Get(record.Id) ?? throw new LightNfvException(ErrorKind.NotFound, $"no instance matches '{record.Id}'; 'lightnfv ps' lists them");
        InstanceStateMachine.EnsureAllowed(record.Name, record.State, LifecycleAction.Release);
        await backends.Require(record.Technology).ThawAsync(Instance(record), cancellationToken).ConfigureAwait(false);
        if (record.Facts.HostLink is { } port && backends.Host.LabExists)
        {
            PortSwitch.Rejoin(backends.Host.Lab, port);
        }
        record = store.Update(record.Id, InstanceState.Running);
        var message = $"{record.Name} released: thawed and rejoined its segment";
        store.AddEvent(record.Id, "instance.released", message);
        alert(AlertKinds.InstanceReleased, record, message, null);
        return record;
    }

    /// <summary>
    /// Before a quarantined instance is removed: thawed, its port still cut, because a v1-frozen task takes no signal
    /// (a stop's SIGTERM would wait out its grace) and dockerd and QEMU stop a paused workload only after resuming it.
    /// </summary>
    private async Task ThawForRemovalAsync(InstanceRecord record, CancellationToken cancellationToken)
    {
        if (record.State == InstanceState.Quarantined && backends.Find(record.Technology) is { } backend)
        {
            try
            {
                await backend.ThawAsync(Instance(record), cancellationToken).ConfigureAwait(false);
            }
            catch (LightNfvException)
            {
                // Its workload or runtime is gone already: the destroy that follows removes what is left.
            }
        }
    }

    private void AlertInStore(string kind, InstanceRecord record, string message, object? data) =>
        store.AddAlert(kind, record.Tenant, record.Deployment, record.Id, message, null, Events.PlatformEvent.DataOf(data));
}
