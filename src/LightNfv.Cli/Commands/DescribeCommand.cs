using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using LightNfv.Cli.Commands.Output;
using LightNfv.Core.Descriptors;
using LightNfv.Core.Errors;

namespace LightNfv.Cli.Commands;

/// <summary>
/// `lightnfv describe instance|vnf NAME [-o json|yaml]`, as kubectl describe: one object in sections for a person
/// (fields, limits, addresses, backend facts, liveness probe, recent operations and events), or the same facts as one
/// versioned JSON/YAML document (InstanceDescription, VnfDescription; docs/cli-output.md).
/// </summary>
public static class DescribeCommand
{
    private const int Recent = 10;

    public static Command Create()
    {
        var type = new Argument<string>("resource") { Description = "instance (i, inst) or vnf" };
        type.CompletionSources.Add("instance", "vnf");
        var name = new Argument<string?>("name") { Description = "Instance name, id or id prefix; VNF name (or TYPE/NAME)", Arity = ArgumentArity.ZeroOrOne };
        var output = OutputFormat.Create(OutputFormat.JsonFormat, OutputFormat.Yaml);
        var cmd = new Command("describe", "Show one instance or VNF in detail, as kubectl describe: its fields, limits, addresses, backend, probe, recent operations and events")
        {
            type, name, output,
        };
        cmd.SetAction((pr, ct) =>
        {
            var (word, named) = GetCommand.Split(pr.GetValue(type)!, pr.GetValue(name));
            var resource = GetCommand.Find(word)?.Plural;
            if (resource is not ("instances" or "vnfs") || named is null)
            {
                const string use = "use 'lightnfv describe instance NAME' or 'lightnfv describe vnf NAME'";
                Console.Error.WriteLine("error: " + (resource is null ? GetCommand.Unknown(word)
                    : named is null ? $"name the {resource.TrimEnd('s')} to describe; {use}"
                    : $"cannot describe {resource}; {use} ('lightnfv get {resource}' lists {resource})"));
                return Task.FromResult(2);
            }
            return Cli.OnPlatform(async (platform, token) =>
            {
                var tenant = TenantOption.Resolve(pr).Name;
                var document = resource == "instances"
                    ? await Instance(platform, tenant, named, token).ConfigureAwait(false)
                    : await Vnf(platform, tenant, named, token).ConfigureAwait(false);
                if (!OutputFormat.TryPrint(pr.GetValue(output), document))
                {
                    Console.Write(resource == "instances" ? InstanceText(document) : VnfText(document));
                }
                return 0;
            }, ct);
        });
        return cmd;
    }

    private static async Task<JsonElement> Instance(PlatformEndpoint platform, string tenant, string reference, CancellationToken ct)
    {
        // Resolved in the tenant first (names are unique per tenant), then inspected by its id.
        var list = (await platform.ListAsync(ct).ConfigureAwait(false)).EnumerateArray()
            .Where(i => Json.Text(i, "tenant") == tenant && (Json.Text(i, "name") == reference || Json.Text(i, "id").StartsWith(reference, StringComparison.Ordinal))).ToList();
        if (list.Count != 1)
        {
            throw new LightNfvException(list.Count == 0 ? ErrorKind.NotFound : ErrorKind.Invalid, list.Count == 0
                ? $"instance '{reference}' not found in tenant '{tenant}'; 'lightnfv get instances' lists them (-A: every tenant)"
                : $"'{reference}' names {list.Count} instances; give more of the id");
        }
        var id = Json.Text(list[0], "id");
        var detail = await platform.InspectAsync(id, ct).ConfigureAwait(false);
        var vnf = Json.Text(detail, "vnf");
        var operations = (await platform.OperationsAsync(tenant, ct).ConfigureAwait(false)).EnumerateArray().Where(o => Json.Text(o, "vnf") == vnf).Take(Recent);
        var events = (await platform.AlertsAsync(tenant, ct).ConfigureAwait(false)).EnumerateArray().Where(a => Json.Text(a, "instanceId") == id).TakeLast(Recent);
        return Envelope.Parts("InstanceDescription", ("instance", detail), ("operations", Json.Element(operations.ToList())), ("events", Json.Element(events.ToList())));
    }

    private static async Task<JsonElement> Vnf(PlatformEndpoint platform, string tenant, string name, CancellationToken ct)
    {
        var vnf = (await platform.VnfsAsync(tenant, ct).ConfigureAwait(false)).EnumerateArray().FirstOrDefault(v => Json.Text(v, "name") == name);
        if (vnf.ValueKind != JsonValueKind.Object)
        {
            throw new LightNfvException(ErrorKind.NotFound, $"VNF '{name}' is not instantiated in tenant '{tenant}'; 'lightnfv get vnfs' lists them, 'lightnfv apply -f FILE' creates one");
        }
        var descriptor = (await platform.DescriptorsAsync(tenant, ct).ConfigureAwait(false)).EnumerateArray().FirstOrDefault(d => Json.Text(d, "name") == name);
        var operations = (await platform.OperationsAsync(tenant, ct).ConfigureAwait(false)).EnumerateArray().Where(o => Json.Text(o, "vnf") == name).Take(Recent);
        var events = (await platform.AlertsAsync(tenant, ct).ConfigureAwait(false)).EnumerateArray().Where(a => Json.Text(a, "deployment") == name).TakeLast(Recent);
        return Envelope.Parts("VnfDescription", ("vnf", vnf), ("descriptor", descriptor.ValueKind == JsonValueKind.Object ? descriptor : null),
            ("operations", Json.Element(operations.ToList())), ("events", Json.Element(events.ToList())));
    }

