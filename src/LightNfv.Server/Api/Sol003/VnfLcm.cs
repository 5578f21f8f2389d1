using System.Globalization;
using LightNfv.Core.Descriptors;
using LightNfv.Core.Errors;
using LightNfv.Core.Instances;
using LightNfv.Platform.Alerts;
using LightNfv.Platform.Audit;
using LightNfv.Platform.Control;
using LightNfv.Platform.Control.Operations;
using LightNfv.Platform.Store;

namespace LightNfv.Server.Api.Sol003;

/// <summary>
/// SOL003's VNF LCM onto LightNFV's one lifecycle path: each task checks the instance's instantiation state, then calls
/// <see cref="VnfLifecycle"/> inside a <see cref="PlatformStore.LcmScope"/> so the operation is recorded as an LCM
/// occurrence (its failure stops at FAILED_TEMP instead of rolling back by itself). Retry, rollback, fail and cancel
/// change the occurrence's state with SOL003's rules (<see cref="PlatformStore.TransitionOperation"/>).
/// </summary>
public sealed class VnfLcm(PlatformStore store, VnfLifecycle lifecycle, Reconciler reconciler)
{
    public const string Prefix = "/vnflcm/v1";
    public const string Aspect = "replicas";

    /// <summary>Raises vnf_lcm_op_occ.STATE events through the alert hub for every LCM occurrence's state change.</summary>
    public static void RaiseEvents(PlatformStore store, AlertHub alerts) =>
        store.OperationChanged += (op, lcm) =>
        {
            var state = PlatformStore.Sol003State(op.State);
            alerts.Raise(AlertKinds.LcmOccurrencePrefix + state, op.Tenant, op.Deployment, null,
                $"{lcm} of {op.Deployment}: {state} (vnf_lcm_op_occ {op.Id})" + (op.Error is { } e && op.State != OperationState.Completed ? $": {e}" : ""));
        };

    // ---- VNF instances --------------------------------------------------------------------------

    public VnfInstanceRecord Create(CreateVnfRequest? body) =>
        store.Audited(AuditActions.VnfInstanceCreate, body?.Metadata?.Tenant is { Length: > 0 } t ? t : VnfLifecycle.DefaultTenant, $"vnfd/{body?.VnfdId}",
            new { vnfdId = body?.VnfdId, name = body?.VnfInstanceName }, () => DoCreate(body));

    private VnfInstanceRecord DoCreate(CreateVnfRequest? body)
    {
        var vnfdId = body?.VnfdId is { Length: > 0 } v ? v : throw Invalid("vnfdId", "required: the descriptor's name, or name@version (GET /api/v1/descriptors lists them)");
        var tenant = body!.Metadata?.Tenant is { Length: > 0 } t ? t : VnfLifecycle.DefaultTenant;
        var (name, version) = ParseVnfdId(vnfdId, "vnfdId");
        if (store.Descriptor(tenant, name, version) is null)
        {
            throw Invalid("vnfdId", version is null
                ? $"no descriptor named '{name}' in tenant '{tenant}'; store it first: POST /api/v1/descriptors"
                : $"descriptor '{name}' has no version {version}; GET /api/v1/descriptors/{name}/versions lists them");
        }
        return store.AddVnfInstance(tenant, name, version, body.VnfInstanceName, body.VnfInstanceDescription);
    }

    public VnfInstanceRecord Require(string id) =>
        store.VnfInstance(id) ?? throw new LightNfvException(ErrorKind.NotFound, $"vnfInstanceId: no VNF instance '{id}'; GET {Prefix}/vnf_instances lists them");

    public bool IsInstantiated(VnfInstanceRecord v) => store.Deployment(v.Tenant, v.VnfdName) is not null;

    public void Delete(string id) =>
        store.Audited(AuditActions.VnfInstanceDelete, store.VnfInstance(id)?.Tenant, $"vnf_instance/{id}", null, () =>
        {
            Require(id);
            store.DeleteVnfInstance(id);
            return true;
        });

    public OperationRecord Instantiate(string id, InstantiateVnfRequest? body)
    {
        var v = RequireState(id, instantiated: false, "instantiate");
        if (body?.FlavourId is { Length: > 0 } f && f != "default")
        {
            throw Invalid("flavourId", $"'{f}' is not a flavour of this VNF; LightNFV descriptors have one flavour, 'default'");
        }
        var replicas = body?.InstantiationLevelId is { } level ? Level(level, "instantiationLevelId") : (int?)null;
        using (PlatformStore.LcmScope("INSTANTIATE"))
        {
            return lifecycle.Instantiate(v.Tenant, v.VnfdName, replicas, v.VnfdVersion);
        }
    }

