using System.Net;
using LightNfv.Backends;
using LightNfv.Core.Backends;
using LightNfv.Core.Descriptors;
using LightNfv.Core.Errors;
using LightNfv.Core.Instances;
using LightNfv.Core.Networking;
using LightNfv.Core.Tenants;
using LightNfv.Host.Network;
using LightNfv.Platform.Audit;
using LightNfv.Platform.Store;
using Microsoft.Data.Sqlite;

namespace LightNfv.Platform.Lifecycle;

/// <summary>How to run: whether a pre-created shell from the backend's warm pool may be used.</summary>
public sealed record RunOptions(bool UseWarmPool = true)
{
    /// <summary>Set when the instance is a replica of a deployment (the daemon's reconciler).</summary>
    public ReplicaOf? ReplicaOf { get; init; }

    public static RunOptions Default { get; } = new();
}

/// <summary>An instance as the store records it, plus what the host says about it now.</summary>
public sealed record InstanceView(InstanceRecord Record, InstanceObservation? Observation, InstanceStats? Stats);

/// <summary>
/// The control plane's lifecycle: checks each typed action against the instance's state, stores the desired state
/// before any side effect, drives the backend, and records every outcome in the audit trail. A failed step
/// removes what it made and the record with it, so nothing is left half-created.
/// </summary>
public sealed partial class InstanceService(PlatformStore store, BackendRegistry backends)
{
    public static readonly TimeSpan DefaultStopGrace = TimeSpan.FromSeconds(5);

    public PlatformStore Store => store;
    public BackendRegistry Backends => backends;

    /// <summary>The host's own view of the platform's objects, by instance id (independent of the store).</summary>
    public HostInventory HostObjects => _inventory ??= new HostInventory(backends.Host, backends);

    private HostInventory? _inventory;

    /// <summary>Create and start an instance from a descriptor (the CLI's `run`).</summary>
    public async Task<InstanceRecord> RunAsync(VnfDescriptor descriptor, CancellationToken cancellationToken = default) =>
        await RunAsync(descriptor, RunOptions.Default, cancellationToken).ConfigureAwait(false);

    /// <summary>Create and start an instance; a standalone one (not a VNF's replica, which its VNF's operation records) is audited.</summary>
    public async Task<InstanceRecord> RunAsync(VnfDescriptor descriptor, RunOptions options, CancellationToken cancellationToken = default)
    {
        if (options.ReplicaOf is not null)
        {
            return await RunCoreAsync(descriptor, options, null, cancellationToken).ConfigureAwait(false);
        }
        var (tenant, target, parameters) = (descriptor.Metadata.Tenant, $"instance/{descriptor.Metadata.Name}", AuditTrail.Describe(descriptor));
        try
        {
            // The success record is written with the Running state, in one transaction; a failure is recorded here.
            return await RunCoreAsync(descriptor, options, AuditTrail.Entry(AuditActions.InstanceRun, tenant, target, parameters, null), cancellationToken)
                .ConfigureAwait(false);
        }
        catch (Exception e)
        {
            store.Record(AuditActions.InstanceRun, tenant, target, parameters, e);
            throw;
        }
    }

