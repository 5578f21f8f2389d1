using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using LightNfv.Cli.Commands.Output;
using LightNfv.Core.Errors;
using LightNfv.Server.Api;

namespace LightNfv.Cli.Commands;

/// <summary>
/// `lightnfv get instances|vnfs|descriptors|operations|alerts [NAME] [-o json|yaml|wide|name] [-A]`, as kubectl get:
/// a table by default; json and yaml are the API's shapes in a versioned envelope (docs/cli-output.md), the same bytes
/// with or without a daemon.
/// </summary>
public static class GetCommand
{
    /// <summary>One kind of object `get` lists: its words, its envelope kind, and how it is named, filtered and tabled.</summary>
    internal sealed record Resource(string Plural, string Kind, string[] Aliases, Func<PlatformEndpoint, string?, CancellationToken, Task<JsonElement>> List,
        Func<JsonElement, string> NameOf, Func<JsonElement, string, bool> Matches, string[] Header, string[] WideHeader,
        Func<JsonElement, string[]> Row, Func<JsonElement, string[]> WideRow);

    internal static readonly Resource[] Resources =
    [
        new("instances", "Instance", ["instance", "inst", "i"], Instances, i => Json.Text(i, "name"),
            (i, n) => Json.Text(i, "name") == n || Json.Text(i, "id").StartsWith(n, StringComparison.Ordinal),
            ["NAME", "ID", "TECHNOLOGY", "STATE", "ADDRESS", "VNF", "AGE"], ["VERSION", "PID"],
            i => [Json.Text(i, "name"), Json.Text(i, "id"), Json.Text(i, "technology"), Json.Text(i, "state"), Json.Text(i, "address"), Json.Text(i, "vnf"), Ago(i, "createdAt")],
            i => [Number(i, "version"), Number(i, "pid")]),
        new("vnfs", "Vnf", ["vnf"], (p, t, ct) => p.VnfsAsync(t, ct), v => Json.Text(v, "name"), (v, n) => Json.Text(v, "name") == n,
            ["NAME", "VERSION", "REPLICAS", "READY", "UPDATED"], ["INSTANCES"],
            v => [Json.Text(v, "name"), Number(v, "version"), Number(v, "replicas"), Number(v, "ready"), Ago(v, "updatedAt")],
            v => [string.Join(',', v.GetProperty("instances").EnumerateArray().Select(i => Json.Text(i, "id")))]),
        new("descriptors", "Descriptor", ["descriptor", "desc"], (p, t, ct) => p.DescriptorsAsync(t, ct), d => Json.Text(d, "name"), (d, n) => Json.Text(d, "name") == n,
            ["NAME", "VERSION", "TECHNOLOGY", "CREATED"], [],
            d => [Json.Text(d, "name"), Number(d, "version"), Json.Text(d, "technology"), Ago(d, "createdAt")], _ => []),
        new("operations", "Operation", ["operation", "op", "ops"], (p, t, ct) => p.OperationsAsync(t, ct), o => Json.Text(o, "id"),
            (o, n) => Json.Text(o, "id").StartsWith(n, StringComparison.Ordinal),
            ["ID", "KIND", "VNF", "STATE", "CREATED"], ["ERROR"],
            o => [Json.Text(o, "id"), Json.Text(o, "kind"), Json.Text(o, "vnf"), Json.Text(o, "state"), Ago(o, "createdAt")], o => [Json.Text(o, "error")]),
        new("alerts", "Alert", ["alert", "events", "event", "ev"], (p, t, ct) => p.AlertsAsync(t, ct), a => Number(a, "id"), (a, n) => Number(a, "id") == n,
            ["ID", "AT", "KIND", "VNF", "INSTANCE", "MESSAGE"], [],
            a => [Number(a, "id"), Ago(a, "at"), Json.Text(a, "kind"), Json.Text(a, "deployment"), Json.Text(a, "instanceId"), Json.Text(a, "message")], _ => []),
    ];

