using System.Globalization;
using YamlDotNet.RepresentationModel;

namespace LightNfv.Core.Descriptors;

/// <summary>spec.app: the built-in or command, its environment, capabilities and files.</summary>
public static partial class DescriptorParser
{
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
        var node = field.StartsWith("spec.app.env", StringComparison.Ordinal) && envNode is not null ? envNode : commandNode;
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
}