    private async Task<InstanceRecord> RunCoreAsync(VnfDescriptor descriptor, RunOptions options, AuditEntry? audit, CancellationToken cancellationToken)
    {
        var backend = backends.Require(descriptor.Spec.Technology);
        // Every create is admitted by its technology's own rules (runtime, accel, minimum memory), whoever asks.
        backend.Validate(descriptor.Spec);
        // The quota before anything is claimed (a warm shell, an address); Reserve checks again under the write lock.
        store.CheckQuota(descriptor.Metadata.Tenant, TenantUsage.Of(descriptor.Spec.Resources),
            options.ReplicaOf is { } of ? $"a new replica of VNF '{of.Deployment}'" : $"running '{descriptor.Metadata.Name}'");
        // The tenant's own segment (its bridge made on its first instance): addresses never cross tenants.
        var pool = backends.Host.SegmentPool(descriptor.Metadata.Tenant);
        var id = (options.UseWarmPool ? backend.WarmPool?.TryClaim() : null) ?? FreshId();
        // The store's addresses and the host's: an instance the store lost (deleted or replaced while it ran) still
        // holds its address on the bridge, and must never see it handed out twice.
        // Service addresses (allocated from the subnet's top) are never a replica's; read before the store's write lock.
        var reserved = Control.Service.ServiceAddressBook.Reserved(store).ToList();
        var record = store.Reserve(id, descriptor, used => AllocateAddress(pool, used, reserved, descriptor.Spec.Network.Address), options.ReplicaOf);
        var spec = SpecFor(record, descriptor);
        BackendInstance? instance = null;
        try
        {
            // No store write between create and start: the record says Creating until the instance runs, and a
            // reconciler treats a Creating record with no live process as unfinished (this path is timed by the bench).
            instance = await backend.CreateAsync(spec, cancellationToken).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            instance = await backend.StartAsync(spec, instance, cancellationToken).ConfigureAwait(false);
            record = store.MarkRunning(record, instance, "instance.started", $"{record.Name} ({record.Technology.ToName()}) running at {record.Address}", audit);
            return record;
        }
        catch (Exception e)
        {
            // Roll back: a failed create has already undone itself (backend contract); a failed start is destroyed here.
            try
            {
                if (instance is not null)
                {
                    await backend.DestroyAsync(instance, CancellationToken.None).ConfigureAwait(false);
                }
                store.Delete(id);
                store.AddEvent(id, "instance.failed", $"{descriptor.Metadata.Name}: {e.Message} (rolled back)");
            }
            catch (Exception cleanup)
            {
                try
                {
                    store.Update(id, InstanceState.Failed, instance, $"{e.Message}; cleanup failed: {cleanup.Message}");
                    store.AddEvent(id, "instance.failed", $"{descriptor.Metadata.Name}: {e.Message}; cleanup failed: {cleanup.Message}");
                }
                catch (Exception e2) when (e2 is SqliteException or IOException)
                {
                    // The store cannot be written (disk full): the original error says why; `rm`/`down` clear the record.
                }
            }
            throw;
        }
    }

    /// <summary>
    /// The lowest address free in the store (or the requested one) that the host does not hold either: each candidate is
    /// checked on the bridge with one netlink get (microseconds), and a held one is skipped like a stored one.
    /// </summary>
    private IPAddress AllocateAddress(AddressPool pool, IReadOnlyList<IPAddress> stored, IReadOnlyList<IPAddress> reserved, IPAddress? requested)
    {
        var held = new List<IPAddress>(reserved);
        while (true)
        {
            // A requested address the host holds fails here with the pool's "already used" conflict.
            var candidate = pool.Allocate(held.Count == 0 ? stored : stored.Concat(held), requested);
            if (!HostObjects.AddressTaken(candidate))
            {
                return candidate;
            }
            held.Add(candidate);
        }
    }

    /// <summary>A new id that nothing on the host is named after yet (a survivor of a lost store keeps its objects).</summary>
    private string FreshId()
    {
        for (var attempt = 0; ; attempt++)
        {
            var id = InstanceId.New();
            if (attempt >= 8 || !HostObjects.HasObjects(id))
            {
                return id;
            }
        }
    }

    /// <summary>Tops up every backend's warm pool to <paramref name="target"/> shells (off the instantiation path).</summary>
    public int RefillWarmPools(int target, CancellationToken cancellationToken = default) =>
        Enum.GetValues<Technology>().Sum(t => RefillWarmPool(t, target, cancellationToken));

    /// <summary>
    /// Tops up one technology's warm pool: a pool costs host resources (a unikernel pool starts its monitor host), so
    /// only what is used is kept warm.
    /// </summary>
    public int RefillWarmPool(Technology technology, int target, CancellationToken cancellationToken = default) =>
        backends.Find(technology)?.WarmPool is { } pool && backends.Probe(technology).Available
            ? pool.Refill(target, cancellationToken)
            : 0;

