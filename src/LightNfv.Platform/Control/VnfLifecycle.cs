using LightNfv.Backends;
using LightNfv.Core.Descriptors;
using LightNfv.Core.Errors;
using LightNfv.Core.Identity;
using LightNfv.Core.Tenants;
using LightNfv.Platform.Audit;
using LightNfv.Platform.Control.Operations;
using LightNfv.Platform.Store;

namespace LightNfv.Platform.Control;

public static class OperationKinds
{
    public const string Instantiate = "instantiate", Scale = "scale", Heal = "heal", Terminate = "terminate", Update = "update", Rollback = "rollback",
        Operate = "operate";
}

/// <summary>
/// The typed lifecycle actions of a VNF (SOL003: instantiate, scale, heal, terminate, change = update). Each one checks
/// the request against the stored state, then writes desired state and the operation record in one transaction and
/// kicks the reconciler, which does the work; the caller polls the operation.
/// </summary>
public sealed class VnfLifecycle(PlatformStore store, Reconciler reconciler, BackendRegistry backends)
{
    public const string DefaultTenant = "default";

    /// <summary>Stores a descriptor (a new version if the name exists); admitted first (parser and backend), errors name the field.</summary>
    public DescriptorVersion AddDescriptor(string yaml)
    {
        VnfDescriptor d;
        try
        {
            d = backends.Admit(yaml);
        }
        catch (LightNfvException e)
        {
            // Refused before it has a name: recorded with what the caller's tenant is, and no text (it may hold secrets).
            store.Record(AuditActions.DescriptorCreate, Caller.Current.Tenant, "descriptor", new { bytes = yaml.Length }, e);
            throw;
        }
        return store.Audited(AuditActions.DescriptorCreate, d.Metadata.Tenant, $"descriptor/{d.Metadata.Name}", AuditTrail.Describe(d), () =>
        {
            if (store.Descriptor(d.Metadata.Tenant, d.Metadata.Name) is { } last && last.Source == yaml)
            {
                return last; // same text again: no new version (idempotent PUT-like behaviour)
            }
            return store.AddDescriptor(d.Metadata.Tenant, d.Metadata.Name, yaml);
        });
    }

    /// <summary>Deletes every version of a descriptor; false when there is none of that name.</summary>
    public bool DeleteDescriptor(string tenant, string name) =>
        store.Audited(AuditActions.DescriptorDelete, tenant, $"descriptor/{name}", null, () => store.DeleteDescriptor(tenant, name)
            ? true
            : throw new LightNfvException(ErrorKind.NotFound, $"name: no descriptor named '{name}'; 'lightnfv vnf ls' lists the instantiated VNFs (GET /api/v1/descriptors lists the stored descriptors)"));

    public OperationRecord Instantiate(string tenant, string name, int? replicas, int? version) =>
        store.Audited(AuditActions.VnfInstantiate, tenant, Target(name), new { replicas, version }, () => DoInstantiate(tenant, name, replicas, version));

    private OperationRecord DoInstantiate(string tenant, string name, int? replicas, int? version)
    {
        var descriptor = RequireDescriptor(tenant, name, version);
        if (store.Deployment(tenant, name) is not null)
        {
            throw new LightNfvException(ErrorKind.Conflict, $"name: VNF '{name}' is already instantiated; scale or update it, or terminate it first");
        }
        var parsed = DescriptorParser.Parse(descriptor.Source);
        var n = replicas ?? parsed.Spec.Scaling?.MinReplicas ?? 1;
        CheckReplicas(n, "replicas");
        CheckPolicyBounds(parsed, n, name, "replicas");
        store.CheckQuota(tenant, TenantUsage.Of(parsed.Spec.Resources, n), $"instantiating VNF '{name}' with {n} replica(s)");
        return Begin(tenant, name, new Deployment(tenant, name, descriptor.Version, n, default, default), new InstantiateParameters(n, descriptor.Version));
    }

    public OperationRecord Scale(string tenant, string name, int replicas, string? policy = null) =>
        store.Audited(AuditActions.VnfScale, tenant, Target(name), new { replicas, policy }, () => DoScale(tenant, name, replicas, policy));

