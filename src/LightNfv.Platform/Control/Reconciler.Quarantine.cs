using System.Diagnostics;
using LightNfv.Platform.Lifecycle;
using LightNfv.Platform.Store;

namespace LightNfv.Platform.Control;

public sealed partial class Reconciler
{
    /// <summary>
    /// Quarantines an instance (see <see cref="InstanceService.QuarantineAsync(InstanceRecord, InstanceAlert?, string?, CancellationToken)"/>) with the alert on the daemon's hub. A
    /// VNF's replica takes its own gate, not the pass lock: a pass busy elsewhere (probing, creating, rolling) does not
    /// delay it, and a pass's act on this replica (heal, removal) never interleaves with it. The replica is excluded from
    /// its service set and set aside (no exit watch, no probe, no heal) before it is cut and frozen; when this returns
    /// it is frozen, cut, stored as quarantined and out of its service address. Its replacement is the kicked pass's work.
    /// </summary>
    public Task<QuarantineOutcome> QuarantineAsync(InstanceRecord record, CancellationToken ct = default) => QuarantineAsync(record, null, ct);

    /// <summary>As <see cref="QuarantineAsync(InstanceRecord, CancellationToken)"/>, with the platform's reason for it.</summary>
    public async Task<QuarantineOutcome> QuarantineAsync(InstanceRecord record, string? cause, CancellationToken ct = default)
    {
        var instances = _replicas.Instances;
        if (record.Deployment is null)
        {
            return await instances.QuarantineAsync(record, RaiseAlert, cause, ct).ConfigureAwait(false);
        }
        var waited = Stopwatch.GetTimestamp();
        var held = await _replicas.HoldAsync(record.Id, ct).ConfigureAwait(false);
        var lockWait = Stopwatch.GetElapsedTime(waited);
        try
        {
            _services.Exclude(record.Id);
            _replicas.SetAside(record.Id);
            try
            {
                var outcome = await instances.QuarantineAsync(record, RaiseAlert, cause, ct).ConfigureAwait(false);
                var left = Stopwatch.GetTimestamp();
                _services.Sync(probe: false); // its address out of the service's set now, not at the next pass; probes are the pass's
                outcome.Steps.ServiceLeave = Stopwatch.GetElapsedTime(left);
                outcome.Steps.LockWait = lockWait;
                return outcome;
            }
            catch
            {
                _services.Include(record.Id);
                _replicas.Watch(record); // refused: it serves on as before
                throw;
            }
        }
        finally
        {
            held.Dispose();
            Kick();
        }
    }

    /// <summary>
    /// Releases a quarantined instance; a VNF's replica is watched again and rejoins its service once it answers. Its
    /// VNF then has one replica more than desired, and the next pass removes the newest (its replacement).
    /// </summary>
    public async Task<InstanceRecord> ReleaseAsync(InstanceRecord record, CancellationToken ct = default)
    {
        var instances = _replicas.Instances;
        if (record.Deployment is null)
        {
            return await instances.ReleaseAsync(record, RaiseAlert, ct).ConfigureAwait(false);
        }
        await _mutate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            using (await _replicas.HoldAsync(record.Id, ct).ConfigureAwait(false))
            {
                var released = await instances.ReleaseAsync(record, RaiseAlert, ct).ConfigureAwait(false);
                _services.Forget(record.Id); // no longer excluded; it rejoins once it answers again
                _replicas.Watch(released);
                return released;
            }
        }
        finally
        {
            _mutate.Release();
            Kick();
        }
    }

    private void RaiseAlert(string kind, InstanceRecord r, string message, object? data) =>
        _alerts.Raise(kind, r.Tenant, r.Deployment, r.Id, message, null, data);
}