    /// <summary>
    /// After a standalone `run`: tops up the technology's warm pool to the configured size (LIGHTNFV_WARM_POOL), so the
    /// next run starts warm. Called after the instance is up, never before: the run itself is not slowed.
    /// </summary>
    public int RefillAfterRun(Technology technology, CancellationToken cancellationToken = default) =>
        backends.Host.Options.WarmPool > 0 ? RefillWarmPool(technology, backends.Host.Options.WarmPool, cancellationToken) : 0;

    public InstanceSpec SpecFor(InstanceRecord record, VnfDescriptor descriptor)
    {
        var host = backends.Host;
        var address = IPAddress.Parse(record.Address!);
        var attachment = LabNetwork.AttachmentFor(host.Options.LabNamespace, host.Pool, address);
        return new InstanceSpec(record.Id, record.Name, record.Tenant, record.Technology, descriptor.Spec.App.Command,
            descriptor.Spec.App.Env, descriptor.Spec.Resources, attachment, host.RunDirectory(record.Id))
        {
            Capabilities = descriptor.Spec.App.Capabilities,
            Files = descriptor.Spec.App.Files,
            Runtime = descriptor.Spec.Runtime,
            Accel = descriptor.Spec.Accel,
        };
    }

    /// <summary>Finds one instance by id, id prefix or name; errors if none or several match.</summary>
    public InstanceRecord Resolve(string reference)
    {
        var matches = store.Match(reference);
        return matches.Count switch
        {
            1 => matches[0],
            0 => throw new LightNfvException(ErrorKind.NotFound, $"no instance matches '{reference}'; 'lightnfv ps' lists them"),
            _ => throw new LightNfvException(ErrorKind.Conflict,
                $"'{reference}' matches {matches.Count} instances ({string.Join(", ", matches.Select(m => m.Id))}); give more of the id"),
        };
    }

    public IReadOnlyList<InstanceView> List(bool withStats = false) => store.List().Select(r => View(r, withStats)).ToList();

    /// <summary>
    /// Every record; those <paramref name="observe"/> picks are read from the host too (and a crash recorded), the
    /// others are returned as stored (the daemon's replicas: their states are the reconciler's to keep).
    /// </summary>
    public IReadOnlyList<InstanceView> List(Func<InstanceRecord, bool> observe) =>
        store.List().Select(r => observe(r) ? View(r, false) : new InstanceView(r, null, null)).ToList();

    /// <summary>An instance's counters now (cgroup CPU and memory, lab-side link); null if this build lacks its backend.</summary>
    public InstanceStats? Stats(InstanceRecord record) => backends.Find(record.Technology)?.Stats(Instance(record));

    public InstanceView Inspect(string reference) => View(Resolve(reference), withStats: true);

    /// <summary>Reads the host's view and records a crash (running in the store, gone on the host) as Exited.</summary>
    private InstanceView View(InstanceRecord record, bool withStats)
    {
        var backend = backends.Find(record.Technology);
        if (backend is null || record.State is InstanceState.Creating)
        {
            return new InstanceView(record, null, null);
        }
        var instance = Instance(record);
        var observation = backend.Inspect(instance);
        if (record.State == InstanceState.Running && observation.State is ObservedState.Exited or ObservedState.Missing)
        {
            var seen = record;
            // Recording it is a courtesy of reading: a store that cannot be written (disk full) still lets `ps` show it.
            if (TryRecord(() =>
                {
                    seen = store.Update(seen.Id, InstanceState.Exited, error: observation.Detail);
                    store.AddEvent(seen.Id, "instance.exited", $"{seen.Name}: {observation.Detail}");
                }) is null)
            {
                record = seen;
            }
            else
            {
                record = record with { State = InstanceState.Exited, Error = observation.Detail };
            }
        }
        var stats = withStats && observation.State != ObservedState.Missing ? backend.Stats(instance) : null;
        return new InstanceView(record, observation, stats);
    }

    /// <summary>The longest stop grace accepted (an hour): longer is a typo, not a wish.</summary>
    public static readonly TimeSpan MaxStopGrace = TimeSpan.FromHours(1);

