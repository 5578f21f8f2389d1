using LightNfv.Core.Backends;
using LightNfv.Core.Descriptors;

namespace LightNfv.Backends.Oci;

public sealed partial class ContainerBackend
{
    /// <summary>Starts in tens of milliseconds (two or three processes); measured once per OCI runtime the host has.</summary>
    internal static readonly BackendProfile Known = new()
    {
        StartBound = TimeSpan.FromSeconds(10),
        Bench = new()
        {
            CreateCall = runtime => $"store, image (built once, then cached), namespace, veth, config.json, `{runtime} run --detach`",
        },
    };

    public BackendProfile Profile => Known;

    public IReadOnlyList<BackendVariant> Variants() => AvailableRuntimes().Select(r => new BackendVariant(r.Name, r.Version)).ToArray();

    /// <summary>Takes spec.runtime (its value is checked by the parser against the supported runtimes); no accelerator.</summary>
    public void Validate(VnfSpec spec) => SpecRules.RejectAccel(spec);
}