    private OperationRecord DoScale(string tenant, string name, int replicas, string? policy)
    {
        var d = RequireDeployment(tenant, name);
        CheckReplicas(replicas, "replicas");
        var parsed = DescriptorParser.Parse(RequireDescriptor(tenant, name, d.Version).Source);
        CheckPolicyBounds(parsed, replicas, name, "replicas");
        if (replicas > d.Replicas)
        {
            store.CheckQuota(tenant, TenantUsage.Of(parsed.Spec.Resources, replicas - d.Replicas), $"scaling VNF '{name}' from {d.Replicas} to {replicas} replicas");
        }
        return Begin(tenant, name, d with { Replicas = replicas }, new ScaleParameters(replicas, d.Replicas, policy));
    }

    public OperationRecord Update(string tenant, string name, int? version) =>
        store.Audited(AuditActions.VnfUpdate, tenant, Target(name), new { version }, () => DoUpdate(tenant, name, version));

    private OperationRecord DoUpdate(string tenant, string name, int? version)
    {
        var d = RequireDeployment(tenant, name);
        var target = RequireDescriptor(tenant, name, version);
        if (target.Version == d.Version)
        {
            throw new LightNfvException(ErrorKind.Conflict, $"version: VNF '{name}' already runs version {d.Version}; change the descriptor and run 'lightnfv vnf create -f <file>' to make a new version");
        }
        // A rolling update makes each new replica before it removes an old one: it needs room for one more, and at
        // the end the new version's resources in place of the old's.
        var next = DescriptorParser.Parse(target.Source).Spec.Resources;
        var action = $"updating VNF '{name}' to version {target.Version}";
        store.CheckQuota(tenant, TenantUsage.Of(next), action);
        if (store.Descriptor(tenant, name, d.Version) is { } current)
        {
            store.CheckQuota(tenant, TenantUsage.Of(next, d.Replicas).Minus(TenantUsage.Of(DescriptorParser.Parse(current.Source).Spec.Resources, d.Replicas)) with { Instances = 0 }, action);
        }
        return Begin(tenant, name, d with { Version = target.Version }, new UpdateParameters(target.Version, d.Version));
    }

    public OperationRecord Terminate(string tenant, string name) =>
        store.Audited(AuditActions.VnfTerminate, tenant, Target(name), null, () =>
        {
            RequireDeployment(tenant, name);
            return Begin(tenant, name, null, new TerminateParameters());
        });

    /// <summary>
    /// Heals the replica named, or else the replicas unhealthy now (not running, or failing their probe); every replica
    /// when <paramref name="all"/>. Resets the budget of those it heals. Nothing unhealthy: the operation completes at once
    /// and says so in its reason.
    /// </summary>
    public OperationRecord Heal(string tenant, string name, string? instanceId, bool all = false) =>
        store.Audited(AuditActions.VnfHeal, tenant, Target(name), new { instanceId, all }, () => DoHeal(tenant, name, instanceId, all));

    private OperationRecord DoHeal(string tenant, string name, string? instanceId, bool all)
    {
        var d = RequireDeployment(tenant, name);
        var replicas = store.List().Where(r => r.Tenant == tenant && r.Deployment == name).ToList();
        if (instanceId is not null && replicas.All(r => r.Id != instanceId && r.Name != instanceId))
        {
            throw new LightNfvException(ErrorKind.NotFound, $"instanceId: '{instanceId}' is not a replica of VNF '{name}'; 'lightnfv vnf ls' lists them");
        }
        var targets = instanceId is not null ? replicas.Where(r => r.Id == instanceId || r.Name == instanceId).ToList()
            : all ? replicas
            : replicas.Where(reconciler.IsUnhealthy).ToList();
        var reason = targets.Count == 0 ? "requested: nothing unhealthy, no replica healed" : "requested";
        var op = store.BeginOperation(tenant, name, d, new HealParameters(targets.Select(t => t.Id).ToList(), reason, null));
        if (targets.Count == 0)
        {
            return store.FinishOperation(op.Id, OperationState.Completed);
        }
        foreach (var t in targets)
        {
            // One operation record for the request; the first replica's heal closes it, the others are recorded as alerts.
            reconciler.RequestHeal(t.Id, "heal requested", targets.Count == 1 ? op.Id : null);
        }
        return targets.Count == 1 ? op : store.FinishOperation(op.Id, OperationState.Completed);
    }