    public static Command Create()
    {
        var type = new Argument<string>("resource") { Description = "instances (i), vnfs, descriptors (desc), operations (op), alerts" };
        type.CompletionSources.Add(Resources.Select(r => r.Plural).ToArray());
        var name = new Argument<string?>("name") { Description = "Only this one (instance name or id, VNF or descriptor name, operation or alert id)", Arity = ArgumentArity.ZeroOrOne };
        var output = OutputFormat.Create();
        var all = TenantOption.AllTenants();
        var cmd = new Command("get", "List objects of one kind, or show one, as kubectl get: a table, or -o json|yaml (the API's shapes, versioned), wide, name")
        {
            type, name, output, all,
        };
        cmd.SetAction((pr, ct) =>
        {
            // kubectl's TYPE/NAME form too: get vnf/echo.
            var (word, named) = Split(pr.GetValue(type)!, pr.GetValue(name));
            if (Find(word) is not { } resource)
            {
                Console.Error.WriteLine($"error: {Unknown(word)}");
                return Task.FromResult(2);
            }
            return Cli.OnPlatform(async (platform, token) =>
            {
                var tenant = TenantOption.ListScope(pr, all);
                var items = (await resource.List(platform, tenant, token).ConfigureAwait(false)).EnumerateArray().ToList();
                var format = pr.GetValue(output);
                if (named is { } wanted)
                {
                    var one = items.Where(i => resource.Matches(i, wanted)).ToList();
                    if (one.Count != 1)
                    {
                        throw new LightNfvException(one.Count == 0 ? ErrorKind.NotFound : ErrorKind.Invalid, one.Count == 0
                            ? $"{resource.Aliases[0]} '{wanted}' not found{(tenant is null ? "" : $" in tenant '{tenant}'")}; 'lightnfv get {resource.Plural}{(tenant is null ? " -A" : "")}' lists them"
                            : $"'{wanted}' names {one.Count} {resource.Plural}; give more of the id");
                    }
                    if (OutputFormat.TryPrint(format, format == OutputFormat.Name ? one[0] : Envelope.Item(resource.Kind, one[0]), i => Qualified(resource, i)))
                    {
                        return 0;
                    }
                    items = one;
                }
                else if (OutputFormat.TryPrint(format, format == OutputFormat.Name ? Json.Element(items) : Envelope.List(resource.Kind, items), i => Qualified(resource, i)))
                {
                    return 0;
                }
                if (items.Count == 0)
                {
                    // kubectl's "No resources found in default namespace.": on stderr, so a script reading the table reads nothing.
                    Console.Error.WriteLine($"no {resource.Plural}{(tenant is null ? "" : $" in tenant '{tenant}'")}");
                    return 0;
                }
                PrintTable(resource, items, format == OutputFormat.Wide, allTenants: tenant is null);
                return 0;
            }, ct);
        });
        return cmd;
    }

    /// <summary>TYPE/NAME as kubectl writes it, or TYPE and an optional NAME.</summary>
    internal static (string Type, string? Name) Split(string type, string? name) =>
        name is null && type.IndexOf('/', StringComparison.Ordinal) is > 0 and var slash ? (type[..slash], type[(slash + 1)..]) : (type, name);

    /// <summary>An unknown type in one line; kubectl's and docker's words for LightNFV's kinds name the command to use.</summary>
    internal static string Unknown(string word) => word.ToLowerInvariant() switch
    {
        "pods" or "pod" or "po" or "containers" or "container" => $"'{word}' is not a LightNFV resource; instances are: 'lightnfv get instances'",
        "deployments" or "deployment" or "deploy" or "services" or "service" or "svc" => $"'{word}' is not a LightNFV resource; VNFs are: 'lightnfv get vnfs'",
        _ => $"'{word}' is not a resource type; use one of {string.Join(", ", Resources.Select(r => r.Plural))}",
    };

    internal static Resource? Find(string word) =>
        Resources.FirstOrDefault(r => r.Plural.Equals(word, StringComparison.OrdinalIgnoreCase) || r.Aliases.Contains(word, StringComparer.OrdinalIgnoreCase));

    /// <summary>kubectl's `-o name`: kind/name.</summary>
    private static string Qualified(Resource r, JsonElement item) => $"{r.Kind.ToLowerInvariant()}/{r.NameOf(item)}";

    private static void PrintTable(Resource r, IReadOnlyList<JsonElement> items, bool wide, bool allTenants)
    {
        IReadOnlyList<string> header = wide ? [.. r.Header, .. r.WideHeader] : r.Header;
        // -A, as kubectl's --all-namespaces, puts the tenant first.
        Table.Write(Console.Out, allTenants ? ["TENANT", .. header] : header, items.Select(i =>
        {
            IReadOnlyList<string> row = wide ? [.. r.Row(i), .. r.WideRow(i)] : r.Row(i);
            return allTenants ? [Json.Text(i, "tenant"), .. row] : row;
        }));
    }

    /// <summary>`lightnfv ps`'s list (the host read for standalone instances) without the orphans, which are no instance yet.</summary>
    private static async Task<JsonElement> Instances(PlatformEndpoint platform, string? tenant, CancellationToken ct)
    {
        var all = await platform.ListAsync(ct).ConfigureAwait(false);
        return Json.Element(all.EnumerateArray().Where(i => Json.Text(i, "state") != OrphanDto.OrphanedState && (tenant is null || Json.Text(i, "tenant") == tenant)).ToList());
    }

    internal static string Number(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt64().ToString(CultureInfo.InvariantCulture) : "-";

    internal static string Ago(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? PsCommand.Ago(v.GetDateTimeOffset()) : "-";
}