    public OperationRecord Scale(string id, ScaleVnfRequest? body)
    {
        var v = RequireState(id, instantiated: true, "scale");
        var outward = body?.Type switch
        {
            "SCALE_OUT" => true,
            "SCALE_IN" => false,
            null => throw Invalid("type", "required: SCALE_OUT or SCALE_IN"),
            var other => throw Invalid("type", $"'{other}' is not a scale type; use SCALE_OUT or SCALE_IN"),
        };
        CheckAspect(body.AspectId, "aspectId");
        var steps = body.NumberOfSteps ?? 1;
        if (steps < 1)
        {
            throw Invalid("numberOfSteps", $"{steps} is not a number of steps; use 1 or more (one step is one replica)");
        }
        var d = store.Deployment(v.Tenant, v.VnfdName)!;
        var target = outward ? d.Replicas + steps : d.Replicas - steps;
        if (target < 0)
        {
            throw Invalid("numberOfSteps", $"scaling in by {steps} from {d.Replicas} replica(s) leaves fewer than 0; use at most {d.Replicas}");
        }
        using (PlatformStore.LcmScope("SCALE"))
        {
            return lifecycle.Scale(v.Tenant, v.VnfdName, target);
        }
    }

    public OperationRecord ScaleToLevel(string id, ScaleVnfToLevelRequest? body)
    {
        var v = RequireState(id, instantiated: true, "scale to level");
        int level;
        if (body?.InstantiationLevelId is { } il)
        {
            if (body.ScaleInfo is { Count: > 0 })
            {
                throw Invalid("scaleInfo", "give instantiationLevelId or scaleInfo, not both");
            }
            level = Level(il, "instantiationLevelId");
        }
        else if (body?.ScaleInfo is [var info])
        {
            CheckAspect(info.AspectId, "scaleInfo[0].aspectId");
            level = info.ScaleLevel ?? throw Invalid("scaleInfo[0].scaleLevel", "required: the replica count to scale to");
        }
        else
        {
            throw Invalid("instantiationLevelId", "required (or scaleInfo with one entry for aspect 'replicas'): the replica count to scale to, e.g. \"3\"");
        }
        using (PlatformStore.LcmScope("SCALE_TO_LEVEL"))
        {
            return lifecycle.Scale(v.Tenant, v.VnfdName, level);
        }
    }

    public OperationRecord Heal(string id, HealVnfRequest? body)
    {
        var v = RequireState(id, instantiated: true, "heal");
        var vnfc = body?.VnfcInstanceId is { Count: > 0 } ids ? ids : null;
        if (vnfc is { Count: > 1 })
        {
            throw Invalid("vnfcInstanceId", "name one replica, or none with additionalParams.all to heal every replica");
        }
        using (PlatformStore.LcmScope("HEAL"))
        {
            return lifecycle.Heal(v.Tenant, v.VnfdName, vnfc?[0], body?.AdditionalParams?.All ?? false);
        }
    }

    public OperationRecord Operate(string id, OperateVnfRequest? body)
    {
        var v = RequireState(id, instantiated: true, "operate");
        var start = body?.ChangeStateTo switch
        {
            "STARTED" => true,
            "STOPPED" => false,
            null => throw Invalid("changeStateTo", "required: STARTED or STOPPED"),
            var other => throw Invalid("changeStateTo", $"'{other}' is not a VNF state; use STARTED or STOPPED"),
        };
        using (PlatformStore.LcmScope("OPERATE"))
        {
            return lifecycle.Operate(v.Tenant, v.VnfdName, start);
        }
    }

    public OperationRecord ChangeVnfpkg(string id, ChangeCurrentVnfPkgRequest? body)
    {
        var v = RequireState(id, instantiated: true, "change_vnfpkg");
        var vnfdId = body?.VnfdId is { Length: > 0 } s ? s : throw Invalid("vnfdId", $"required: {v.VnfdName}@VERSION, the descriptor version to roll to");
        var (name, version) = ParseVnfdId(vnfdId, "vnfdId");
        if (name != v.VnfdName)
        {
            throw Invalid("vnfdId", $"instance {id} runs descriptor '{v.VnfdName}'; give a version of it ({v.VnfdName}@N), not '{name}'");
        }
        using (PlatformStore.LcmScope("CHANGE_VNFPKG"))
        {
            return lifecycle.Update(v.Tenant, v.VnfdName, version);
        }
    }

