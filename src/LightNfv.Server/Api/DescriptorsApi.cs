using System.Text.Json;
using LightNfv.Core.Errors;
using LightNfv.Platform.Control;
using LightNfv.Platform.Store;

namespace LightNfv.Server.Api;

/// <summary>/api/v1/descriptors: VNF descriptors and their versions (each POST of a changed text is a new version).</summary>
public static class DescriptorsApi
{
    public static void Map(RouteGroupBuilder api)
    {
        var g = api.MapGroup("/descriptors").WithTags("descriptors");
        g.MapPost("/", async (HttpRequest request, VnfLifecycle lifecycle) =>
        {
            using var reader = new StreamReader(request.Body);
            var body = await reader.ReadToEndAsync(request.HttpContext.RequestAborted).ConfigureAwait(false);
            var yaml = body;
            if (request.ContentType?.Contains("json", StringComparison.OrdinalIgnoreCase) == true)
            {
                // {"yaml": "..."} for clients that only speak JSON.
                try
                {
                    using var doc = JsonDocument.Parse(body);
                    yaml = doc.RootElement.TryGetProperty("yaml", out var y) && y.ValueKind == JsonValueKind.String ? y.GetString()! :
                        throw new LightNfvException(ErrorKind.Invalid, "yaml: missing; send the descriptor as {\"yaml\": \"...\"} or as application/yaml");
                }
                catch (JsonException e)
                {
                    throw new LightNfvException(ErrorKind.Invalid, $"yaml: the body is not JSON ({e.Message}); send the descriptor as application/yaml");
                }
            }
            var d = lifecycle.AddDescriptor(yaml);
            return Results.Created($"/api/v1/descriptors/{d.Name}/versions/{d.Version}?tenant={d.Tenant}", DescriptorDto.Of(d));
        }).Accepts<string>("application/yaml", "application/json").Produces<DescriptorDto>(StatusCodes.Status201Created).WithSummary("Create a descriptor, or a new version of one");

        g.MapGet("/", (PlatformStore store) => store.LatestDescriptors().Select(DescriptorDto.Of)).WithSummary("Latest version of every descriptor");

        g.MapGet("/{name}", (string name, string? tenant, PlatformStore store) =>
            DescriptorDto.Of(store.Descriptor(Tenant(tenant), name) ?? throw NotFound(name))).WithSummary("Latest version of a descriptor");

        g.MapGet("/{name}/versions", (string name, string? tenant, PlatformStore store) =>
        {
            var all = store.DescriptorVersions(Tenant(tenant), name);
            return all.Count == 0 ? throw NotFound(name) : all.Select(DescriptorDto.Of);
        }).WithSummary("Every version of a descriptor");

        g.MapGet("/{name}/versions/{version:int}", (string name, int version, string? tenant, PlatformStore store) =>
            DescriptorDto.Of(store.Descriptor(Tenant(tenant), name, version)
                ?? throw new LightNfvException(ErrorKind.NotFound, $"version: descriptor '{name}' has no version {version}")));

        g.MapDelete("/{name}", (string name, string? tenant, PlatformStore store) =>
            store.DeleteDescriptor(Tenant(tenant), name) ? Results.NoContent() : throw NotFound(name)).WithSummary("Delete a descriptor (all versions)");
    }

    public static string Tenant(string? tenant) => string.IsNullOrEmpty(tenant) ? VnfLifecycle.DefaultTenant : tenant;

    private static LightNfvException NotFound(string name) =>
        new(ErrorKind.NotFound, $"name: no descriptor named '{name}'; GET /api/v1/descriptors lists them");
}
