using System.Globalization;
using LightNfv.Core.Descriptors;
using LightNfv.Core.Errors;

namespace LightNfv.Platform.Lifecycle;

/// <summary>
/// A live resize asked for (`lightnfv resize`, POST /instances/{id}/resize): the limits to change, null for those kept.
/// <see cref="BandwidthMbps"/> 0 removes the bandwidth limit; <see cref="CpuSet"/> "" unpins.
/// </summary>
public sealed record ResourceChange(int? Vcpus = null, int? MemoryMiB = null, int? Pids = null, int? BandwidthMbps = null, string? CpuSet = null)
{
    /// <summary>The fields a request may carry, as the API and the descriptor name them.</summary>
    public static readonly IReadOnlyList<string> Fields = ["vcpus", "memoryMiB", "pids", "bandwidthMbps", "cpuset"];

    public bool IsEmpty => this == new ResourceChange();

    /// <summary>The new size: <paramref name="current"/> with the given fields changed (bounds are checked by parsing the edited descriptor).</summary>
    public ResourceSpec Apply(ResourceSpec current)
    {
        if (IsEmpty)
        {
            throw new LightNfvException(ErrorKind.Invalid,
                $"nothing to change: give at least one of {string.Join(", ", Fields)} (e.g. {{\"memoryMiB\": 256}}, or `lightnfv resize ID --memory 256`)");
        }
        if (BandwidthMbps is < 0)
        {
            throw new LightNfvException(ErrorKind.Invalid, $"bandwidthMbps: {BandwidthMbps} is negative; give Mbit/s from 1, or 0 to remove the limit");
        }
        return new ResourceSpec(Vcpus ?? current.Vcpus, MemoryMiB ?? current.MemoryMiB, Pids ?? current.Pids)
        {
            BandwidthMbps = BandwidthMbps switch { null => current.BandwidthMbps, 0 => null, var b => b },
            CpuSet = CpuSet switch { null => current.CpuSet, "" => null, var c => c },
        };
    }

    /// <summary>"2 vCPU, 256 MiB, 128 pids, 100 Mbit/s, cpuset 0": for events and messages.</summary>
    public static string Describe(ResourceSpec r) =>
        string.Create(CultureInfo.InvariantCulture, $"{r.Vcpus} vCPU, {r.MemoryMiB} MiB, {r.Pids} pids")
        + (r.BandwidthMbps is { } b ? string.Create(CultureInfo.InvariantCulture, $", {b} Mbit/s") : "")
        + (r.CpuSet is { } c ? $", cpuset {c}" : "");
}
