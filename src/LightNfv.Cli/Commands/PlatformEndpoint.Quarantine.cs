using System.Text.Json;
using LightNfv.Server.Api;

namespace LightNfv.Cli.Commands;

public abstract partial class PlatformEndpoint
{
    /// <summary>Freezes an instance and cuts its port (`lightnfv quarantine`): a <see cref="QuarantineDto"/>.</summary>
    public abstract Task<JsonElement> QuarantineAsync(string reference, CancellationToken ct);

    /// <summary>Thaws a quarantined instance and rejoins its port (`lightnfv release`): an <see cref="InstanceDto"/>.</summary>
    public abstract Task<JsonElement> ReleaseAsync(string reference, CancellationToken ct);
}

public sealed partial class EmbeddedPlatform
{
    // Without a daemon a replica is quarantined all the same (a suspect must not wait for one); the next `serve` leaves it
    // quarantined and gives its VNF a replacement. The alert goes to the store, where `lightnfv events` finds it.
    public override Task<JsonElement> QuarantineAsync(string reference, CancellationToken ct) => Json.Async(async () =>
        QuarantineDto.Of(await Context.Instances.QuarantineAsync(Context.Instances.Resolve(reference), null, ct).ConfigureAwait(false)));

    public override Task<JsonElement> ReleaseAsync(string reference, CancellationToken ct) => Json.Async(async () =>
        InstanceDto.Of(await Context.Instances.ReleaseAsync(Context.Instances.Resolve(reference), null, ct).ConfigureAwait(false)));
}

public sealed partial class DaemonPlatform
{
    public override Task<JsonElement> QuarantineAsync(string reference, CancellationToken ct) =>
        Client.SendAsync(HttpMethod.Post, Instance(reference) + "/quarantine", ct: ct);

    public override Task<JsonElement> ReleaseAsync(string reference, CancellationToken ct) =>
        Client.SendAsync(HttpMethod.Post, Instance(reference) + "/release", ct: ct);
}