    /// <summary>
    /// SOL003 operate: stops or starts every replica in place (<see cref="Reconciler.OperateAsync"/>, off the caller's
    /// thread); desired state is unchanged. The operation closes when every replica was stopped or started.
    /// </summary>
    public OperationRecord Operate(string tenant, string name, bool start) =>
        store.Audited(AuditActions.VnfOperate, tenant, Target(name), new { start }, () =>
        {
            var d = RequireDeployment(tenant, name);
            var op = Begin(tenant, name, d, new OperateParameters(start));
            _ = Task.Run(() => reconciler.OperateAsync(d, start, op.Id));
            return op;
        });

    private static string Target(string name) => $"vnf/{name}";

    private OperationRecord Begin(string tenant, string name, Deployment? desired, OperationParameters parameters)
    {
        if (store.Operations(OperationState.Processing).FirstOrDefault(o => o.Tenant == tenant && o.Deployment == name && o.Kind != OperationKinds.Heal) is { } busy)
        {
            throw new LightNfvException(ErrorKind.Conflict, $"name: VNF '{name}' has operation {busy.Id} ({busy.Kind}) in progress; follow it with 'lightnfv vnf ops' and retry when it ends");
        }
        // An LCM-API operation left FailedTemp or rolling back holds the VNF until it is resolved (SOL003).
        if (store.Operations().FirstOrDefault(o => o.Tenant == tenant && o.Deployment == name && o.State is OperationState.FailedTemp or OperationState.RollingBack) is { } held)
        {
            throw new LightNfvException(ErrorKind.Conflict, $"name: VNF '{name}' has operation {held.Id} ({held.Kind}) in state {PlatformStore.Sol003State(held.State)}; " +
                $"resolve it first: POST /vnflcm/v1/vnf_lcm_op_occs/{held.Id}/retry, /rollback or /fail");
        }
        var op = store.BeginOperation(tenant, name, desired, parameters);
        reconciler.Kick();
        return op;
    }

    private DescriptorVersion RequireDescriptor(string tenant, string name, int? version) =>
        store.Descriptor(tenant, name, version) ?? throw new LightNfvException(ErrorKind.NotFound, version is null
            ? $"name: no descriptor named '{name}' in tenant '{tenant}'; run 'lightnfv vnf create -f <descriptor.yaml>' first"
            : $"version: descriptor '{name}' has no version {version}; 'lightnfv vnf ls' lists the versions");

    private Deployment RequireDeployment(string tenant, string name) =>
        store.Deployment(tenant, name) ?? throw new LightNfvException(ErrorKind.NotFound, $"name: VNF '{name}' is not instantiated in tenant '{tenant}'; run 'lightnfv vnf instantiate {name}' first");

    /// <summary>
    /// A request outside the descriptor's scaling policy is refused with the bounds: accepting it would let the
    /// autoscaler silently pull the count back into range, which reads as the platform ignoring the operator.
    /// </summary>
    private static void CheckPolicyBounds(VnfDescriptor descriptor, int n, string name, string field)
    {
        if (descriptor.Spec.Scaling is { } policy && (n < policy.MinReplicas || n > policy.MaxReplicas))
        {
            throw new LightNfvException(ErrorKind.Invalid,
                $"{field}: {n} is outside VNF '{name}'s scaling policy (spec.scaling.minReplicas {policy.MinReplicas}, maxReplicas {policy.MaxReplicas}); " +
                $"ask for {policy.MinReplicas} to {policy.MaxReplicas}, or change the policy and run 'lightnfv vnf update {name}'");
        }
    }

    private static void CheckReplicas(int n, string field)
    {
        if (n < 0 || n > DescriptorParser.MaxReplicas)
        {
            throw new LightNfvException(ErrorKind.Invalid, $"{field}: {n} is out of range; expected 0 to {DescriptorParser.MaxReplicas}");
        }
    }
}
