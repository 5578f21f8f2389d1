using System.Globalization;
using LightNfv.Core.Errors;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace LightNfv.Core.Descriptors;

/// <summary>Reading the YAML model: fields, scalars, integers, and the errors that name them.</summary>
public static partial class DescriptorParser
{
    /// <summary>Collects a mapping's fields by name, rejecting unknown or non-scalar keys.</summary>
    private static Dictionary<string, YamlNode> Fields(YamlMappingNode node, string path, string[] accepted)
    {
        var fields = new Dictionary<string, YamlNode>(StringComparer.Ordinal);
        foreach (var (keyNode, valueNode) in node.Children)
        {
            var key = KeyName(keyNode, path);
            var keyPath = Join(path, key);
            if (!accepted.Contains(key, StringComparer.Ordinal))
            {
                var suggestion = Suggest(key, accepted);
                var hint = suggestion is null ? "" : $" (did you mean '{suggestion}'?)";
                throw Error(keyNode, keyPath, $"unknown field '{key}'{hint}; accepted fields are {string.Join(", ", accepted)}");
            }
            fields[key] = valueNode;
        }
        return fields;
    }

    private static string KeyName(YamlNode keyNode, string path)
    {
        if (keyNode is not YamlScalarNode { Value: { } key })
        {
            throw Error(keyNode, path == "" ? Document : path, $"a key must be a plain name, got {Describe(keyNode)}");
        }
        return key;
    }

    private static string RequiredString(Dictionary<string, YamlNode> fields, YamlMappingNode parent, string path, string name)
    {
        var fieldPath = Join(path, name);
        if (!fields.TryGetValue(name, out var node) || IsNull(node))
        {
            throw Missing(fields, parent, fieldPath);
        }
        var value = Scalar(node, fieldPath, "a string");
        if (value.Length == 0)
        {
            throw Error(node, fieldPath, "'' is empty; this field is required");
        }
        return value;
    }

    private static string? OptionalString(Dictionary<string, YamlNode> fields, string path, string name)
    {
        if (!fields.TryGetValue(name, out var node) || IsNull(node))
        {
            return null;
        }
        return Scalar(node, Join(path, name), "a string");
    }

    private static YamlMappingNode RequiredMapping(Dictionary<string, YamlNode> fields, YamlMappingNode parent, string path, string name)
    {
        var fieldPath = Join(path, name);
        if (!fields.TryGetValue(name, out var node) || IsNull(node))
        {
            throw Missing(fields, parent, fieldPath);
        }
        return node as YamlMappingNode
            ?? throw Error(node, fieldPath, $"expected a mapping (indented key: value lines), got {Describe(node)}");
    }

    private static YamlMappingNode? OptionalMapping(Dictionary<string, YamlNode> fields, string path, string name)
    {
        if (!fields.TryGetValue(name, out var node) || IsNull(node))
        {
            return null;
        }
        return node as YamlMappingNode
            ?? throw Error(node, Join(path, name), $"expected a mapping (indented key: value lines), got {Describe(node)}");
    }

    private static int? OptionalInt(Dictionary<string, YamlNode> fields, string path, string name, int min, int max)
    {
        if (!fields.TryGetValue(name, out var node) || IsNull(node))
        {
            return null;
        }
        return Integer(node, Join(path, name), min, max);
    }

    private static int Integer(YamlNode node, string path, int min, int max)
    {
        var range = $"an integer from {min} to {max}";
        if (node is not YamlScalarNode scalar)
        {
            throw Error(node, path, $"expected {range}, got {Describe(node)}");
        }
        var text = scalar.Value ?? "";
        if (scalar.Style is ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted || scalar.Tag == "tag:yaml.org,2002:str")
        {
            throw Error(node, path, $"'{text}' is a quoted string; expected {range} written without quotes");
        }
        if (!DecimalInteger().IsMatch(text))
        {
            throw Error(node, path, $"'{text}' is not a whole number; expected {range}");
        }
        if (!long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
        {
            throw Error(node, path, $"'{text}' is out of range; expected {range}");
        }
        return (int)value;
    }

    private static string Scalar(YamlNode node, string path, string expected) =>
        node is YamlScalarNode scalar
            ? scalar.Value ?? ""
            : throw Error(node, path, $"expected {expected}, got {Describe(node)}");

    /// <summary>An absent value: an empty plain scalar, '~' or 'null' (quoted strings are never null).</summary>
    private static bool IsNull(YamlNode node) =>
        node is YamlScalarNode { Style: ScalarStyle.Plain or ScalarStyle.Any } s &&
        s.Value is null or "" or "~" or "null" or "Null" or "NULL";

    private static string RawValue(YamlNode node) => node is YamlScalarNode s ? s.Value ?? "" : "";

    private static string Describe(YamlNode node) => node switch
    {
        YamlScalarNode s => $"the value '{s.Value}'",
        YamlSequenceNode => "a sequence",
        YamlMappingNode => "a mapping",
        _ => "an unsupported node",
    };

    private static DescriptorException Missing(Dictionary<string, YamlNode> fields, YamlMappingNode parent, string fieldPath)
    {
        var name = fieldPath[(fieldPath.LastIndexOf('.') + 1)..];
        var example = fieldPath switch
        {
            "apiVersion" => $"apiVersion: {VnfDescriptor.ApiVersion}",
            "kind" => $"kind: {VnfDescriptor.Kind}",
            "metadata" => "metadata: {name: iperf3}",
            "spec" => "spec: {technology: process, app: {builtin: iperf3-server}}",
            "metadata.name" => "name: iperf3",
            "spec.technology" => $"technology: <one of {string.Join(", ", TechnologyNames.All)}>",
            "spec.app" => "app: {builtin: iperf3-server}",
            _ => $"{name}: ...",
        };
        // Point at the key if it is present with an empty value, else at the enclosing mapping.
        var at = fields.TryGetValue(name, out var present) ? present : parent;
        return Error(at, fieldPath, $"required field is missing or empty; add '{example}'");
    }

    private static DescriptorException Error(YamlNode node, string path, string message) =>
        new(path, message, Line(node), Column(node));

    private static int Line(YamlNode node) => (int)node.Start.Line;

    private static int Column(YamlNode node) => (int)node.Start.Column;

    private static string Join(string path, string name) => path.Length == 0 ? name : $"{path}.{name}";

    /// <summary>The accepted field closest to a misspelt one (case-insensitive match or edit distance up to 2).</summary>
    private static string? Suggest(string key, string[] accepted)
    {
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var candidate in accepted)
        {
            var d = string.Equals(key, candidate, StringComparison.OrdinalIgnoreCase)
                ? 0
                : Distance(key.ToLowerInvariant(), candidate.ToLowerInvariant());
            if (d < bestDistance)
            {
                best = candidate;
                bestDistance = d;
            }
        }
        return bestDistance <= 2 ? best : null;
    }

    private static int Distance(string a, string b)
    {
        // Optimal string alignment distance (Levenshtein plus adjacent transposition).
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }
        for (var j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }
        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
                }
            }
        }
        return d[a.Length, b.Length];
    }
}