    /// <summary>
    /// change_flavour as "change resources": the running descriptor with new spec.resources becomes a new version,
    /// rolled out as change_vnfpkg is (so it rolls back to the version before).
    /// </summary>
    public OperationRecord ChangeFlavour(string id, ChangeVnfFlavourRequest? body)
    {
        var v = RequireState(id, instantiated: true, "change_flavour");
        if (body?.NewFlavourId is not { Length: > 0 } flavour)
        {
            throw Invalid("newFlavourId", "required: \"default\" (LightNFV's one flavour), with additionalParams.vcpus, memoryMiB or pids to change");
        }
        if (flavour != "default")
        {
            throw Invalid("newFlavourId", $"'{flavour}' is not a flavour of {v.VnfdName}; its only flavour is \"default\" (change resources with additionalParams)");
        }
        if (body.InstantiationLevelId is not null)
        {
            throw Invalid("instantiationLevelId", "not taken by change_flavour here; change the replica count with scale_to_level");
        }
        if (body.AdditionalParams is not { } p || (p.Vcpus, p.MemoryMiB, p.Pids) is (null, null, null))
        {
            throw Invalid("additionalParams", "give at least one of vcpus, memoryMiB, pids, e.g. {\"memoryMiB\": 128}");
        }
        var d = store.Deployment(v.Tenant, v.VnfdName) ?? throw new LightNfvException(ErrorKind.State, $"vnfInstanceId: {id} is not instantiated");
        var running = store.Descriptor(v.Tenant, v.VnfdName, d.Version)
            ?? throw new LightNfvException(ErrorKind.NotFound, $"vnfdId: version {d.Version} of '{v.VnfdName}' is no longer stored");
        var added = lifecycle.AddDescriptor(DescriptorEdit.WithResources(running.Source, p.Vcpus, p.MemoryMiB, p.Pids));
        using (PlatformStore.LcmScope("CHANGE_FLAVOUR"))
        {
            return lifecycle.Update(v.Tenant, v.VnfdName, added.Version);
        }
    }

    public OperationRecord Terminate(string id)
    {
        var v = RequireState(id, instantiated: true, "terminate");
        using (PlatformStore.LcmScope("TERMINATE"))
        {
            return lifecycle.Terminate(v.Tenant, v.VnfdName);
        }
    }

    // ---- operation occurrences ----------------------------------------------------------------------

    public OperationRecord RequireOccurrence(string id) =>
        store.Operation(id) ?? throw new LightNfvException(ErrorKind.NotFound, $"vnfLcmOpOccId: no operation occurrence '{id}'; GET {Prefix}/vnf_lcm_op_occs lists them");

    /// <summary>Retry (FAILED_TEMP to PROCESSING): the same desired state again, with a fresh bound; failed replicas are replaced.</summary>
    public OperationRecord Retry(string id) => Audited(AuditActions.OperationRetry, id, null, () => DoRetry(id));

    /// <summary>Records a task on an occurrence in the audit trail, in the occurrence's tenant.</summary>
    private OperationRecord Audited(string action, string id, object? parameters, Func<OperationRecord> act) =>
        store.Audited(action, store.Operation(id)?.Tenant, $"operation/{id}", parameters, act);

    private OperationRecord DoRetry(string id)
    {
        var op = RequireLcm(id, "retry");
        var retried = store.TransitionOperation(id, new OperationTransition([OperationState.FailedTemp], OperationState.Processing, Restart: true));
        switch (OperationParameters.Of(op))
        {
            case HealParameters { InstanceIds: [var first, ..] }:
                reconciler.RequestHeal(first, "heal retried", id);
                break;
            case UnknownParameters { Kind: OperationKinds.Operate } p when store.Deployment(op.Tenant, op.Deployment) is { } d:
                var start = p.Values.GetValueOrDefault(OperateParameters.StateKey) == "STARTED";
                _ = Task.Run(() => reconciler.OperateAsync(d, start, id));
                break;
            default:
                reconciler.Kick();
                break;
        }
        return retried;
    }