    /// <summary>A stop grace given in seconds (`stop --time`, the API's `time`), checked: 0 to an hour; null is the default.</summary>
    public static TimeSpan? StopGrace(double? seconds) => seconds switch
    {
        null => null,
        double s when s >= 0 && s <= MaxStopGrace.TotalSeconds => TimeSpan.FromSeconds(s),
        var s => throw new LightNfvException(ErrorKind.Invalid,
            $"time: {s} seconds is not a stop grace; give 0 to {MaxStopGrace.TotalSeconds} seconds (default {DefaultStopGrace.TotalSeconds})"),
    };

    public Task<InstanceRecord> StopAsync(string reference, TimeSpan? grace = null, CancellationToken cancellationToken = default) =>
        AuditedStandalone(AuditActions.InstanceStop, reference, new { grace = grace?.TotalSeconds }, () => StopCoreAsync(reference, grace, cancellationToken));

    private async Task<InstanceRecord> StopCoreAsync(string reference, TimeSpan? grace, CancellationToken cancellationToken)
    {
        var record = View(Resolve(reference), false).Record;
        InstanceStateMachine.EnsureAllowed(record.Name, record.State, LifecycleAction.Stop);
        store.Update(record.Id, InstanceState.Stopping);
        var instance = await backends.Require(record.Technology).StopAsync(Instance(record), grace ?? DefaultStopGrace, cancellationToken).ConfigureAwait(false);
        record = store.Update(record.Id, InstanceState.Stopped, instance);
        store.AddEvent(record.Id, "instance.stopped", record.Name);
        return record;
    }

    public Task<InstanceRecord> StartAsync(string reference, CancellationToken cancellationToken = default) =>
        AuditedStandalone(AuditActions.InstanceStart, reference, null, () => StartCoreAsync(reference, cancellationToken));

    private async Task<InstanceRecord> StartCoreAsync(string reference, CancellationToken cancellationToken)
    {
        var record = View(Resolve(reference), false).Record;
        InstanceStateMachine.EnsureAllowed(record.Name, record.State, LifecycleAction.Start);
        var descriptor = DescriptorParser.Parse(record.Descriptor);
        var instance = await backends.Require(record.Technology).StartAsync(SpecFor(record, descriptor), Instance(record), cancellationToken).ConfigureAwait(false);
        record = store.Update(record.Id, InstanceState.Running, instance);
        store.AddEvent(record.Id, "instance.started", record.Name);
        return record;
    }

    /// <summary>What the host says of an instance's workload now (missing when this build lacks its backend).</summary>
    public ObservedState Observe(InstanceRecord record) =>
        backends.Find(record.Technology)?.Inspect(Instance(record)).State ?? ObservedState.Missing;

