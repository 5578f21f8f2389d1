namespace LightNfv.Platform.Audit;

/// <summary>The actions the audit trail names: resource.verb, like the API's routes.</summary>
public static class AuditActions
{
    public const string DescriptorCreate = "descriptor.create", DescriptorDelete = "descriptor.delete";
    public const string VnfInstantiate = "vnf.instantiate", VnfScale = "vnf.scale", VnfUpdate = "vnf.update", VnfTerminate = "vnf.terminate",
        VnfHeal = "vnf.heal", VnfOperate = "vnf.operate";
    public const string VnfInstanceCreate = "vnf_instance.create", VnfInstanceDelete = "vnf_instance.delete";
    public const string OperationRetry = "operation.retry", OperationRollback = "operation.rollback", OperationFail = "operation.fail",
        OperationCancel = "operation.cancel";
    public const string InstanceRun = "instance.run", InstanceStop = "instance.stop", InstanceStart = "instance.start", InstanceRemove = "instance.remove",
        InstanceRemoveAll = "instance.remove_all", OrphanRemove = "orphan.remove", PlatformDown = "platform.down";
    /// <summary>An instance frozen and cut from its segment, and its release (see InstanceService.QuarantineAsync).</summary>
    public const string InstanceQuarantine = "instance.quarantine", InstanceRelease = "instance.release";
    public const string InstanceResize = "instance.resize";
    /// <summary>An event acknowledged by an operator (AlertHub.Acknowledge).</summary>
    public const string AlertAcknowledge = "alert.acknowledge";
    public const string SubscriptionCreate = "subscription.create", SubscriptionDelete = "subscription.delete";

    /// <summary>What the platform does on its own (actor system:heal, system:adoption ...).</summary>
    public const string ReplicaHeal = "replica.heal", ReplicaAdopt = "replica.adopt", ReplicaRemoveHalfDone = "replica.remove_half_done";
}