    /// <summary>
    /// Rollback (FAILED_TEMP to ROLLING_BACK, then ROLLED_BACK once converged): desired state returns to what it was
    /// before the operation. Only instantiate, scale (Tacker: scale-out only) and change_vnfpkg can be rolled back, as in Tacker.
    /// </summary>
    public OperationRecord Rollback(string id) => Audited(AuditActions.OperationRollback, id, null, () => DoRollback(id));

    private OperationRecord DoRollback(string id)
    {
        var op = RequireLcm(id, "rollback");
        var d = store.Deployment(op.Tenant, op.Deployment);
        var transition = new OperationTransition([OperationState.FailedTemp], OperationState.RollingBack, op.Error);
        transition = OperationParameters.Of(op) switch
        {
            InstantiateParameters => transition with { Terminate = true },
            ScaleParameters { PreviousReplicas: { } n } when d is not null => transition with { Desired = d with { Replicas = n } },
            UpdateParameters { PreviousVersion: { } version } when d is not null => transition with { Desired = d with { Version = version } },
            _ => throw new LightNfvException(ErrorKind.Conflict,
                $"vnfLcmOpOccId: rollback of {LcmOf(op)} is not supported (only INSTANTIATE, SCALE, SCALE_TO_LEVEL, CHANGE_VNFPKG and CHANGE_FLAVOUR); retry or fail it"),
        };
        var rolling = store.TransitionOperation(id, transition);
        reconciler.Kick();
        return rolling;
    }

    /// <summary>Fail (FAILED_TEMP to FAILED, final): the VNF is left as it is; the instance's other tasks are allowed again.</summary>
    public OperationRecord Fail(string id) => Audited(AuditActions.OperationFail, id, null, () =>
    {
        var op = RequireLcm(id, "fail");
        return store.TransitionOperation(id, new OperationTransition([OperationState.FailedTemp], OperationState.Failed, op.Error));
    });

    /// <summary>
    /// Cancel (STARTING, PROCESSING or ROLLING_BACK to FAILED_TEMP): the occurrence stops being followed; the caller then
    /// retries, rolls back or fails it. What the reconciler has already started toward desired state is not undone.
    /// </summary>
    public OperationRecord Cancel(string id, CancelModeRequest? body) =>
        Audited(AuditActions.OperationCancel, id, new { cancelMode = body?.CancelMode }, () => DoCancel(id, body));

    private OperationRecord DoCancel(string id, CancelModeRequest? body)
    {
        RequireLcm(id, "cancel");
        var mode = body?.CancelMode ?? "GRACEFUL";
        if (mode is not ("GRACEFUL" or "FORCEFUL"))
        {
            throw Invalid("cancelMode", $"'{mode}' is not a cancel mode; use GRACEFUL or FORCEFUL");
        }
        return store.TransitionOperation(id, new OperationTransition(
            [OperationState.Starting, OperationState.Processing, OperationState.RollingBack], OperationState.FailedTemp, $"cancelled ({mode})"));
    }

    // ---- views ---------------------------------------------------------------------------------------

    public VnfInstanceDto View(VnfInstanceRecord v)
    {
        var d = store.Deployment(v.Tenant, v.VnfdName);
        var self = $"{Prefix}/vnf_instances/{v.Id}";
        Link? L(bool allowed, string task) => allowed ? new Link($"{self}/{task}") : null;
        InstantiatedVnfInfo? info = null;
        if (d is not null)
        {
            var replicas = store.List().Where(r => r.Tenant == v.Tenant && r.Deployment == v.VnfdName).ToList();
            var stopped = replicas.Count > 0 && replicas.All(r => r.State == InstanceState.Stopped);
            info = new InstantiatedVnfInfo("default", stopped ? "STOPPED" : "STARTED", [new ScaleStatus(Aspect, d.Replicas)],
                replicas.Select(r => new VnfcResourceInfo(r.Id, r.Name, r.State.ToString().ToUpperInvariant(), r.Address, r.Version)).ToList());
        }
        var on = d is not null;
        return new VnfInstanceDto(v.Id, v.InstanceName, v.Description, VnfdId(v.VnfdName, d?.Version ?? v.VnfdVersion), d?.Version ?? v.VnfdVersion,
            "LightNFV", v.VnfdName, on ? "INSTANTIATED" : "NOT_INSTANTIATED", info, new VnfInstanceMetadataDto(v.Tenant),
            new VnfInstanceLinks(new Link(self), L(!on, "instantiate"), L(on, "terminate"), L(on, "scale"), L(on, "scale_to_level"), L(on, "heal"),
                L(on, "operate"), L(on, "change_vnfpkg"), L(on, "change_flavour")));
    }

