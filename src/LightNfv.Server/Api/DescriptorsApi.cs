using System.Text;
using System.Text.Json;
using LightNfv.Core.Descriptors;
using LightNfv.Core.Errors;
using LightNfv.Core.Identity;
using LightNfv.Platform.Control;
using LightNfv.Platform.Store;
using LightNfv.Server.Api.Concurrency;
using LightNfv.Server.Api.Query;
using LightNfv.Server.Auth;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.Net.Http.Headers;

namespace LightNfv.Server.Api;

/// <summary>/api/v1/descriptors: VNF descriptors and their versions (each POST of a changed text is a new version).</summary>
public static class DescriptorsApi
{
    public static void Map(RouteGroupBuilder api)
    {
        var g = api.MapGroup("/descriptors").WithTags("descriptors");
        g.MapPost("/", async (HttpRequest request, VnfLifecycle lifecycle) =>
        {
            var yaml = await ReadDescriptorAsync(request).ConfigureAwait(false);
            _ = DescriptorTenant(DescriptorParser.Parse(yaml).Metadata.Tenant);
            var d = lifecycle.AddDescriptor(yaml);
            return Results.Created($"/api/v1/descriptors/{d.Name}/versions/{d.Version}?tenant={d.Tenant}", DescriptorDto.Of(d));
        }).Accepts<string>("application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml", "text/plain", "application/json").Produces<DescriptorDto>(StatusCodes.Status201Created)
          .WithMetadata(new BodySizeLimit(MaxBodyBytes)).WithSummary("Create a descriptor, or a new version of one");

        g.MapGet("/", (PlatformStore store) => Scope.Filter(store.LatestDescriptors(), d => d.Tenant).Select(DescriptorDto.Of)).WithListQuery<DescriptorDto>()
            .WithSummary("Latest version of every descriptor");

        g.MapGet("/{name}", (string name, string? tenant, PlatformStore store) =>
            DescriptorDto.Of(store.Descriptor(Tenant(tenant), name) ?? throw NotFound(name))).WithETag(Version, "descriptor")
            .WithSummary("Latest version of a descriptor");

        g.MapGet("/{name}/versions", (string name, string? tenant, PlatformStore store) =>
        {
            var all = store.DescriptorVersions(Tenant(tenant), name);
            return all.Count == 0 ? throw NotFound(name) : all.Select(DescriptorDto.Of);
        }).WithListQuery<DescriptorDto>().WithSummary("Every version of a descriptor");

        g.MapGet("/{name}/versions/{version:int}", (string name, int version, string? tenant, PlatformStore store) =>
            DescriptorDto.Of(store.Descriptor(Tenant(tenant), name, version)
                ?? throw new LightNfvException(ErrorKind.NotFound, $"version: descriptor '{name}' has no version {version}")));

        g.MapDelete("/{name}", (string name, string? tenant, VnfLifecycle lifecycle) =>
            lifecycle.DeleteDescriptor(Tenant(tenant), name) ? Results.NoContent() : throw NotFound(name))
            .Produces(StatusCodes.Status204NoContent).WithETag(Version, "descriptor").WithSummary("Delete a descriptor (all versions)");
    }

    /// <summary>
    /// The request body limit of the descriptor routes: the descriptor limit (256 KiB of YAML) with room for JSON's
    /// escaping of it ({"yaml": "..."} writes each newline and quote as two bytes). The YAML itself is then held to
    /// <see cref="DescriptorLimits.MaxBytes"/> before it is parsed.
    /// </summary>
    public const int MaxBodyBytes = 4 * DescriptorLimits.MaxBytes;

    private static readonly string[] s_yamlTypes = ["application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml", "text/plain"];

