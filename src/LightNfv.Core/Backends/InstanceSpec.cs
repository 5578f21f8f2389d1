using LightNfv.Core.Descriptors;
using LightNfv.Core.Networking;

namespace LightNfv.Core.Backends;

/// <summary>Everything a backend needs to create one instance, resolved from the descriptor by the control plane.</summary>
public sealed record InstanceSpec(
    string Id,
    string Name,
    string Tenant,
    Technology Technology,
    IReadOnlyList<string> Argv,
    IReadOnlyDictionary<string, string> Env,
    ResourceSpec Resources,
    NetworkAttachment Network,
    string RunDirectory)
{
    /// <summary>Where the workload's stdout and stderr go.</summary>
    public string LogPath => LogPathIn(RunDirectory);

    /// <summary>The console log of the instance whose run directory this is (`lightnfv logs`).</summary>
    public static string LogPathIn(string runDirectory) => Path.Combine(runDirectory, "console.log");

    /// <summary>Capabilities the VNF keeps (CAP_ form); all others are dropped by isolating backends.</summary>
    public IReadOnlyList<string> Capabilities { get; init; } = [];

    /// <summary>Extra host files an image must carry.</summary>
    public IReadOnlyList<string> Files { get; init; } = [];

    /// <summary>The OCI runtime asked for (container backend), or null to choose by probe.</summary>
    public string? Runtime { get; init; }

    /// <summary>The VM accelerator (auto, kvm, tcg) or the unikernel tender (auto, kvm, process) asked for, or null for auto.</summary>
    public string? Accel { get; init; }
}
