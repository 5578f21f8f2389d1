using System.CommandLine;
using System.Text.Json;
using LightNfv.Core.Descriptors;
using LightNfv.Core.Errors;
using YamlDotNet.RepresentationModel;

namespace LightNfv.Cli.Commands;

/// <summary>
/// `lightnfv apply -f FILE|-`, as kubectl apply: the VNF the descriptor names is made to match it. Absent: its
/// descriptor is stored and it is instantiated ("created"); changed: a new descriptor version is stored and rolled out
/// with the rolling update ("configured"); identical to what runs: nothing is stored or asked ("unchanged").
/// </summary>
public static class ApplyCommand
{
    public static Command Create()
    {
        var file = new Option<string>("--file", "-f") { Description = "VNF descriptor (YAML); '-' reads standard input", Required = true };
        var wait = new Option<bool>("--wait", "-w") { Description = "Wait until the operation (instantiate or update) ends; exit 1 if it failed" };
        var cmd = new Command("apply", "Create or update a VNF from its descriptor (idempotent): prints vnf/NAME created, configured or unchanged") { file, wait };
        cmd.SetAction(async (pr, ct) =>
        {
            string yaml;
            VnfDescriptor descriptor;
            try
            {
                // Checked before any daemon is asked: a bad descriptor is one line naming the field, exit 2, with or without one.
                var path = pr.GetValue(file)!;
                (yaml, descriptor) = Scoped(DescriptorLimits.ReadFile(path == "-" ? "/dev/stdin" : path), TenantOption.Resolve(pr));
            }
            catch (LightNfvException e)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return Cli.ExitCode(e.Kind);
            }
            try
            {
                using var daemon = DaemonClient.TryConnect()
                    ?? throw new LightNfvException(ErrorKind.Unavailable, $"apply needs the daemon (it keeps VNFs up and rolls updates out); start it with 'lightnfv serve' (socket {DaemonClient.SocketPath})");
                var (verb, op) = await ApplyAsync(daemon, yaml, descriptor.Metadata, ct).ConfigureAwait(false);
                if (op is { } started && pr.GetValue(wait))
                {
                    var done = await WaitAsync(daemon, started, ct).ConfigureAwait(false);
                    if (Json.Text(done, "state") is "failed" or "rolled_back")
                    {
                        Console.Error.WriteLine($"error: vnf/{descriptor.Metadata.Name}: {Json.Text(done, "kind")} {Json.Text(done, "state")}: {Json.Text(done, "error")}; 'lightnfv describe vnf {descriptor.Metadata.Name}' shows more");
                        return 1;
                    }
                }
                Console.WriteLine($"vnf/{descriptor.Metadata.Name} {verb}");
                return 0;
            }
            catch (LightNfvException e)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return Cli.ExitCode(e.Kind);
            }
        });
        return cmd;
    }

    /// <summary>What apply did (created, configured, unchanged) and the operation it started, if any.</summary>
    private static async Task<(string Verb, JsonElement? Operation)> ApplyAsync(DaemonClient daemon, string yaml, VnfMetadata meta, CancellationToken ct)
    {
        var name = Uri.EscapeDataString(meta.Name);
        var tenant = TenantOption.Query(meta.Tenant);
        var latest = await GetOrNull(daemon, $"api/v1/descriptors/{name}{tenant}", ct).ConfigureAwait(false);
        var vnf = await GetOrNull(daemon, $"api/v1/vnfs/{name}{tenant}", ct).ConfigureAwait(false);
        if (latest is { } l && vnf is { } v && Json.Text(l, "source") == yaml && l.GetProperty("version").GetInt32() == v.GetProperty("version").GetInt32())
        {
            return ("unchanged", null);
        }
        // The same text again is no new version (the API keeps the last one): only a changed descriptor adds one.
        var stored = await daemon.SendAsync(HttpMethod.Post, "api/v1/descriptors", yaml: yaml, ct: ct).ConfigureAwait(false);
        var version = stored.GetProperty("version").GetInt32();
        if (vnf is null)
        {
            return ("created", await daemon.SendAsync(HttpMethod.Post, $"api/v1/vnfs/{name}/instantiate{tenant}", new { version }, ct: ct).ConfigureAwait(false));
        }
        return ("configured", await daemon.SendAsync(HttpMethod.Post, $"api/v1/vnfs/{name}/update{tenant}", new { version }, ct: ct).ConfigureAwait(false));
    }

    private static async Task<JsonElement?> GetOrNull(DaemonClient daemon, string path, CancellationToken ct)
    {
        try
        {
            return await daemon.SendAsync(HttpMethod.Get, path, ct: ct).ConfigureAwait(false);
        }
        catch (LightNfvException e) when (e.Kind == ErrorKind.NotFound)
        {
            return null;
        }
    }

    internal static async Task<JsonElement> WaitAsync(DaemonClient daemon, JsonElement op, CancellationToken ct)
    {
        while (Json.Text(op, "state") == "processing")
        {
            await Task.Delay(100, ct).ConfigureAwait(false);
            op = await daemon.SendAsync(HttpMethod.Get, $"api/v1/operations/{Json.Text(op, "id")}", ct: ct).ConfigureAwait(false);
        }
        return op;
    }

    /// <summary>
    /// The descriptor in the command's tenant: without metadata.tenant it is put in <paramref name="scope"/>'s (a line
    /// added under metadata, so the stored text says where it lives); with one that differs from a tenant the operator
    /// chose, refused in one line. The text is parsed (and refused, naming the field) before anything else.
    /// </summary>
    internal static (string Yaml, VnfDescriptor Descriptor) Scoped(string yaml, TenantScope scope)
    {
        var descriptor = DescriptorParser.Parse(yaml);
        var metadata = Metadata(yaml);
        if (metadata.Children.ContainsKey(new YamlScalarNode("tenant")))
        {
            if (scope.Explicit && descriptor.Metadata.Tenant != scope.Name)
            {
                throw new LightNfvException(ErrorKind.Invalid,
                    $"metadata.tenant: the descriptor is in tenant '{descriptor.Metadata.Tenant}' but {scope.Source} says '{scope.Name}'; use --tenant {descriptor.Metadata.Tenant} or remove metadata.tenant");
            }
            return (yaml, descriptor);
        }
        if (scope.Name == TenantOption.DefaultTenant)
        {
            return (yaml, descriptor);
        }
        if (metadata.Style == YamlDotNet.Core.Events.MappingStyle.Flow)
        {
            throw new LightNfvException(ErrorKind.Invalid, $"metadata: add 'tenant: {scope.Name}' to the descriptor's metadata (it is written inline, so it is not added for you)");
        }
        // Before the first key of metadata, at its indentation: the text stays the operator's, one line longer.
        var first = metadata.Children.Keys.First().Start;
        var lines = yaml.Split('\n').ToList();
        lines.Insert((int)first.Line - 1, new string(' ', (int)first.Column - 1) + "tenant: " + scope.Name + (yaml.Contains("\r\n", StringComparison.Ordinal) ? "\r" : ""));
        var scoped = string.Join('\n', lines);
        return (scoped, DescriptorParser.Parse(scoped));
    }

    private static YamlMappingNode Metadata(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        // The parser accepted it: a mapping with a metadata mapping that has at least a name.
        return (YamlMappingNode)((YamlMappingNode)stream.Documents[0].RootNode).Children[new YamlScalarNode("metadata")];
    }
}