    /// <summary>The descriptor text of a POST: a YAML body, or {"yaml": "..."} for clients that only speak JSON.</summary>
    public static async Task<string> ReadDescriptorAsync(HttpRequest request)
    {
        var mediaType = MediaTypeHeaderValue.TryParse(request.ContentType, out var parsed) ? parsed.MediaType.Value?.ToLowerInvariant() : null;
        var json = mediaType is "application/json" || mediaType?.EndsWith("+json", StringComparison.Ordinal) == true;
        if (request.ContentType is { Length: > 0 } && !json && !s_yamlTypes.Contains(mediaType))
        {
            throw new BadHttpRequestException(
                $"Content-Type: '{request.ContentType}' is not accepted here; send the descriptor as application/yaml, or as application/json {{\"yaml\": \"...\"}}",
                StatusCodes.Status415UnsupportedMediaType);
        }

        // Read at most one byte past the limit, whatever the server's own limit (a test server has none).
        var buffer = new byte[MaxBodyBytes + 1];
        var total = 0;
        int n;
        try
        {
            while (total < buffer.Length && (n = await request.Body.ReadAsync(buffer.AsMemory(total), request.HttpContext.RequestAborted).ConfigureAwait(false)) > 0)
            {
                total += n;
            }
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            // Kestrel's own check (Content-Length over the route's limit): the same answer as ours.
            total = buffer.Length;
        }
        if (total > MaxBodyBytes)
        {
            throw new BadHttpRequestException(
                $"body: the request body is over the limit of {MaxBodyBytes} bytes for a descriptor request (a descriptor may be {DescriptorLimits.MaxBytes} bytes, 256 KiB)",
                StatusCodes.Status413PayloadTooLarge);
        }
        var text = Encoding.UTF8.GetString(buffer, 0, total);
        if (!json)
        {
            return text;
        }
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(text);
        }
        catch (JsonException e)
        {
            throw new LightNfvException(ErrorKind.Invalid, $"yaml: the body is not JSON ({e.Message}); send {{\"yaml\": \"...\"}}, or the descriptor itself as application/yaml");
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new LightNfvException(ErrorKind.Invalid, $"yaml: the body is a JSON {doc.RootElement.ValueKind.ToString().ToLowerInvariant()}, not an object; send {{\"yaml\": \"...\"}}, or the descriptor itself as application/yaml");
            }
            if (!doc.RootElement.TryGetProperty("yaml", out var y) || y.ValueKind != JsonValueKind.String)
            {
                throw new LightNfvException(ErrorKind.Invalid, "yaml: missing or not a string; send the descriptor as {\"yaml\": \"...\"} or as application/yaml");
            }
            return y.GetString()!;
        }
    }

    /// <summary>The stored version a descriptor's ETag is made from: its latest version (a new POST makes a new one).</summary>
    private static string? Version(HttpContext http) =>
        http.RequestServices.GetRequiredService<PlatformStore>().Descriptor(Tenant(http.Request.Query["tenant"]), (string)http.Request.RouteValues["name"]!) is { } d
            ? $"descriptor/{d.Tenant}/{d.Name}/{d.Version}/{d.CreatedAt:O}" : null;

    /// <summary>The tenant a request acts in (the caller's own by default); another tenant's answers as absent (see Scope).</summary>
    public static string Tenant(string? tenant) => Scope.Tenant(tenant, () => new LightNfvException(ErrorKind.NotFound,
        $"tenant: no tenant '{tenant}'; omit ?tenant= to act in your own"));

    /// <summary>A descriptor's metadata.tenant (default: `default`), checked as <see cref="Tenant"/> is, in its own words.</summary>
    public static string DescriptorTenant(string tenant) => Scope.Tenant(tenant, () => new LightNfvException(ErrorKind.NotFound,
        $"metadata.tenant: no tenant '{tenant}'; write your own tenant{(Caller.Current.Tenant is { } own ? $" ('{own}')" : "")} in metadata.tenant"));

    private static LightNfvException NotFound(string name) =>
        new(ErrorKind.NotFound, $"name: no descriptor named '{name}'; 'lightnfv vnf ls' lists the instantiated VNFs (GET /api/v1/descriptors lists the stored descriptors)");
}

/// <summary>A route's own request body limit, which Kestrel applies in place of its default (IRequestSizeLimitMetadata).</summary>
public sealed class BodySizeLimit(long bytes) : IRequestSizeLimitMetadata
{
    public long? MaxRequestBodySize { get; } = bytes;
}
