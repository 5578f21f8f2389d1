using LightNfv.Platform.Lifecycle;
using LightNfv.Platform.Store;

namespace LightNfv.Platform.Control;

public sealed partial class Reconciler
{
    /// <summary>
    /// Quarantines an instance (see <see cref="InstanceService.QuarantineAsync"/>) with the alert on the daemon's hub. A
    /// VNF's replica is set aside under the pass lock first (no exit watch, no probe, no heal), leaves its service set,
    /// and the pass kicked right after starts its replacement: the VNF keeps its count of serving replicas.
    /// </summary>
    public async Task<QuarantineOutcome> QuarantineAsync(InstanceRecord record, CancellationToken ct = default)
    {
        var instances = _replicas.Instances;
        if (record.Deployment is null)
        {
            return await instances.QuarantineAsync(record, RaiseAlert, ct).ConfigureAwait(false);
        }
        await _mutate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            _replicas.SetAside(record.Id);
            try
            {
                var outcome = await instances.QuarantineAsync(record, RaiseAlert, ct).ConfigureAwait(false);
                _services.Sync(); // out of its service set: it is no longer running
                return outcome;
            }
            catch
            {
                _replicas.Watch(record); // refused: it serves on as before
                throw;
            }
        }
        finally
        {
            _mutate.Release();
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
            var released = await instances.ReleaseAsync(record, RaiseAlert, ct).ConfigureAwait(false);
            _replicas.Watch(released);
            return released;
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
