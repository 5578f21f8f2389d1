using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using LightNfv.Core.Errors;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace LightNfv.Core.Descriptors;

/// <summary>
/// Reads and validates a VNF descriptor (apiVersion lightnfv/v1, kind Vnf).
/// Works on the YAML representation model rather than object deserialization so that every
/// error names the field path, the offending value and its line, and says what is accepted.
/// </summary>
public static partial class DescriptorParser
{
    private const string Document = "(document)";

    private static readonly string[] s_topFields = ["apiVersion", "kind", "metadata", "spec"];
    private static readonly string[] s_metadataFields = ["name", "tenant"];
    private static readonly string[] s_specFields = ["technology", "runtime", "app", "resources", "network", "health", "scaling", "accel"];
    private static readonly string[] s_accels = ["auto", "kvm", "tcg"];
    private static readonly string[] s_appFields = ["builtin", "command", "env", "capabilities", "files"];
    private static readonly string[] s_runtimes = ["crun", "runc"];
    private static readonly string[] s_resourceFields = ["vcpus", "memoryMiB", "pids"];
    private static readonly string[] s_networkFields = ["address", "ports"];

    private const string DefaultTenant = "default";

    // Integer ranges: (min, max) per field.
    private const int MinVcpus = 1, MaxVcpus = 64;
    private const int MinMemoryMiB = 4, MaxMemoryMiB = 262144;
    private const int MinPids = 8, MaxPids = 32768;
    private const int MinPort = 1, MaxPort = 65535;

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]{0,38}[a-z0-9])?$")]
    private static partial Regex DnsLabel();

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex EnvName();

    [GeneratedRegex("^[-+]?[0-9]+$")]
    private static partial Regex DecimalInteger();

    [GeneratedRegex(@"^(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}$")]
    private static partial Regex DottedQuad();

    /// <summary>Reads a descriptor file; a missing file is <see cref="ErrorKind.NotFound"/>.</summary>
    public static VnfDescriptor ParseFile(string path) => Parse(DescriptorLimits.ReadFile(path));

    /// <summary>
    /// Parses and validates descriptor YAML; throws <see cref="DescriptorException"/> naming the field on any problem.
    /// The limits of <see cref="DescriptorLimits"/> are checked before or while the text is loaded.
    /// </summary>
    public static VnfDescriptor Parse(string yaml)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        DescriptorLimits.CheckSize(yaml);

        var stream = new YamlStream();
        try
        {
            stream.Load(DescriptorLimits.Guard(new Parser(new StringReader(yaml))));
        }
        catch (YamlException e)
        {
            throw new DescriptorException(Document, $"not valid YAML: {e.Message}", (int)e.Start.Line, (int)e.Start.Column);
        }

        if (stream.Documents.Count == 0)
        {
            throw new DescriptorException(Document,
                $"the descriptor is empty; expected a mapping starting with 'apiVersion: {VnfDescriptor.ApiVersion}' and 'kind: {VnfDescriptor.Kind}'");
        }
        if (stream.Documents.Count > 1)
        {
            var second = stream.Documents[1].RootNode;
            throw new DescriptorException(Document,
                $"found {stream.Documents.Count} YAML documents; a descriptor file holds exactly one VNF (remove the extra '---' sections)",
                Line(second), Column(second));
        }

        var root = stream.Documents[0].RootNode;
        if (IsNull(root))
        {
            throw new DescriptorException(Document,
                $"the descriptor is empty; expected a mapping starting with 'apiVersion: {VnfDescriptor.ApiVersion}' and 'kind: {VnfDescriptor.Kind}'",
                Line(root), Column(root));
        }
        if (root is not YamlMappingNode top)
        {
            throw new DescriptorException(Document,
                $"the top level must be a mapping (key: value lines such as 'apiVersion: {VnfDescriptor.ApiVersion}'), got {Describe(root)}",
                Line(root), Column(root));
        }

        CheckControlCharacters(top);
        var fields = Fields(top, "", s_topFields);

        var apiVersion = RequiredString(fields, top, "", "apiVersion");
        if (apiVersion != VnfDescriptor.ApiVersion)
        {
            throw Error(fields["apiVersion"], "apiVersion",
                $"'{apiVersion}' is not supported; use 'apiVersion: {VnfDescriptor.ApiVersion}'");
        }
        var kind = RequiredString(fields, top, "", "kind");
        if (kind != VnfDescriptor.Kind)
        {
            throw Error(fields["kind"], "kind", $"'{kind}' is not supported; use 'kind: {VnfDescriptor.Kind}'");
        }

        var metadata = ParseMetadata(RequiredMapping(fields, top, "", "metadata"));
        var spec = ParseSpec(RequiredMapping(fields, top, "", "spec"));

        return new VnfDescriptor(metadata, spec) { Source = yaml };
    }

    private static VnfMetadata ParseMetadata(YamlMappingNode node)
    {
        const string path = "metadata";
        var fields = Fields(node, path, s_metadataFields);
        var name = RequiredString(fields, node, path, "name");
        CheckDnsLabel(fields["name"], "metadata.name", name);
        var tenant = OptionalString(fields, path, "tenant");
        if (tenant is null)
        {
            tenant = DefaultTenant;
        }
        else
        {
            CheckDnsLabel(fields["tenant"], "metadata.tenant", tenant);
        }
        return new VnfMetadata(name, tenant);
    }

    private static void CheckDnsLabel(YamlNode node, string path, string value)
    {
        if (!DnsLabel().IsMatch(value))
        {
            throw Error(node, path,
                $"'{value}' is not a valid name; use 1 to 40 lowercase letters, digits or '-', starting and ending with a letter or digit (e.g. 'iperf3')");
        }
    }

    private static VnfSpec ParseSpec(YamlMappingNode node)
    {
        const string path = "spec";
        var fields = Fields(node, path, s_specFields);

        var techName = RequiredString(fields, node, path, "technology");
        if (!TechnologyNames.TryParse(techName, out var technology))
        {
            throw Error(fields["technology"], "spec.technology",
                $"'{techName}' is not a known technology; accepted values are {string.Join(", ", TechnologyNames.All)}");
        }

        var appNode = RequiredMapping(fields, node, path, "app");
        var resources = OptionalMapping(fields, path, "resources") is { } r ? ParseResources(r) : ResourceSpec.Default;
        var network = OptionalMapping(fields, path, "network");

        // The network is read first: a built-in's argv depends on the declared port.
        var (address, ports) = network is null ? (null, []) : ParseNetwork(network);
        var (app, defaultPort) = ParseApp(appNode, ports);
        if (ports.Count == 0 && defaultPort is { } p)
        {
            ports = [p];
        }

        string? runtime = null;
        if (fields.TryGetValue("runtime", out var runtimeNode) && !IsNull(runtimeNode))
        {
            runtime = Scalar(runtimeNode, "spec.runtime", "a runtime name");
            if (!s_runtimes.Contains(runtime))
            {
                throw Error(runtimeNode, "spec.runtime", $"'{runtime}' is not a supported OCI runtime; accepted values are {string.Join(", ", s_runtimes)} (or omit it to let LightNFV choose)");
            }
            if (technology != Technology.Container)
            {
                throw Error(runtimeNode, "spec.runtime", $"'{runtime}' only applies to technology 'container', not '{techName}'; remove the field");
            }
        }

        var health = OptionalMapping(fields, path, "health") is { } h ? ParseHealth(h, ports) : null;
        var scaling = OptionalMapping(fields, path, "scaling") is { } sc ? ParseScaling(sc) : null;
        string? accel = null;
        if (fields.TryGetValue("accel", out var accelNode) && !IsNull(accelNode))
        {
            accel = Scalar(accelNode, "spec.accel", "an accelerator name");
            if (!s_accels.Contains(accel))
            {
                throw Error(accelNode, "spec.accel", $"'{accel}' is not an accelerator; accepted values are {string.Join(", ", s_accels)} (auto: KVM where it boots Linux, TCG otherwise)");
            }
            if (technology is not (Technology.Tinyx or Technology.StandardVm))
            {
                throw Error(accelNode, "spec.accel", $"'{accel}' only applies to technologies tinyx and standardvm, not '{techName}'; remove the field");
            }
        }
        return new VnfSpec(technology, app, resources, new NetworkSpec(address, ports)) { Runtime = runtime, Health = health, Scaling = scaling, Accel = accel };
    }

    private static (AppSpec App, int? DefaultPort) ParseApp(YamlMappingNode node, IReadOnlyList<int> ports)
    {
        const string path = "spec.app";
        var fields = Fields(node, path, s_appFields);

        var hasBuiltin = fields.TryGetValue("builtin", out var builtinNode) && !IsNull(builtinNode);
        var hasCommand = fields.TryGetValue("command", out var commandNode) && !IsNull(commandNode);
        var builtinNames = string.Join(", ", BuiltinVnfs.All.Select(b => b.Name));
        if (hasBuiltin == hasCommand)
        {
            var problem = hasBuiltin
                ? "both 'builtin' and 'command' are set; exactly one is required: remove one of them"
                : $"neither 'builtin' nor 'command' is set; exactly one is required: 'builtin: <one of {builtinNames}>' or 'command: [program, arg, ...]'";
            throw Error(node, path, problem);
        }

        var env = fields.TryGetValue("env", out var envNode) && !IsNull(envNode)
            ? ParseEnv(envNode)
            : new Dictionary<string, string>(StringComparer.Ordinal);

        var capabilities = fields.TryGetValue("capabilities", out var capsNode) && !IsNull(capsNode) ? ParseCapabilities(capsNode) : [];
        var files = fields.TryGetValue("files", out var filesNode) && !IsNull(filesNode) ? ParseFiles(filesNode) : [];

        if (hasBuiltin)
        {
            var name = Scalar(builtinNode!, "spec.app.builtin", "a built-in VNF name");
            var builtin = BuiltinVnfs.Find(name)
                ?? throw Error(builtinNode!, "spec.app.builtin",
                    $"'{name}' is not a built-in VNF; accepted names are {builtinNames} (or use 'command' for your own program)");
            var port = ports.Count > 0 ? ports[0] : builtin.DefaultPort;
            return (new AppSpec(builtin.Name, builtin.Argv(port).ToArray(), env) { Capabilities = capabilities, Files = files },
                ports.Count > 0 ? null : builtin.DefaultPort);
        }

        var argv = ParseCommand(commandNode!);
        DescriptorLimits.CheckExec(argv, env, field => At(field, commandNode!, envNode));
        return (new AppSpec(null, argv, env) { Capabilities = capabilities, Files = files }, null);
    }

    /// <summary>Where a field named by <see cref="DescriptorLimits.CheckExec"/> is: its own node when it has one, else the command's or env's.</summary>
    private static (int Line, int Column) At(string field, YamlNode commandNode, YamlNode? envNode)
    {
        YamlNode node = field.StartsWith("spec.app.env", StringComparison.Ordinal) && envNode is not null ? envNode : commandNode;
        if (field.StartsWith("spec.app.env.", StringComparison.Ordinal) && envNode is YamlMappingNode map &&
            map.Children.FirstOrDefault(c => c.Key is YamlScalarNode k && k.Value == field["spec.app.env.".Length..]).Value is { } value)
        {
            node = value;
        }
        else if (field.StartsWith("spec.app.command[", StringComparison.Ordinal) && commandNode is YamlSequenceNode seq &&
                 int.TryParse(field.AsSpan("spec.app.command[".Length, field.Length - "spec.app.command[".Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var i) &&
                 i < seq.Children.Count)
        {
            node = seq.Children[i];
        }
        return (Line(node), Column(node));
    }

    private static string[] ParseCapabilities(YamlNode node)
    {
        const string path = "spec.app.capabilities";
        if (node is not YamlSequenceNode seq)
        {
            throw Error(node, path, $"expected a sequence of capability names such as [NET_ADMIN, NET_RAW], got {Describe(node)}");
        }
        var caps = new List<string>();
        for (var i = 0; i < seq.Children.Count; i++)
        {
            var raw = Scalar(seq.Children[i], $"{path}[{i}]", "a capability name");
            var cap = LinuxCapabilities.Normalize(raw)
                ?? throw Error(seq.Children[i], $"{path}[{i}]", $"'{raw}' is not a Linux capability; use names from capabilities(7) such as NET_ADMIN, NET_RAW, NET_BIND_SERVICE");
            if (!caps.Contains(cap))
            {
                caps.Add(cap);
            }
        }
        return caps.ToArray();
    }

    private static string[] ParseFiles(YamlNode node)
    {
        const string path = "spec.app.files";
        if (node is not YamlSequenceNode seq)
        {
            throw Error(node, path, $"expected a sequence of absolute host paths such as [/etc/myvnf.conf], got {Describe(node)}");
        }
        var files = new string[seq.Children.Count];
        for (var i = 0; i < files.Length; i++)
        {
            var f = Scalar(seq.Children[i], $"{path}[{i}]", "an absolute path");
            if (!f.StartsWith('/') || f.Contains("/../", StringComparison.Ordinal) || f.EndsWith("/..", StringComparison.Ordinal))
            {
                throw Error(seq.Children[i], $"{path}[{i}]", $"'{f}' is not an absolute path without '..'; give the file's full host path, e.g. /etc/myvnf.conf");
            }
            files[i] = f;
        }
        return files;
    }

    private static string[] ParseCommand(YamlNode node)
    {
        const string path = "spec.app.command";
        switch (node)
        {
            case YamlScalarNode scalar:
            {
                var argv = (scalar.Value ?? "").Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
                if (argv.Length == 0)
                {
                    throw Error(node, path, $"'{scalar.Value}' is an empty command; give the program and its arguments, e.g. [iperf3, -s]");
                }
                CheckProgram(node, argv[0]);
                return argv;
            }
            case YamlSequenceNode seq:
            {
                if (seq.Children.Count == 0)
                {
                    throw Error(node, path, "'[]' is an empty command; give the program and its arguments, e.g. [iperf3, -s]");
                }
                var argv = new string[seq.Children.Count];
                for (var i = 0; i < argv.Length; i++)
                {
                    var item = seq.Children[i];
                    var itemPath = $"{path}[{i}]";
                    if (IsNull(item))
                    {
                        throw Error(item, itemPath, $"'{RawValue(item)}' is an empty argument; quote it (\"\") if an empty string is meant, otherwise remove it");
                    }
                    argv[i] = Scalar(item, itemPath, "a string");
                }
                if (argv[0].Length == 0)
                {
                    throw Error(seq.Children[0], $"{path}[0]", "'' is not a program; the first element must name the program to run, e.g. iperf3");
                }
                CheckProgram(seq.Children[0], argv[0]);
                return argv;
            }
            default:
                throw Error(node, path, $"expected a sequence of strings such as [iperf3, -s], got {Describe(node)}");
        }
    }

    /// <summary>The program is looked up on the host (and copied into images): a '..' component would climb out of where it is looked for.</summary>
    private static void CheckProgram(YamlNode node, string program)
    {
        if (program.Split('/').Contains(".."))
        {
            throw Error(node, "spec.app.command[0]",
                $"'{program}' has a '..' path component; name the program by its absolute path (e.g. /bin/sh) or by a name looked up in PATH (e.g. sh)");
        }
    }

    private static Dictionary<string, string> ParseEnv(YamlNode node)
    {
        const string path = "spec.app.env";
        if (node is not YamlMappingNode map)
        {
            throw Error(node, path, $"expected a mapping of variable names to values such as {{LOG_LEVEL: debug}}, got {Describe(node)}");
        }
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (keyNode, valueNode) in map.Children)
        {
            var key = KeyName(keyNode, path);
            var keyPath = $"{path}.{key}";
            if (!EnvName().IsMatch(key))
            {
                throw Error(keyNode, keyPath,
                    $"'{key}' is not a valid environment variable name; use letters, digits and '_', not starting with a digit (e.g. LOG_LEVEL)");
            }
            if (IsNull(valueNode))
            {
                throw Error(valueNode, keyPath, $"'{RawValue(valueNode)}' is not a value; write {key}: \"\" for an empty value");
            }
            env[key] = Scalar(valueNode, keyPath, "a string");
        }
        return env;
    }

    private static ResourceSpec ParseResources(YamlMappingNode node)
    {
        const string path = "spec.resources";
        var fields = Fields(node, path, s_resourceFields);
        var d = ResourceSpec.Default;
        return new ResourceSpec(
            OptionalInt(fields, path, "vcpus", MinVcpus, MaxVcpus) ?? d.Vcpus,
            OptionalInt(fields, path, "memoryMiB", MinMemoryMiB, MaxMemoryMiB) ?? d.MemoryMiB,
            OptionalInt(fields, path, "pids", MinPids, MaxPids) ?? d.Pids);
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
