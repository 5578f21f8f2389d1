using System.CommandLine;
using System.Text.Json;

namespace LightNfv.Cli.Commands.Output;

/// <summary>
/// `-o, --output json|yaml|wide|name` as kubectl has it, one option for every read command. json and yaml print the
/// API's shapes (the same with or without a daemon); name prints one id per line for scripts; wide and the default are
/// the command's table (wide with its extra columns).
/// </summary>
public static class OutputFormat
{
    public const string JsonFormat = "json", Yaml = "yaml", Wide = "wide", Name = "name";

    public static Option<string?> Create(params string[] formats)
    {
        var accepted = formats.Length == 0 ? [JsonFormat, Yaml, Wide, Name] : formats;
        var o = new Option<string?>("--output", "-o") { Description = $"Output format: {string.Join(", ", accepted)} (default: a table)" };
        o.AcceptOnlyFromAmong(accepted);
        return o;
    }

    /// <summary>
    /// Prints <paramref name="value"/> as json, yaml or names (<paramref name="nameOf"/> per array item); returns false
    /// for the table formats, which the command prints itself.
    /// </summary>
    public static bool TryPrint(string? format, JsonElement value, Func<JsonElement, string>? nameOf = null)
    {
        switch (format)
        {
            case JsonFormat:
                Json.Print(value);
                return true;
            case Yaml:
                Console.Write(ToYaml(value));
                return true;
            case Name:
                var items = value.ValueKind == JsonValueKind.Array ? value.EnumerateArray().ToList() : [value];
                foreach (var item in items)
                {
                    Console.WriteLine(nameOf?.Invoke(item) ?? Json.Text(item, "id"));
                }
                return true;
            default:
                return false;
        }
    }

    public static string ToYaml(JsonElement value) =>
        new YamlDotNet.Serialization.SerializerBuilder().DisableAliases().Build().Serialize(Plain(value));

    /// <summary>The JSON as plain values in the same order, so YAML keeps the API's field names and order.</summary>
    private static object? Plain(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Object => e.EnumerateObject().Aggregate(new Dictionary<string, object?>(StringComparer.Ordinal), (d, p) =>
        {
            d[p.Name] = Plain(p.Value);
            return d;
        }),
        JsonValueKind.Array => e.EnumerateArray().Select(Plain).ToList(),
        JsonValueKind.String => e.GetString(),
        JsonValueKind.Number => e.TryGetInt64(out var l) ? l : e.GetDouble(),
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => null,
    };
}