    private static string InstanceText(JsonElement doc)
    {
        var i = doc.GetProperty("instance");
        var w = new Sections();
        w.Field("Name", Json.Text(i, "name"));
        w.Field("ID", Json.Text(i, "id"));
        w.Field("Tenant", Json.Text(i, "tenant"));
        w.Field("VNF", Json.Text(i, "vnf") is var vnf && vnf != "-" ? $"{vnf} (version {GetCommand.Number(i, "version")})" : "- (standalone: 'lightnfv run')");
        w.Field("Technology", Json.Text(i, "technology"));
        w.Field("State", Json.Text(i, "state") + (i.TryGetProperty("error", out var e) && e.ValueKind == JsonValueKind.String ? $" ({e.GetString()})" : ""));
        w.Field("Created", Time(i, "createdAt"));
        w.Field("Updated", Time(i, "updatedAt"));
        if (i.TryGetProperty("host", out var host) && host.ValueKind == JsonValueKind.Object)
        {
            w.Section("Host");
            w.Field("State", Json.Text(host, "state"), 1);
            w.Field("PID", GetCommand.Number(host, "pid"), 1);
            w.Field("Started", Time(host, "startedAt"), 1);
            if (Json.Text(host, "detail") is var detail && detail != "-")
            {
                w.Field("Detail", detail, 1);
            }
        }
        var parsed = Parse(Json.Text(i, "descriptor"));
        w.Section("Network");
        w.Field("Address", Json.Text(i, "address"), 1);
        w.Field("Ports", parsed is null || parsed.Spec.Network.Ports.Count == 0 ? "-" : string.Join(", ", parsed.Spec.Network.Ports), 1);
        if (parsed is not null)
        {
            Limits(w, parsed);
        }
        if (i.TryGetProperty("stats", out var stats) && stats.ValueKind == JsonValueKind.Object)
        {
            w.Section("Usage");
            foreach (var p in stats.EnumerateObject().Where(p => p.Value.ValueKind is JsonValueKind.Number or JsonValueKind.String))
            {
                w.Field(p.Name, p.Value.ToString(), 1);
            }
        }
        w.Section("Backend");
        if (i.TryGetProperty("facts", out var facts))
        {
            Flatten(w, facts, "");
        }
        if (i.TryGetProperty("backend", out var backend))
        {
            Flatten(w, backend, "");
        }
        Probe(w, parsed);
        Operations(w, doc.GetProperty("operations"));
        Events(w, doc.GetProperty("events"));
        return w.ToString();
    }

    private static string VnfText(JsonElement doc)
    {
        var v = doc.GetProperty("vnf");
        var w = new Sections();
        w.Field("Name", Json.Text(v, "name"));
        w.Field("Tenant", Json.Text(v, "tenant"));
        w.Field("Version", GetCommand.Number(v, "version"));
        w.Field("Replicas", $"{GetCommand.Number(v, "replicas")} desired, {GetCommand.Number(v, "ready")} ready at this version");
        w.Field("Updated", Time(v, "updatedAt"));
        var d = doc.GetProperty("descriptor");
        var parsed = d.ValueKind == JsonValueKind.Object ? Parse(Json.Text(d, "source")) : null;
        if (d.ValueKind == JsonValueKind.Object)
        {
            w.Field("Descriptor", $"version {GetCommand.Number(d, "version")} is the latest ({Json.Text(d, "technology")}, stored {Time(d, "createdAt")})");
        }
        if (parsed is not null)
        {
            w.Field("Ports", parsed.Spec.Network.Ports.Count == 0 ? "-" : string.Join(", ", parsed.Spec.Network.Ports));
            Limits(w, parsed);
            if (parsed.Spec.Scaling is { } s)
            {
                w.Section("Scaling");
                w.Field("Replicas", $"{s.MinReplicas} to {s.MaxReplicas}", 1);
                w.Field("Metric", $"{s.Metric.ToString().ToLowerInvariant()}: out above {s.ScaleOutThreshold.ToString(CultureInfo.InvariantCulture)}, in below {s.ScaleInThreshold.ToString(CultureInfo.InvariantCulture)}", 1);
                w.Field("Cooldown", s.Cooldown.ToString(), 1);
            }
        }
        w.Section("Instances");
        var replicas = v.GetProperty("instances").EnumerateArray().ToList();
        if (replicas.Count == 0)
        {
            w.Line("<none>", 1);
        }
        else
        {
            var table = new StringWriter();
            Table.Write(table, ["NAME", "ID", "STATE", "ADDRESS", "VERSION", "AGE"], replicas.Select(r => (IReadOnlyList<string>)
                [Json.Text(r, "name"), Json.Text(r, "id"), Json.Text(r, "state"), Json.Text(r, "address"), GetCommand.Number(r, "version"), GetCommand.Ago(r, "createdAt")]));
            foreach (var line in table.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                w.Line(line, 1);
            }
        }
        Probe(w, parsed);
        Operations(w, doc.GetProperty("operations"));
        Events(w, doc.GetProperty("events"));
        return w.ToString();
    }

