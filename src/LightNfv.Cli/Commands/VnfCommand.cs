using System.CommandLine;
using System.Text.Json;

namespace LightNfv.Cli.Commands;

/// <summary>`lightnfv vnf ...`: descriptors and lifecycle operations through the daemon (they need its loops).</summary>
public static class VnfCommand
{
    public static Command Create()
    {
        var cmd = new Command("vnf", "Manage VNFs through the daemon: create (descriptor), instantiate, scale, heal, update, terminate, ls, ops");
        var file = new Option<FileInfo>("--file", "-f") { Description = "VNF descriptor (YAML)", Required = true };
        var create = new Command("create", "Store a descriptor (a new version if its name exists)") { file };
        create.SetAction((pr, ct) => Call(c => c.SendAsync(HttpMethod.Post, "api/v1/descriptors",
            yaml: ApplyCommand.Scoped(Core.Descriptors.DescriptorLimits.ReadFile(pr.GetValue(file)!.FullName), TenantOption.Resolve(pr)).Yaml, ct: ct)));
        cmd.Subcommands.Add(create);

        var name = new Argument<string>("name") { Description = "VNF (descriptor) name" };
        var replicas = new Option<int?>("--replicas", "-r") { Description = "Number of replicas" };
        var version = new Option<int?>("--version") { Description = "Descriptor version (default latest)" };
        var wait = new Option<bool>("--wait", "-w") { Description = "Wait until the operation ends" };

        var inst = new Command("instantiate", "Instantiate a VNF") { name, replicas, version, wait };
        inst.SetAction((pr, ct) => Op(pr, pr.GetValue(name)!, "instantiate", new { replicas = pr.GetValue(replicas), version = pr.GetValue(version) }, pr.GetValue(wait), ct));
        cmd.Subcommands.Add(inst);

        var count = new Argument<int>("replicas") { Description = "Desired replicas" };
        var scale = new Command("scale", "Scale a VNF to N replicas") { name, count, wait };
        scale.SetAction((pr, ct) => Op(pr, pr.GetValue(name)!, "scale", new { replicas = pr.GetValue(count) }, pr.GetValue(wait), ct));
        cmd.Subcommands.Add(scale);

        var instance = new Option<string?>("--instance") { Description = "Only this replica (id)" };
        var heal = new Command("heal", "Heal a VNF's replicas now") { name, instance, wait };
        heal.SetAction((pr, ct) => Op(pr, pr.GetValue(name)!, "heal", new { instanceId = pr.GetValue(instance) }, pr.GetValue(wait), ct));
        cmd.Subcommands.Add(heal);

        var update = new Command("update", "Rolling update to a descriptor version (default latest)") { name, version, wait };
        update.SetAction((pr, ct) => Op(pr, pr.GetValue(name)!, "update", new { version = pr.GetValue(version) }, pr.GetValue(wait), ct));
        cmd.Subcommands.Add(update);

        var term = new Command("terminate", "Remove every replica of a VNF") { name, wait };
        term.SetAction((pr, ct) => Op(pr, pr.GetValue(name)!, "terminate", new { }, pr.GetValue(wait), ct));
        cmd.Subcommands.Add(term);

        var lsOutput = Output.OutputFormat.Create();
        var lsAll = TenantOption.AllTenants();
        var ls = new Command("ls", "List the tenant's VNFs (-A: every tenant's)") { lsOutput, lsAll };
        ls.SetAction((pr, ct) => List(c => c.SendAsync(HttpMethod.Get, "api/v1/vnfs" + TenantOption.Query(TenantOption.ListScope(pr, lsAll)), ct: ct), pr.GetValue(lsOutput), v => Json.Text(v, "name"),
            ["NAME", "TENANT", "VERSION", "REPLICAS", "READY", "SERVICE", "UPDATED"], ["INSTANCES"], v =>
            [
                Json.Text(v, "name"), Json.Text(v, "tenant"), Number(v, "version"), Number(v, "replicas"), Number(v, "ready"),
                v.TryGetProperty("serviceAddress", out var sa) && sa.ValueKind == JsonValueKind.Array ? string.Join(',', sa.EnumerateArray().Select(a => a.GetString())) : "-",
                PsCommand.Ago(v.GetProperty("updatedAt").GetDateTimeOffset()),
            ], v => [string.Join(',', v.GetProperty("instances").EnumerateArray().Select(i => Json.Text(i, "id")))]));
        cmd.Subcommands.Add(ls);

        var opsOutput = Output.OutputFormat.Create();
        var opsAll = TenantOption.AllTenants();
        var ops = new Command("ops", "List the tenant's operations (-A: every tenant's)") { opsOutput, opsAll };
        ops.SetAction((pr, ct) => List(c => c.SendAsync(HttpMethod.Get, "api/v1/operations" + TenantOption.Query(TenantOption.ListScope(pr, opsAll)), ct: ct), pr.GetValue(opsOutput), o => Json.Text(o, "id"),
            ["ID", "KIND", "VNF", "STATE", "CREATED"], ["TENANT", "ERROR"], o =>
            [
                Json.Text(o, "id"), Json.Text(o, "kind"), Json.Text(o, "vnf"), Json.Text(o, "state"), PsCommand.Ago(o.GetProperty("createdAt").GetDateTimeOffset()),
            ], o => [Json.Text(o, "tenant"), Json.Text(o, "error")]));
        cmd.Subcommands.Add(ops);
        return cmd;
    }

