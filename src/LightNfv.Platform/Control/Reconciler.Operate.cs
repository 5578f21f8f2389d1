using LightNfv.Core.Errors;
using LightNfv.Core.Instances;
using LightNfv.Platform.Store;

namespace LightNfv.Platform.Control;

public sealed partial class Reconciler
{
    /// <summary>
    /// SOL003 operate: stops (STOPPED) or starts (STARTED) every replica of a VNF in place, under the mutation lock so
    /// no heal or convergence interleaves, and closes operation <paramref name="operationId"/>. A stopped replica is
    /// not watched (its exit is no failure) and not healed; a started one is watched again.
    /// </summary>
    public async Task OperateAsync(Deployment d, bool start, string operationId, CancellationToken ct = default)
    {
        await _mutate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var store = _replicas.Instances.Store;
            try
            {
                foreach (var r in _replicas.Of(d))
                {
                    using var held = await _replicas.HoldAsync(r.Id, ct).ConfigureAwait(false);
                    if (_replicas.QuarantinedSince(r))
                    {
                        continue; // quarantined since the list was read: held frozen, not stopped or started
                    }
                    if (start && r.State == InstanceState.Stopped)
                    {
                        _replicas.Watch(await _replicas.Instances.StartAsync(r.Id, ct).ConfigureAwait(false));
                    }
                    else if (!start && r.State == InstanceState.Running)
                    {
                        _replicas.Unwatch(r.Id);
                        await _replicas.Instances.StopAsync(r.Id, null, ct).ConfigureAwait(false);
                    }
                }
                store.FinishOperation(operationId, OperationState.Completed);
            }
            catch (Exception e) when (e is LightNfvException or IOException)
            {
                store.FinishOperation(operationId, OperationState.Failed, e.Message);
            }
        }
        finally
        {
            _mutate.Release();
        }
    }
}