    private static void Limits(Sections w, VnfDescriptor d)
    {
        w.Section("Limits");
        w.Field("vCPUs", d.Spec.Resources.Vcpus.ToString(CultureInfo.InvariantCulture), 1);
        w.Field("Memory", $"{d.Spec.Resources.MemoryMiB} MiB", 1);
        w.Field("Pids", d.Spec.Resources.Pids.ToString(CultureInfo.InvariantCulture), 1);
    }

    private static void Probe(Sections w, VnfDescriptor? d)
    {
        w.Section("Liveness");
        if (d is null)
        {
            w.Line("<descriptor not readable>", 1);
            return;
        }
        var h = d.Spec.Health;
        var effective = h ?? HealthSpec.Default;
        w.Field("Probe", effective.ProbeName + (h is null ? " (default: no spec.health)" : ""), 1);
        w.Field("Every", $"{effective.Interval.TotalSeconds.ToString(CultureInfo.InvariantCulture)}s, timeout {effective.Timeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)}s, {effective.FailureThreshold} failures in a row", 1);
        w.Field("Then", $"{effective.Action.ToString().ToLowerInvariant()}, at most {effective.Budget} times in {HealthSpec.BudgetWindow.TotalMinutes} min", 1);
    }

    private static void Operations(Sections w, JsonElement ops)
    {
        w.Section("Operations");
        var list = ops.EnumerateArray().ToList();
        if (list.Count == 0)
        {
            w.Line("<none>", 1);
            return;
        }
        var table = new StringWriter();
        Table.Write(table, ["ID", "KIND", "STATE", "AGE", "ERROR"], list.Select(o => (IReadOnlyList<string>)
            [Json.Text(o, "id"), Json.Text(o, "kind"), Json.Text(o, "state"), GetCommand.Ago(o, "createdAt"), Json.Text(o, "error")]));
        foreach (var line in table.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            w.Line(line, 1);
        }
    }

    private static void Events(Sections w, JsonElement events)
    {
        w.Section("Events");
        var list = events.EnumerateArray().ToList();
        if (list.Count == 0)
        {
            w.Line("<none>", 1);
            return;
        }
        var table = new StringWriter();
        Table.Write(table, ["AGE", "KIND", "MESSAGE"], list.Select(a => (IReadOnlyList<string>)[GetCommand.Ago(a, "at"), Json.Text(a, "kind"), Json.Text(a, "message")]));
        foreach (var line in table.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            w.Line(line, 1);
        }
    }

    /// <summary>Nested JSON as indented "key: value" lines (backend facts differ per technology).</summary>
    private static void Flatten(Sections w, JsonElement e, string prefix)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var p in e.EnumerateObject())
                {
                    Flatten(w, p.Value, prefix.Length == 0 ? p.Name : $"{prefix}.{p.Name}");
                }
                break;
            case JsonValueKind.Array:
                w.Field(prefix, string.Join(", ", e.EnumerateArray().Select(x => x.ValueKind == JsonValueKind.String ? x.GetString() : x.GetRawText())), 1);
                break;
            case JsonValueKind.Null or JsonValueKind.Undefined:
                break;
            default:
                w.Field(prefix, e.ValueKind == JsonValueKind.String ? e.GetString()! : e.GetRawText(), 1);
                break;
        }
    }

    private static VnfDescriptor? Parse(string source)
    {
        try
        {
            return DescriptorParser.Parse(source);
        }
        catch (DescriptorException)
        {
            return null; // stored before today's limits: the rest is still shown
        }
    }

    private static string Time(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String
            ? $"{v.GetDateTimeOffset().UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)}Z ({PsCommand.Ago(v.GetDateTimeOffset())})"
            : "-";

    /// <summary>kubectl describe's layout: "Field:  value" aligned per block, sections as "Name:" with indented lines.</summary>
    private sealed class Sections
    {
        private readonly List<(int Depth, string Key, string? Value)> _lines = [];

        public void Field(string key, string value, int depth = 0) => _lines.Add((depth, key + ":", value));

        public void Section(string name) => _lines.Add((0, name + ":", null));

        public void Line(string text, int depth) => _lines.Add((depth, text, null));

        public override string ToString()
        {
            var width = _lines.Where(l => l.Value is not null).Select(l => (l.Depth * 2) + l.Key.Length).DefaultIfEmpty(0).Max() + 2;
            var sb = new System.Text.StringBuilder();
            foreach (var (depth, key, value) in _lines)
            {
                var left = new string(' ', depth * 2) + key;
                sb.Append(value is null ? left : left.PadRight(width) + value).Append('\n');
            }
            return sb.ToString();
        }
    }
}