    private static Task<int> Op(ParseResult pr, string name, string action, object body, bool wait, CancellationToken ct) => Call(async c =>
    {
        var tenant = TenantOption.Query(TenantOption.Requested(pr));
        var op = await c.SendAsync(HttpMethod.Post, $"api/v1/vnfs/{Uri.EscapeDataString(name)}/{action}{tenant}", body, ct: ct).ConfigureAwait(false);
        while (wait && op.GetProperty("state").GetString() == "processing")
        {
            await Task.Delay(100, ct).ConfigureAwait(false);
            op = await c.SendAsync(HttpMethod.Get, $"api/v1/operations/{op.GetProperty("id").GetString()}", ct: ct).ConfigureAwait(false);
        }
        return op;
    }, r => r.TryGetProperty("state", out var s) && s.GetString() is "failed" or "rolled_back" ? 1 : 0);

    private static string Number(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt64().ToString(System.Globalization.CultureInfo.InvariantCulture) : "-";

    /// <summary>A list from the daemon in the asked format: json, yaml, names, or a table (wide: with the extra columns).</summary>
    private static Task<int> List(Func<DaemonClient, Task<JsonElement>> call, string? format, Func<JsonElement, string> nameOf,
        IReadOnlyList<string> header, IReadOnlyList<string> wideHeader, Func<JsonElement, IReadOnlyList<string>> row, Func<JsonElement, IReadOnlyList<string>> wideRow) =>
        Call(call, print: list =>
        {
            if (!Output.OutputFormat.TryPrint(format, list, nameOf))
            {
                var wide = format == Output.OutputFormat.Wide;
                Table.Write(Console.Out, wide ? [.. header, .. wideHeader] : header,
                    list.EnumerateArray().Select(x => wide ? (IReadOnlyList<string>)[.. row(x), .. wideRow(x)] : row(x)));
            }
        });

    private static async Task<int> Call(Func<DaemonClient, Task<JsonElement>> call, Func<JsonElement, int>? exit = null, Action<JsonElement>? print = null)
    {
        try
        {
            using var client = DaemonClient.Require();
            var result = await call(client).ConfigureAwait(false);
            (print ?? Json.Print)(result);
            return exit?.Invoke(result) ?? 0;
        }
        catch (Core.Errors.LightNfvException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return Cli.ExitCode(e.Kind);
        }
    }
}
