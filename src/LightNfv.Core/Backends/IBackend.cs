using LightNfv.Core.Descriptors;

namespace LightNfv.Core.Backends;

/// <summary>
/// One virtualization technology. A backend reports facts and acts on the host; it never reads the store
/// and never decides policy. What it needs to find an instance again lives in <see cref="BackendInstance"/>,
/// which the control plane persists.
/// </summary>
public interface IBackend
{
    Technology Technology { get; }

    /// <summary>Whether this host can run the technology and, if not, why and how to fix it.</summary>
    BackendProbe Probe();

    /// <summary>Makes every host resource the instance needs, without starting the workload. Leaves nothing behind on failure.</summary>
    Task<BackendInstance> CreateAsync(InstanceSpec spec, CancellationToken cancellationToken);

    /// <summary>Starts the workload; returns the instance with its runtime facts (pid, start time) recorded.</summary>
    Task<BackendInstance> StartAsync(InstanceSpec spec, BackendInstance instance, CancellationToken cancellationToken);

    /// <summary>Asks the workload to stop, then forces it after <paramref name="grace"/>. Idempotent.</summary>
    Task<BackendInstance> StopAsync(BackendInstance instance, TimeSpan grace, CancellationToken cancellationToken);

    /// <summary>Removes everything <see cref="CreateAsync"/> and <see cref="StartAsync"/> made. Idempotent, tolerant of partial state.</summary>
    Task DestroyAsync(BackendInstance instance, CancellationToken cancellationToken);

    InstanceObservation Inspect(BackendInstance instance);

    InstanceStats Stats(BackendInstance instance);

    /// <summary>Pre-created instance shells, for backends that can make them; null otherwise.</summary>
    IWarmPool? WarmPool => null;

    /// <summary>
    /// Called by `down` after every instance is gone: stops host-wide services the backend started (a private dockerd)
    /// and removes what they leave. Returns what it removed, for the operator. Default: nothing to do.
    /// </summary>
    IReadOnlyList<string> ShutdownHostServices() => [];

    /// <summary>
    /// Where to say how first-use builds (kernel, disk image) progress, when the backend has such builds and no
    /// listener yet: they take minutes and may retry a download. Default: no builds to report.
    /// </summary>
    void ReportBuildProgress(Action<string> progress)
    {
    }

    /// <summary>What callers need to know about the technology (start bound, how the bench measures it).</summary>
    BackendProfile Profile => BackendProfile.Default;

    /// <summary>The variants the bench measures separately on this host (the OCI runtimes it has); empty when there is one way.</summary>
    IReadOnlyList<BackendVariant> Variants() => [];

    /// <summary>
    /// Checks the technology-specific fields of a parsed spec (runtime, accelerator, minimum memory, fields that
    /// apply to other technologies only). Throws a <see cref="Errors.LightNfvException"/> naming the field and the fix.
    /// </summary>
    void Validate(VnfSpec spec)
    {
        SpecRules.RejectRuntime(spec);
        SpecRules.RejectAccel(spec);
    }

    /// <summary>
    /// Freezes a running instance for a quarantine: no instruction of the workload runs until <see cref="ThawAsync"/>,
    /// its memory and host objects are kept as they are. Returns how (e.g. "cgroup v1 freezer", "QMP stop") for the
    /// audit record. Default: this technology cannot, and the error says why.
    /// </summary>
    Task<string> FreezeAsync(BackendInstance instance, CancellationToken cancellationToken) =>
        throw new Errors.LightNfvException(Errors.ErrorKind.Unavailable,
            $"the {Technology.ToName()} backend cannot freeze an instance, so it cannot be quarantined; remove it with 'lightnfv rm' instead");

    /// <summary>Lets a frozen instance run again where it stopped. Idempotent.</summary>
    Task ThawAsync(BackendInstance instance, CancellationToken cancellationToken) =>
        throw new Errors.LightNfvException(Errors.ErrorKind.Unavailable, $"the {Technology.ToName()} backend cannot freeze or thaw an instance");

    /// <summary>
    /// Removes every host object of <paramref name="id"/> this backend would have made (an instance no record knows:
    /// the store was lost, or a crash fell between making an object and recording it). Idempotent; a backend that made
    /// none is a no-op. Returns a description of each object it removed.
    /// </summary>
    IReadOnlyList<string> RemoveOrphan(string id) => [];

    /// <summary>
    /// Applies new limits (<paramref name="resources"/>: vCPUs, memory, pids, cpuset, bandwidth) to a running instance
    /// in place, without a restart: the workload keeps its pid and its connections. Throws a
    /// <see cref="Errors.LightNfvException"/> saying why when the technology or the host cannot (the limits are then
    /// unchanged); the control plane checks quotas and persists the new size. Default: the technology cannot.
    /// </summary>
    Task<BackendInstance> ResizeAsync(BackendInstance instance, ResourceSpec resources, CancellationToken cancellationToken) =>
        throw new Errors.LightNfvException(Errors.ErrorKind.Unavailable,
            $"technology '{Technology.ToName()}' cannot change a running instance's limits; change spec.resources and roll the VNF out (a restart)");
}

/// <summary>
/// What a backend knows about one instance, which the control plane persists: the facts every layer may read, typed,
/// and the backend's own record (<see cref="BackendState"/>), which only that backend reads.
/// </summary>
public sealed record BackendInstance(string Id, Technology Technology, InstanceFacts Facts, BackendState? State)
{
    /// <summary>An instance the backend knows nothing about yet (a record whose create was cut short, an orphan): every name derives from the id.</summary>
    public BackendInstance(string id, Technology technology) : this(id, technology, InstanceFacts.None, null)
    {
    }
}

/// <summary>Result of a capability check.</summary>
public sealed record BackendProbe(bool Available, string Reason, IReadOnlyDictionary<string, string> Details)
{
    public static BackendProbe Ok(params (string Key, string Value)[] details) =>
        new(true, "available", details.ToDictionary(d => d.Key, d => d.Value));

    public static BackendProbe Missing(string reason) => new(false, reason, new Dictionary<string, string>());
}
