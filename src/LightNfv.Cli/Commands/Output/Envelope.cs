using System.Text.Json;
using System.Text.Json.Nodes;

namespace LightNfv.Cli.Commands.Output;

/// <summary>
/// kubectl's envelope for `get`, `describe` and `inspect -o json|yaml`: a list is {apiVersion, kind: XList, items},
/// one object carries apiVersion and kind before its own fields. The items are the API's shapes unchanged
/// (docs/cli-output.md: fields are only ever added within lightnfv/v1; a removal or a change of meaning is a new version).
/// </summary>
public static class Envelope
{
    public const string ApiVersion = "lightnfv/v1";

    public static JsonElement List(string kind, IEnumerable<JsonElement> items) => Json.Element(new JsonObject
    {
        ["apiVersion"] = ApiVersion,
        ["kind"] = kind + "List",
        ["items"] = new JsonArray([.. items.Select(i => JsonNode.Parse(i.GetRawText()))]),
    });

    public static JsonElement Item(string kind, JsonElement item)
    {
        var o = new JsonObject { ["apiVersion"] = ApiVersion, ["kind"] = kind };
        if (item.ValueKind == JsonValueKind.Object)
        {
            foreach (var p in item.EnumerateObject())
            {
                o[p.Name] = JsonNode.Parse(p.Value.GetRawText());
            }
        }
        return Json.Element(o);
    }

    /// <summary>An object of several parts (describe): apiVersion, kind, then each part under its name.</summary>
    public static JsonElement Parts(string kind, params (string Name, JsonElement? Value)[] parts)
    {
        var o = new JsonObject { ["apiVersion"] = ApiVersion, ["kind"] = kind };
        foreach (var (name, value) in parts)
        {
            o[name] = value is { } v ? JsonNode.Parse(v.GetRawText()) : null;
        }
        return Json.Element(o);
    }
}
