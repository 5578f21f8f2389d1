using System.Globalization;
using LightNfv.Core.Errors;
using YamlDotNet.RepresentationModel;

namespace LightNfv.Core.Descriptors;

/// <summary>
/// Changes to a stored descriptor's text that the platform makes for the operator (a new version, never in place):
/// the YAML is edited as a tree, so the rest of the descriptor stays as written (comments aside, which the YAML model
/// does not keep). The result is parsed again by whoever stores it, so its bounds are checked there.
/// </summary>
public static class DescriptorEdit
{
    /// <summary>The descriptor with spec.resources' vcpus, memoryMiB and pids set where given (others kept).</summary>
    public static string WithResources(string yaml, int? vcpus, int? memoryMiB, int? pids) =>
        Edit(yaml, resources =>
        {
            Set(resources, "vcpus", vcpus);
            Set(resources, "memoryMiB", memoryMiB);
            Set(resources, "pids", pids);
        });

    /// <summary>The descriptor with spec.resources set to <paramref name="r"/> (a live resize's new size): unset optional limits are removed.</summary>
    public static string WithResources(string yaml, ResourceSpec r) =>
        Edit(yaml, resources =>
        {
            Set(resources, "vcpus", r.Vcpus);
            Set(resources, "memoryMiB", r.MemoryMiB);
            Set(resources, "pids", r.Pids);
            SetOrRemove(resources, "bandwidthMbps", r.BandwidthMbps?.ToString(CultureInfo.InvariantCulture), quoted: false);
            SetOrRemove(resources, "cpuset", r.CpuSet, quoted: true);
        });

    private static string Edit(string yaml, Action<YamlMappingNode> change)
    {
        var stream = new YamlStream();
        using (var reader = new StringReader(yaml))
        {
            stream.Load(reader);
        }
        if (stream.Documents is not [{ RootNode: YamlMappingNode root }]
            || !root.Children.TryGetValue(new YamlScalarNode("spec"), out var specNode) || specNode is not YamlMappingNode spec)
        {
            throw new LightNfvException(ErrorKind.Invalid, "spec: the stored descriptor has no spec mapping to change resources in");
        }
        if (!spec.Children.TryGetValue(new YamlScalarNode("resources"), out var resourcesNode))
        {
            resourcesNode = new YamlMappingNode();
            spec.Children[new YamlScalarNode("resources")] = resourcesNode;
        }
        if (resourcesNode is not YamlMappingNode resources)
        {
            throw new LightNfvException(ErrorKind.Invalid, "spec.resources: the stored descriptor's resources are not a mapping");
        }
        change(resources);
        using var writer = new StringWriter(CultureInfo.InvariantCulture);
        stream.Save(writer, assignAnchors: false);
        // YamlStream ends a document with "..."; the stored text reads as the operator's files do.
        var text = writer.ToString();
        return text.EndsWith("...\n", StringComparison.Ordinal) ? text[..^4] : text;
    }

    private static void SetOrRemove(YamlMappingNode mapping, string key, string? value, bool quoted)
    {
        if (value is null)
        {
            mapping.Children.Remove(new YamlScalarNode(key));
        }
        else
        {
            // A cpuset such as "0" must stay a string in YAML, not become a number.
            mapping.Children[new YamlScalarNode(key)] = new YamlScalarNode(value) { Style = quoted ? YamlDotNet.Core.ScalarStyle.DoubleQuoted : YamlDotNet.Core.ScalarStyle.Any };
        }
    }

    private static void Set(YamlMappingNode mapping, string key, int? value)
    {
        if (value is { } v)
        {
            mapping.Children[new YamlScalarNode(key)] = new YamlScalarNode(v.ToString(CultureInfo.InvariantCulture));
        }
    }
}
