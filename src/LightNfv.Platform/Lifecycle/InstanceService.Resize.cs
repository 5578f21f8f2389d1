using LightNfv.Core.Descriptors;
using LightNfv.Core.Errors;
using LightNfv.Core.Instances;
using LightNfv.Core.Tenants;
using LightNfv.Platform.Audit;
using LightNfv.Platform.Store;

namespace LightNfv.Platform.Lifecycle;

public sealed partial class InstanceService
{
    /// <summary>
    /// Changes a running instance's limits without a restart (the backend's <see cref="Core.Backends.IBackend.ResizeAsync"/>):
    /// the new size is checked as a descriptor would be (bounds, the technology's rules), then against the tenant's quota
    /// with the old size freed, applied on the host, and stored in the instance's descriptor so a restart or a heal in
    /// place keeps it. Audited for standalone instances and replicas alike (a replica's size is the operator's choice too).
    /// </summary>
    public Task<InstanceRecord> ResizeAsync(string reference, ResourceChange change, CancellationToken cancellationToken = default)
    {
        var parameters = new { vcpus = change.Vcpus, memoryMiB = change.MemoryMiB, pids = change.Pids, bandwidthMbps = change.BandwidthMbps, cpuset = change.CpuSet };
        InstanceRecord record;
        try
        {
            record = Resolve(reference);
        }
        catch (LightNfvException e)
        {
            store.Record(AuditActions.InstanceResize, Core.Identity.Caller.Current.Tenant, $"instance/{reference}", parameters, e);
            throw;
        }
        return store.AuditedAsync(AuditActions.InstanceResize, record.Tenant, $"instance/{record.Name}", parameters,
            () => ResizeCoreAsync(record, change, cancellationToken));
    }

    private async Task<InstanceRecord> ResizeCoreAsync(InstanceRecord record, ResourceChange change, CancellationToken cancellationToken)
    {
        record = View(record, false).Record;
        if (record.State != InstanceState.Running)
        {
            throw new LightNfvException(ErrorKind.State,
                $"instance {record.Name} is {record.State.ToString().ToLowerInvariant()}; a live resize changes a running instance (start it first)");
        }
        var before = DescriptorParser.Parse(record.Descriptor);
        var yaml = DescriptorEdit.WithResources(record.Descriptor, change.Apply(before.Spec.Resources));
        // Parsed again: the bounds and messages of spec.resources hold for a resize as for a create.
        var after = DescriptorParser.Parse(yaml);
        var backend = backends.Require(record.Technology);
        backend.Validate(after.Spec);
        var action = $"resizing '{record.Name}'";
        var needed = TenantUsage.Of(after.Spec.Resources);
        var freed = TenantUsage.Of(before.Spec.Resources);
        store.CheckQuota(record.Tenant, needed, action, freed);
        await backend.ResizeAsync(record.AsBackendInstance(), after.Spec.Resources, cancellationToken).ConfigureAwait(false);
        try
        {
            record = store.Resize(record.Id, yaml, needed, freed, action);
        }
        catch (Exception e) when (e is LightNfvException or Microsoft.Data.Sqlite.SqliteException or IOException)
        {
            // Not stored (a concurrent resize took the quota, or the disk is full): the host goes back to the stored size.
            await backend.ResizeAsync(record.AsBackendInstance(), before.Spec.Resources, CancellationToken.None).ConfigureAwait(false);
            throw;
        }
        store.AddEvent(record.Id, "instance.resized",
            $"{record.Name}: {ResourceChange.Describe(before.Spec.Resources)} -> {ResourceChange.Describe(after.Spec.Resources)}");
        return record;
    }
}
