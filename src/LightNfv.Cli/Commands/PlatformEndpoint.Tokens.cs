using System.Text.Json;
using LightNfv.Server.Api;

namespace LightNfv.Cli.Commands;

// API tokens for `lightnfv token`: through the daemon one /api/v1/tokens call each; embedded, the API's own checks on
// the store, so both print the same.

public abstract partial class PlatformEndpoint
{
    /// <summary><see cref="TokenDto"/>s, never a secret.</summary>
    public abstract Task<JsonElement> TokensAsync(CancellationToken ct);

    /// <summary>A <see cref="CreatedTokenDto"/>: the record and the secret, shown this once.</summary>
    public abstract Task<JsonElement> CreateTokenAsync(TokenRequest request, CancellationToken ct);

    public abstract Task<JsonElement> RevokeTokenAsync(string name, CancellationToken ct);
}

public sealed partial class EmbeddedPlatform
{
    public override Task<JsonElement> TokensAsync(CancellationToken ct) => Json.Done(Store.Tokens().Select(TokenDto.Of).ToList());

    public override Task<JsonElement> CreateTokenAsync(TokenRequest request, CancellationToken ct) =>
        Json.Done(TokensApi.Create(request, Store, DateTimeOffset.UtcNow));

    public override Task<JsonElement> RevokeTokenAsync(string name, CancellationToken ct) => Json.Done(TokenDto.Of(Store.RevokeToken(name)));
}

public sealed partial class DaemonPlatform
{
    public override Task<JsonElement> TokensAsync(CancellationToken ct) => Client.SendAsync(HttpMethod.Get, "api/v1/tokens", ct: ct);

    public override Task<JsonElement> CreateTokenAsync(TokenRequest request, CancellationToken ct) =>
        Client.SendAsync(HttpMethod.Post, "api/v1/tokens", request, ct: ct);

    public override Task<JsonElement> RevokeTokenAsync(string name, CancellationToken ct) =>
        Client.SendAsync(HttpMethod.Delete, $"api/v1/tokens/{Uri.EscapeDataString(name)}", ct: ct);
}