    /// <summary>
    /// Stops a replica at once, without grace (its heal starts it again), also when its process is already dead: the
    /// stop kills stragglers and reaps the dead workload's supervisor. Records it exited, with the heal's reason.
    /// </summary>
    public async Task<InstanceRecord> StopForHealAsync(InstanceRecord record, string reason, CancellationToken cancellationToken = default)
    {
        var stopped = await backends.Require(record.Technology).StopAsync(Instance(record), TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
        return store.Update(record.Id, InstanceState.Exited, stopped, reason);
    }

    /// <summary>
    /// Stops (if running) and removes an instance and everything it owns on the host. The host objects go even when the
    /// store cannot be written (a full disk): the record is updated when it can be, and the error then says so.
    /// </summary>
    public Task RemoveAsync(InstanceRecord record, CancellationToken cancellationToken = default) =>
        record.Deployment is not null
            ? RemoveCoreAsync(record, cancellationToken)
            : store.AuditedAsync(AuditActions.InstanceRemove, record.Tenant, $"instance/{record.Name}", new { id = record.Id }, () => RemoveCoreAsync(record, cancellationToken));

    private async Task RemoveCoreAsync(InstanceRecord record, CancellationToken cancellationToken)
    {
        var storeError = TryRecord(() => store.Update(record.Id, InstanceState.Destroying));
        var backend = backends.Find(record.Technology)
            ?? throw new LightNfvException(ErrorKind.Unavailable, $"instance {record.Id} uses the {record.Technology.ToName()} backend, which this build lacks");
        try
        {
            await ThawForRemovalAsync(record, cancellationToken).ConfigureAwait(false);
            await backend.DestroyAsync(Instance(record), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            TryRecord(() => store.Update(record.Id, InstanceState.Failed, error: $"remove failed: {e.Message}"));
            throw;
        }
        storeError ??= TryRecord(() =>
        {
            store.Delete(record.Id);
            store.AddEvent(record.Id, "instance.removed", record.Name);
        });
        if (storeError is not null)
        {
            throw new LightNfvException(ErrorKind.Host,
                $"instance {record.Id} was removed from the host, but its record was not: {storeError.Message} (then 'lightnfv rm {record.Id}' clears it)", storeError);
        }
    }

    public Task RemoveAsync(string reference, CancellationToken cancellationToken = default) =>
        RemoveAsync(Resolve(reference), cancellationToken);

    /// <summary>
    /// Removes every instance, and every orphan the host still has objects of; returns how many. Each one is tried even
    /// when another fails; the first failure is thrown at the end.
    /// </summary>
    public Task<int> RemoveAllAsync(CancellationToken cancellationToken = default) => RemoveAllAsync(_ => true, cancellationToken);

    /// <summary>As <see cref="RemoveAllAsync(CancellationToken)"/>, only the records <paramref name="which"/> picks (and every orphan).</summary>
    public Task<int> RemoveAllAsync(Func<InstanceRecord, bool> which, CancellationToken cancellationToken = default) =>
        store.AuditedAsync(AuditActions.InstanceRemoveAll, Core.Identity.Caller.Current.Tenant, "instances", null, () => RemoveAllCoreAsync(which, cancellationToken));

    private async Task<int> RemoveAllCoreAsync(Func<InstanceRecord, bool> which, CancellationToken cancellationToken)
    {
        var all = store.List().Where(which).ToList();
        var errors = new List<Exception>();
        foreach (var r in all)
        {
            try
            {
                await RemoveAsync(r, cancellationToken).ConfigureAwait(false);
            }
            catch (LightNfvException e)
            {
                errors.Add(e);
            }
        }
        var orphans = Orphans();
        foreach (var o in orphans)
        {
            try
            {
                RemoveOrphan(o);
            }
            catch (LightNfvException e)
            {
                errors.Add(e);
            }
        }
        if (errors.Count > 0)
        {
            throw errors.Count == 1 ? errors[0] : new LightNfvException(ErrorKind.Host,
                $"{errors.Count} removals failed: {string.Join("; ", errors.Select(e => e.Message))}", errors[0]);
        }
        return all.Count + orphans.Count;
    }

    /// <summary>Removes everything the platform created on the host (see <see cref="PlatformTeardown"/>).</summary>
    public Task<IReadOnlyList<string>> DownAsync(CancellationToken cancellationToken = default) =>
        store.AuditedAsync(AuditActions.PlatformDown, null, "platform", null, () => new PlatformTeardown(this).DownAsync(cancellationToken));

    /// <summary>
    /// Audits an action on a standalone instance (the operator's own, made by `run`); a VNF's replica is the control
    /// plane's (its VNF operation or heal is the record). A reference that resolves to nothing is recorded as refused.
    /// </summary>
    private Task<InstanceRecord> AuditedStandalone(string action, string reference, object? parameters, Func<Task<InstanceRecord>> act)
    {
        InstanceRecord record;
        try
        {
            record = Resolve(reference);
        }
        catch (LightNfvException e)
        {
            store.Record(action, Core.Identity.Caller.Current.Tenant, $"instance/{reference}", parameters, e);
            throw;
        }
        return record.Deployment is not null ? act() : store.AuditedAsync(action, record.Tenant, $"instance/{record.Name}", parameters, act);
    }

    private static BackendInstance Instance(InstanceRecord record) => record.AsBackendInstance();
}
