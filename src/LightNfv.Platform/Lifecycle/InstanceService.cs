using System.Net;
using LightNfv.Backends;
using LightNfv.Core.Backends;
using LightNfv.Core.Descriptors;
using LightNfv.Core.Errors;
using LightNfv.Core.Instances;
using LightNfv.Core.Networking;
using LightNfv.Host.Namespaces;
using LightNfv.Host.Network;
using LightNfv.Platform.Store;

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
public sealed class InstanceService(PlatformStore store, BackendRegistry backends)
{
    public static readonly TimeSpan DefaultStopGrace = TimeSpan.FromSeconds(5);

    public PlatformStore Store => store;
    public BackendRegistry Backends => backends;

    /// <summary>Create and start an instance from a descriptor (the CLI's `run`).</summary>
    public async Task<InstanceRecord> RunAsync(VnfDescriptor descriptor, CancellationToken cancellationToken = default) =>
        await RunAsync(descriptor, RunOptions.Default, cancellationToken).ConfigureAwait(false);

    public async Task<InstanceRecord> RunAsync(VnfDescriptor descriptor, RunOptions options, CancellationToken cancellationToken = default)
    {
        var backend = backends.Require(descriptor.Spec.Technology);
        var pool = backends.Host.Pool;
        var id = (options.UseWarmPool ? backend.WarmPool?.TryClaim() : null) ?? InstanceId.New();
        var record = store.Reserve(id, descriptor, used => pool.Allocate(used, descriptor.Spec.Network.Address), options.ReplicaOf);
        var spec = SpecFor(record, descriptor);
        BackendInstance? instance = null;
        try
        {
            // No store write between create and start: the record says Creating until the instance runs, and a
            // reconciler treats a Creating record with no live process as unfinished (this path is timed by the bench).
            instance = await backend.CreateAsync(spec, cancellationToken).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            instance = await backend.StartAsync(spec, instance, cancellationToken).ConfigureAwait(false);
            record = store.MarkRunning(record, instance.Data, "instance.started", $"{record.Name} ({record.Technology.ToName()}) running at {record.Address}");
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
                store.Update(id, InstanceState.Failed, instance?.Data, $"{e.Message}; cleanup failed: {cleanup.Message}");
                store.AddEvent(id, "instance.failed", $"{descriptor.Metadata.Name}: {e.Message}; cleanup failed: {cleanup.Message}");
            }
            throw;
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

    public InstanceSpec SpecFor(InstanceRecord record, VnfDescriptor descriptor)
    {
        var host = backends.Host;
        var address = IPAddress.Parse(record.Address!);
        var attachment = new NetworkAttachment(host.Options.LabNamespace, LabNetwork.BridgeName, address, host.Pool.PrefixLength, host.Pool.Gateway);
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
            record = store.Update(record.Id, InstanceState.Exited, error: observation.Detail);
            store.AddEvent(record.Id, "instance.exited", $"{record.Name}: {observation.Detail}");
        }
        var stats = withStats && observation.State != ObservedState.Missing ? backend.Stats(instance) : null;
        return new InstanceView(record, observation, stats);
    }

    public async Task<InstanceRecord> StopAsync(string reference, TimeSpan? grace = null, CancellationToken cancellationToken = default)
    {
        var record = View(Resolve(reference), false).Record;
        InstanceStateMachine.EnsureAllowed(record.Name, record.State, LifecycleAction.Stop);
        store.Update(record.Id, InstanceState.Stopping);
        var instance = await backends.Require(record.Technology).StopAsync(Instance(record), grace ?? DefaultStopGrace, cancellationToken).ConfigureAwait(false);
        record = store.Update(record.Id, InstanceState.Stopped, instance.Data);
        store.AddEvent(record.Id, "instance.stopped", record.Name);
        return record;
    }

    public async Task<InstanceRecord> StartAsync(string reference, CancellationToken cancellationToken = default)
    {
        var record = View(Resolve(reference), false).Record;
        InstanceStateMachine.EnsureAllowed(record.Name, record.State, LifecycleAction.Start);
        var descriptor = DescriptorParser.Parse(record.Descriptor);
        var instance = await backends.Require(record.Technology).StartAsync(SpecFor(record, descriptor), Instance(record), cancellationToken).ConfigureAwait(false);
        record = store.Update(record.Id, InstanceState.Running, instance.Data);
        store.AddEvent(record.Id, "instance.started", record.Name);
        return record;
    }

