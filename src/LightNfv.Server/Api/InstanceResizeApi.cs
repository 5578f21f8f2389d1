using System.Text.Json;
using LightNfv.Core.Errors;
using LightNfv.Platform.Lifecycle;

namespace LightNfv.Server.Api;

/// <summary>
/// POST /api/v1/instances/{id}/resize: a live resize of a running instance (`lightnfv resize`). The body is a JSON
/// object with any of vcpus, memoryMiB, pids, bandwidthMbps (0 removes the limit) and cpuset ("" unpins); a field it
/// does not know is refused by name rather than ignored, since a misspelt limit would otherwise change nothing silently.
/// </summary>
public static class InstanceResizeApi
{
    public static void Map(RouteGroupBuilder g) =>
        g.MapPost("/{id}/resize", async (string id, HttpRequest request, InstanceService instances) =>
        {
            var change = await ReadAsync(request).ConfigureAwait(false);
            return InstanceDto.Of(await instances.ResizeAsync(id, change, request.HttpContext.RequestAborted).ConfigureAwait(false));
        }).Accepts<ResourceChange>("application/json").Produces<InstanceDto>()
          .WithSummary("Change a running instance's vCPUs, memory, pids, bandwidth or cpuset in place, without a restart; quota-checked, stored, audited");

    private static async Task<ResourceChange> ReadAsync(HttpRequest request)
    {
        JsonDocument doc;
        try
        {
            doc = await JsonDocument.ParseAsync(request.Body, cancellationToken: request.HttpContext.RequestAborted).ConfigureAwait(false);
        }
        catch (JsonException e)
        {
            throw new LightNfvException(ErrorKind.Invalid, $"body: not JSON ({e.Message}); send an object such as {{\"memoryMiB\": 256}}");
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new LightNfvException(ErrorKind.Invalid, "body: expected a JSON object such as {\"memoryMiB\": 256}");
            }
            int? vcpus = null, memory = null, pids = null, bandwidth = null;
            string? cpuset = null;
            foreach (var p in doc.RootElement.EnumerateObject())
            {
                switch (p.Name)
                {
                    case "vcpus": vcpus = Int(p); break;
                    case "memoryMiB": memory = Int(p); break;
                    case "pids": pids = Int(p); break;
                    case "bandwidthMbps": bandwidth = Int(p); break;
                    case "cpuset":
                        cpuset = p.Value.ValueKind is JsonValueKind.String or JsonValueKind.Null ? p.Value.GetString()
                            : throw new LightNfvException(ErrorKind.Invalid, $"cpuset: expected a string such as \"0-1\" (\"\" unpins), got {p.Value.ValueKind.ToString().ToLowerInvariant()}");
                        break;
                    default:
                        throw new LightNfvException(ErrorKind.Invalid,
                            $"{p.Name}: not a resizable field; give any of {string.Join(", ", ResourceChange.Fields)}");
                }
            }
            return new ResourceChange(vcpus, memory, pids, bandwidth, cpuset);
        }
    }

    private static int? Int(JsonProperty p) => p.Value.ValueKind switch
    {
        JsonValueKind.Null => null,
        JsonValueKind.Number when p.Value.TryGetInt32(out var n) => n,
        _ => throw new LightNfvException(ErrorKind.Invalid, $"{p.Name}: expected a whole number, got {p.Value.GetRawText()}"),
    };
}
