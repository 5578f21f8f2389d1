using System.Text.RegularExpressions;
using LightNfv.Core.Descriptors;
using LightNfv.Core.Errors;

namespace LightNfv.Core.Tenants;

/// <summary>
/// A tenant's limits; null is unlimited. Instances and the resources they declare (spec.resources) count whatever their
/// state (a stopped instance keeps its reservation: starting it again must not fail); VNFs are stored descriptors.
/// </summary>
public sealed record TenantQuota(int? Instances = null, int? Vcpus = null, int? MemoryMiB = null, int? Pids = null, int? Vnfs = null)
{
    public static TenantQuota Unlimited { get; } = new();

    /// <summary>Whether any limit is set (an unlimited tenant is admitted without reading its usage).</summary>
    public bool Limited => Instances is not null || Vcpus is not null || MemoryMiB is not null || Pids is not null || Vnfs is not null;

    /// <summary>Each limit of <paramref name="change"/> that is set replaces this one's; <paramref name="unset"/> names those made unlimited.</summary>
    public TenantQuota With(TenantQuota change, IReadOnlyCollection<string> unset) => new(
        unset.Contains(TenantResources.Instances) ? null : change.Instances ?? Instances,
        unset.Contains(TenantResources.Vcpus) ? null : change.Vcpus ?? Vcpus,
        unset.Contains(TenantResources.MemoryMiB) ? null : change.MemoryMiB ?? MemoryMiB,
        unset.Contains(TenantResources.Pids) ? null : change.Pids ?? Pids,
        unset.Contains(TenantResources.Vnfs) ? null : change.Vnfs ?? Vnfs);

    /// <summary>Refuses a negative limit, naming the field.</summary>
    public TenantQuota Checked()
    {
        foreach (var (name, value) in Limits())
        {
            if (value < 0)
            {
                throw new LightNfvException(ErrorKind.Invalid, $"{TenantResources.Field(name)}: {value} is negative; give 0 or more, or leave it unset for unlimited");
            }
        }
        return this;
    }

    /// <summary>The limits by resource name (<see cref="TenantResources"/>), in a fixed order.</summary>
    public IEnumerable<(string Resource, long? Limit)> Limits() =>
    [
        (TenantResources.Instances, Instances), (TenantResources.Vcpus, Vcpus), (TenantResources.MemoryMiB, MemoryMiB),
        (TenantResources.Pids, Pids), (TenantResources.Vnfs, Vnfs),
    ];
}

/// <summary>What a tenant holds now, computed from the store (never kept as a counter that could drift).</summary>
public sealed record TenantUsage(int Instances, long Vcpus, long MemoryMiB, long Pids, int Vnfs)
{
    public static TenantUsage None { get; } = new(0, 0, 0, 0, 0);

    /// <summary>What <paramref name="count"/> instances declaring <paramref name="resources"/> take.</summary>
    public static TenantUsage Of(ResourceSpec resources, int count = 1) =>
        new(count, (long)resources.Vcpus * count, (long)resources.MemoryMiB * count, (long)resources.Pids * count, 0);

    public TenantUsage Plus(TenantUsage other) =>
        new(Instances + other.Instances, Vcpus + other.Vcpus, MemoryMiB + other.MemoryMiB, Pids + other.Pids, Vnfs + other.Vnfs);

    public TenantUsage Minus(TenantUsage other) =>
        new(Instances - other.Instances, Vcpus - other.Vcpus, MemoryMiB - other.MemoryMiB, Pids - other.Pids, Vnfs - other.Vnfs);

    /// <summary>The amount of one resource (<see cref="TenantResources"/>).</summary>
    public long Of(string resource) => resource switch
    {
        TenantResources.Instances => Instances,
        TenantResources.Vcpus => Vcpus,
        TenantResources.MemoryMiB => MemoryMiB,
        TenantResources.Pids => Pids,
        TenantResources.Vnfs => Vnfs,
        _ => throw new ArgumentOutOfRangeException(nameof(resource), resource, null),
    };
}

/// <summary>The names of the resources a quota limits, as /metrics labels them and errors name them.</summary>
public static partial class TenantResources
{
    public const string Instances = "instances", Vcpus = "vcpus", MemoryMiB = "memory_mib", Pids = "pids", Vnfs = "vnfs";

    public const string DefaultTenant = "default";

    public static readonly string[] All = [Instances, Vcpus, MemoryMiB, Pids, Vnfs];

    /// <summary>The quota field as the API and CLI spell it (maxInstances, --max-instances).</summary>
    public static string Field(string resource) => resource switch
    {
        Instances => "maxInstances",
        Vcpus => "maxVcpus",
        MemoryMiB => "maxMemoryMiB",
        Pids => "maxPids",
        _ => "maxVnfs",
    };

    /// <summary>A tenant name is a DNS label, as metadata.tenant is.</summary>
    public static string CheckName(string? name, string field = "name") =>
        name is not null && DnsLabel().IsMatch(name) ? name
            : throw new LightNfvException(ErrorKind.Invalid,
                $"{field}: '{name}' is not a valid tenant name; use 1 to 40 lowercase letters, digits or '-', starting and ending with a letter or digit (e.g. 'team-a')");

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]{0,38}[a-z0-9])?$")]
    private static partial Regex DnsLabel();
}