    public VnfLcmOpOccDto View(OperationRecord op)
    {
        var lcm = store.LcmOperation(op.Id);
        var instance = store.VnfInstanceOf(op.Tenant, op.Deployment);
        var self = $"{Prefix}/vnf_lcm_op_occs/{op.Id}";
        var temp = lcm is not null && op.State == OperationState.FailedTemp;
        var running = lcm is not null && op.State is OperationState.Processing or OperationState.RollingBack or OperationState.Starting;
        Link? L(bool allowed, string task) => allowed ? new Link($"{self}/{task}") : null;
        var error = op.Error is { } e && op.State != OperationState.Completed
            ? new OpOccError(op.State == OperationState.RolledBack ? "Rolled back" : "Operation failed", StatusCodes.Status500InternalServerError, e)
            : null;
        return new VnfLcmOpOccDto(op.Id, PlatformStore.Sol003State(op.State), op.UpdatedAt, op.CreatedAt, instance?.Id, lcm ?? LcmOf(op), lcm is null,
            op.Parameters, false, error,
            new VnfLcmOpOccLinks(new Link(self), instance is null ? null : new Link($"{Prefix}/vnf_instances/{instance.Id}"),
                L(temp, "retry"), L(temp, "rollback"), L(temp, "fail"), L(running, "cancel")));
    }

    // ---- helpers -------------------------------------------------------------------------------------

    private OperationRecord RequireLcm(string id, string task)
    {
        var op = RequireOccurrence(id);
        if (store.LcmOperation(id) is null)
        {
            throw new LightNfvException(ErrorKind.Conflict,
                $"vnfLcmOpOccId: operation {id} was not started through {Prefix} (it is {PlatformStore.Sol003State(op.State)} and resolves itself: a failure rolls back on its own); it cannot {task}");
        }
        return op;
    }

    private VnfInstanceRecord RequireState(string id, bool instantiated, string task)
    {
        var v = Require(id);
        if (IsInstantiated(v) != instantiated)
        {
            throw new LightNfvException(ErrorKind.Conflict, instantiated
                ? $"vnfInstanceId: VNF instance {id} is NOT_INSTANTIATED; {task} needs it INSTANTIATED: POST {Prefix}/vnf_instances/{id}/instantiate first"
                : $"vnfInstanceId: VNF instance {id} is already INSTANTIATED; scale, heal or change it, or POST {Prefix}/vnf_instances/{id}/terminate first");
        }
        return v;
    }

    /// <summary>The SOL003 operation name of an operation not started through the LCM API.</summary>
    private static string LcmOf(OperationRecord op) => op.Kind switch
    {
        OperationKinds.Update => "CHANGE_VNFPKG",
        var k => k.ToUpperInvariant(),
    };

    private static string VnfdId(string name, int? version) =>
        version is { } n ? string.Create(CultureInfo.InvariantCulture, $"{name}@{n}") : name;

    private static (string Name, int? Version) ParseVnfdId(string vnfdId, string field)
    {
        var at = vnfdId.LastIndexOf('@');
        if (at < 0)
        {
            return (vnfdId, null);
        }
        return int.TryParse(vnfdId.AsSpan(at + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v > 0 && at > 0
            ? (vnfdId[..at], v)
            : throw Invalid(field, $"'{vnfdId}' is not name or name@version (version a number from 1)");
    }

    private static int Level(string level, string field) =>
        int.TryParse(level, NumberStyles.None, CultureInfo.InvariantCulture, out var n)
            ? n
            : throw Invalid(field, $"'{level}' is not an instantiation level; a level is the replica count, e.g. \"2\"");

    private static void CheckAspect(string? aspect, string field)
    {
        if (aspect is not null && aspect != Aspect)
        {
            throw Invalid(field, $"'{aspect}' is not a scaling aspect of this VNF; the one aspect is '{Aspect}' (one step = one replica)");
        }
    }

    private static LightNfvException Invalid(string field, string message) => new(ErrorKind.Invalid, $"{field}: {message}");
}
