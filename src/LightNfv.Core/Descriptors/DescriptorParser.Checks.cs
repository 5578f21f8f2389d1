using System.Net;
using YamlDotNet.RepresentationModel;

namespace LightNfv.Core.Descriptors;

/// <summary>spec.resources and spec.network, and the control characters refused everywhere.</summary>
public static partial class DescriptorParser
{
    private static ResourceSpec ParseResources(YamlMappingNode node)
    {
        const string path = "spec.resources";
        var fields = Fields(node, path, s_resourceFields);
        var d = ResourceSpec.Default;
        var cpuset = OptionalString(fields, path, "cpuset");
        if (cpuset is not null && CpuList.Parse(cpuset) is { Error: { } why })
        {
            throw Error(fields["cpuset"], "spec.resources.cpuset", $"'{cpuset}' {why}");
        }
        return new ResourceSpec(
            OptionalInt(fields, path, "vcpus", MinVcpus, MaxVcpus) ?? d.Vcpus,
            OptionalInt(fields, path, "memoryMiB", MinMemoryMiB, MaxMemoryMiB) ?? d.MemoryMiB,
            OptionalInt(fields, path, "pids", MinPids, MaxPids) ?? d.Pids)
        {
            CpuSet = cpuset,
            BandwidthMbps = OptionalInt(fields, path, "bandwidthMbps", MinBandwidthMbps, MaxBandwidthMbps),
        };
    }

    private static (IPAddress? Address, IReadOnlyList<int> Ports) ParseNetwork(YamlMappingNode node)
    {
        const string path = "spec.network";
        var fields = Fields(node, path, s_networkFields);

        IPAddress? address = null;
        var addressText = OptionalString(fields, path, "address");
        if (addressText is not null)
        {
            if (!DottedQuad().IsMatch(addressText))
            {
                throw Error(fields["address"], "spec.network.address",
                    $"'{addressText}' is not an IPv4 address; write four dotted numbers 0-255 such as 10.77.0.10, or omit the field to get a free address");
            }
            address = IPAddress.Parse(addressText);
        }

        var ports = new List<int>();
        if (fields.TryGetValue("ports", out var portsNode) && !IsNull(portsNode))
        {
            if (portsNode is not YamlSequenceNode seq)
            {
                throw Error(portsNode, "spec.network.ports", $"expected a sequence of port numbers such as [5201], got {Describe(portsNode)}");
            }
            for (var i = 0; i < seq.Children.Count; i++)
            {
                var item = seq.Children[i];
                var itemPath = $"spec.network.ports[{i}]";
                var port = Integer(item, itemPath, MinPort, MaxPort);
                var first = ports.IndexOf(port);
                if (first >= 0)
                {
                    throw Error(item, itemPath, $"'{port}' is already listed as spec.network.ports[{first}]; list each port once");
                }
                ports.Add(port);
            }
        }
        return (address, ports);
    }

    // ---- generic helpers -------------------------------------------------------------------------

    /// <summary>
    /// Refuses control characters (U+0000-U+001F, U+007F-U+009F) in every key and value, naming the field path: a NUL
    /// cannot reach exec, and the others end up in names, paths and terminals. Tab and newline are allowed in the
    /// command's arguments and in environment values only, where shell scripts carry them; an answer probe's send and
    /// expect are bytes for the wire and may hold any. The depth is bounded by
    /// <see cref="DescriptorLimits.MaxDepth"/> before this runs and aliases are refused, so the tree is small and acyclic.
    /// </summary>
    private static void CheckControlCharacters(YamlNode root)
    {
        var pending = new Stack<(YamlNode Node, string Path)>();
        pending.Push((root, ""));
        while (pending.Count > 0)
        {
            var (node, path) = pending.Pop();
            switch (node)
            {
                case YamlScalarNode when path is "spec.health.probe.send" or "spec.health.probe.expect":
                    // Bytes on the wire of a probe (e.g. "ping\r\n"), never a name, a path or an exec argument.
                    break;
                case YamlScalarNode scalar:
                    CheckText(scalar, path.Length == 0 ? Document : path, scalar.Value ?? "",
                        (path.StartsWith("spec.app.command", StringComparison.Ordinal) && path != "spec.app.command[0]") ||
                        path.StartsWith("spec.app.env.", StringComparison.Ordinal));
                    break;
                case YamlSequenceNode seq:
                    for (var i = 0; i < seq.Children.Count; i++)
                    {
                        pending.Push((seq.Children[i], $"{(path.Length == 0 ? Document : path)}[{i}]"));
                    }
                    break;
                case YamlMappingNode map:
                    foreach (var (key, value) in map.Children)
                    {
                        if (key is YamlScalarNode { Value: { } name })
                        {
                            CheckText(key, Join(path, Printable(name)), name, allowTabAndNewline: false);
                            pending.Push((value, Join(path, name)));
                        }
                        else
                        {
                            pending.Push((key, path));
                            pending.Push((value, path));
                        }
                    }
                    break;
            }
        }
    }

    private static void CheckText(YamlNode node, string path, string text, bool allowTabAndNewline)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsControl(c) && !(allowTabAndNewline && c is '\t' or '\n'))
            {
                var where = allowTabAndNewline ? "" : " (tab and newline are allowed only in spec.app.command arguments and spec.app.env values)";
                throw Error(node, path,
                    $"'{Printable(text)}' contains the control character U+{(int)c:X4} at character {i + 1}; control characters are refused{where}: remove it");
            }
        }
    }

    /// <summary>Text with control characters shown as \uXXXX, so an error message never writes them to a terminal.</summary>
    private static string Printable(string text)
    {
        if (!text.Any(char.IsControl))
        {
            return text.Length > 80 ? text[..80] + "..." : text;
        }
        var sb = new System.Text.StringBuilder();
        foreach (var c in text.Length > 80 ? text[..80] : text)
        {
            sb.Append(char.IsControl(c) ? $"\\u{(int)c:X4}" : c.ToString());
        }
        return sb.Append(text.Length > 80 ? "..." : "").ToString();
    }
}
