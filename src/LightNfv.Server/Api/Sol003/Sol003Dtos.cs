using System.Text.Json.Serialization;

namespace LightNfv.Server.Api.Sol003;

// Request and response bodies of /vnflcm/v1, named after ETSI SOL003 (VnfInstance, VnfLcmOpOcc, InstantiateVnfRequest...),
// trimmed to what LightNFV does. Every request field is optional in the type so a missing one gets a problem naming it.

/// <summary>CreateVnfRequest: which descriptor ("name" or "name@version"), a display name and description, the tenant.</summary>
public sealed record CreateVnfRequest(string? VnfdId, string? VnfInstanceName, string? VnfInstanceDescription, VnfInstanceMetadata? Metadata);

/// <summary>Metadata of a VNF instance: its tenant (default "default").</summary>
public sealed record VnfInstanceMetadata(string? Tenant);

/// <summary>InstantiateVnfRequest: the flavour (only "default") and instantiation level (the replica count, e.g. "2").</summary>
public sealed record InstantiateVnfRequest(string? FlavourId, string? InstantiationLevelId);

/// <summary>ScaleVnfRequest: SCALE_OUT or SCALE_IN by numberOfSteps (default 1) replicas of aspect "replicas".</summary>
public sealed record ScaleVnfRequest(string? Type, string? AspectId, int? NumberOfSteps);

/// <summary>ScaleVnfToLevelRequest: an instantiation level ("3") or the scale level of aspect "replicas"; one of the two.</summary>
public sealed record ScaleVnfToLevelRequest(string? InstantiationLevelId, IReadOnlyList<ScaleInfo>? ScaleInfo);

/// <summary>One aspect's scale level (the only aspect is "replicas": the level is the replica count).</summary>
public sealed record ScaleInfo(string? AspectId, int? ScaleLevel);

/// <summary>HealVnfRequest: why; which replica (vnfcInstanceId), or all of them (additionalParams.all), else the unhealthy ones.</summary>
public sealed record HealVnfRequest(string? Cause, IReadOnlyList<string>? VnfcInstanceId, HealAdditionalParams? AdditionalParams);

/// <summary>Heal options: all = every replica, healthy or not.</summary>
public sealed record HealAdditionalParams(bool? All);

/// <summary>OperateVnfRequest: STARTED or STOPPED, for every replica.</summary>
public sealed record OperateVnfRequest(string? ChangeStateTo, string? StopType, int? GracefulStopTimeout);

/// <summary>ChangeCurrentVnfPkgRequest: the descriptor version to roll to ("name@version"; the name is the instance's).</summary>
public sealed record ChangeCurrentVnfPkgRequest(string? VnfdId);

/// <summary>
/// ChangeVnfFlavourRequest: LightNFV has one flavour ("default"); additionalParams carry the resources to change
/// (vcpus, memoryMiB, pids), rolled out as a new descriptor version one replica at a time.
/// </summary>
public sealed record ChangeVnfFlavourRequest(string? NewFlavourId, string? InstantiationLevelId, ChangeFlavourParams? AdditionalParams);

/// <summary>The resources a change_flavour sets; each absent one keeps its value.</summary>
public sealed record ChangeFlavourParams(int? Vcpus, int? MemoryMiB, int? Pids);

/// <summary>TerminateVnfRequest: accepted for SOL003 clients; LightNFV always stops each replica gracefully.</summary>
public sealed record TerminateVnfRequest(string? TerminationType, int? GracefulTerminationTimeout);

/// <summary>CancelMode: GRACEFUL or FORCEFUL (both mark the occurrence FAILED_TEMP; see the README).</summary>
public sealed record CancelModeRequest(string? CancelMode);

/// <summary>A link to a resource or task.</summary>
public sealed record Link(string Href);

/// <summary>VnfInstance.</summary>
public sealed record VnfInstanceDto(string Id, string? VnfInstanceName, string? VnfInstanceDescription, string VnfdId, int? VnfdVersion,
    string VnfProvider, string VnfProductName, string InstantiationState, InstantiatedVnfInfo? InstantiatedVnfInfo, VnfInstanceMetadataDto Metadata,
    [property: JsonPropertyName("_links")] VnfInstanceLinks Links);

/// <summary>The tenant a VNF instance belongs to.</summary>
public sealed record VnfInstanceMetadataDto(string Tenant);

/// <summary>What runs of an instantiated VNF: flavour, STARTED/STOPPED, its scale level and its replicas (VNFCs).</summary>
public sealed record InstantiatedVnfInfo(string FlavourId, string VnfState, IReadOnlyList<ScaleStatus> ScaleStatus, IReadOnlyList<VnfcResourceInfo> VnfcResourceInfo);

/// <summary>The scale level of one aspect.</summary>
public sealed record ScaleStatus(string AspectId, int ScaleLevel);

/// <summary>One replica: its instance id (as /api/v1/instances knows it), name, state, address and descriptor version.</summary>
public sealed record VnfcResourceInfo(string Id, string Name, string State, string? Address, int? VnfdVersion);

/// <summary>Links of a VNF instance: itself, and the LCM tasks allowed in its instantiation state.</summary>
public sealed record VnfInstanceLinks(Link Self, Link? Instantiate, Link? Terminate, Link? Scale, Link? ScaleToLevel, Link? Heal, Link? Operate, Link? ChangeVnfpkg, Link? ChangeFlavour);

/// <summary>VnfLcmOpOcc: one lifecycle operation occurrence.</summary>
public sealed record VnfLcmOpOccDto(string Id, string OperationState, DateTimeOffset StateEnteredTime, DateTimeOffset StartTime, string? VnfInstanceId,
    string Operation, bool IsAutomaticInvocation, IReadOnlyDictionary<string, string> OperationParams, bool IsCancelPending, OpOccError? Error,
    [property: JsonPropertyName("_links")] VnfLcmOpOccLinks Links);

/// <summary>Why an occurrence failed (ProblemDetails' title, status and detail).</summary>
public sealed record OpOccError(string Title, int Status, string Detail);

/// <summary>Links of an occurrence: itself, its VNF instance, and the tasks its state allows.</summary>
public sealed record VnfLcmOpOccLinks(Link Self, Link? VnfInstance, Link? Retry, Link? Rollback, Link? Fail, Link? Cancel);