    /// <summary>Stops (if running) and removes an instance and everything it owns on the host.</summary>
    public async Task RemoveAsync(InstanceRecord record, CancellationToken cancellationToken = default)
    {
        store.Update(record.Id, InstanceState.Destroying);
        var backend = backends.Find(record.Technology)
            ?? throw new LightNfvException(ErrorKind.Unavailable, $"instance {record.Id} uses the {record.Technology.ToName()} backend, which this build lacks");
        try
        {
            await backend.DestroyAsync(Instance(record), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            store.Update(record.Id, InstanceState.Failed, error: $"remove failed: {e.Message}");
            throw;
        }
        store.Delete(record.Id);
        store.AddEvent(record.Id, "instance.removed", record.Name);
    }

    public Task RemoveAsync(string reference, CancellationToken cancellationToken = default) =>
        RemoveAsync(Resolve(reference), cancellationToken);

    /// <summary>Removes every instance; returns how many.</summary>
    public async Task<int> RemoveAllAsync(CancellationToken cancellationToken = default)
    {
        var all = store.List();
        foreach (var r in all)
        {
            await RemoveAsync(r, cancellationToken).ConfigureAwait(false);
        }
        return all.Count;
    }

    /// <summary>
    /// Removes everything the platform created on the host: every instance, then any orphan namespace or cgroup
    /// (left by a crash), then the lab network. The store keeps its audit trail.
    /// </summary>
    public async Task<IReadOnlyList<string>> DownAsync(CancellationToken cancellationToken = default)
    {
        var removed = new List<string>();
        var count = await RemoveAllAsync(cancellationToken).ConfigureAwait(false);
        foreach (var t in Enum.GetValues<Technology>())
        {
            if (backends.Find(t)?.WarmPool is { } pool && pool.Drain() is var n and > 0)
            {
                removed.Add($"{n} warm {t.ToName()} shell(s)");
            }
        }
        if (count > 0)
        {
            removed.Add($"{count} instance(s)");
        }
        foreach (var t in Enum.GetValues<Technology>())
        {
            if (backends.Find(t) is { } b)
            {
                removed.AddRange(b.ShutdownHostServices());
            }
        }
        var host = backends.Host;
        var cgroups = host.Cgroups;
        foreach (var child in cgroups.ListChildren(host.Options.CgroupParent))
        {
            var cg = cgroups.Open($"{host.Options.CgroupParent}/{child}");
            if (cg is not null)
            {
                cg.KillAll(TimeSpan.FromSeconds(2));
                cg.Remove();
                removed.Add($"cgroup {cg.RelativePath}");
            }
        }
        if (cgroups.Open(host.Options.CgroupParent) is { } parent && parent.Remove())
        {
            removed.Add($"cgroup {host.Options.CgroupParent}");
        }
        // OCI runtimes make the parent in every hierarchy, not only the ones LightNFV manages.
        foreach (var dir in Host.Cgroups.CgroupSweeper.RemoveEverywhere(host.Options.CgroupParent))
        {
            throw new LightNfvException(ErrorKind.Host, $"cgroup {dir} is still busy; stop what runs in it and run 'lightnfv down' again");
        }
        if (host.LabOpened)
        {
            host.Lab.Dispose();
        }
        foreach (var ns in LabNetwork.Destroy(host.Options.LabNamespace))
        {
            removed.Add($"netns {ns}");
        }
        if (Host.Cgroups.CgroupTuning.Revert(host.TuningUser))
        {
            removed.Add($"cgroup {Host.Cgroups.CgroupTuning.Option} (restored)");
        }
        NetNamespace.ReleaseDirectory();
        NetNamespace.ReleaseRunDirectory();
        store.AddEvent(null, "platform.down", removed.Count == 0 ? "nothing to remove" : string.Join(", ", removed));
        return removed;
    }

    private static BackendInstance Instance(InstanceRecord record) => new(record.Id, record.Technology, record.BackendData);
}
