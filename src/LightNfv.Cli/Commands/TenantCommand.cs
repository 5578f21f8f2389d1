using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using LightNfv.Cli.Commands.Output;
using LightNfv.Core.Errors;
using LightNfv.Core.Tenants;
using LightNfv.Server.Api;

namespace LightNfv.Cli.Commands;

/// <summary>
/// `lightnfv tenant create|ls|show|set-quota|rm`: tenants and their quotas, through the daemon when one answers, else
/// on the store directly. A limit is a count, or `unlimited` to remove it.
/// </summary>
public static class TenantCommand
{
    public static Command Create()
    {
        var cmd = new Command("tenant", "Manage tenants and their quotas: create, ls, show, set-quota, rm");
        var name = new Argument<string>("name") { Description = "Tenant name" };

        var limits = Limits();
        var create = new Command("create", "Create a tenant (limits not given are unlimited)") { name };
        limits.ForEach(create.Options.Add);
        create.SetAction((pr, ct) => Cli.OnPlatform(async (p, token) =>
        {
            Print(await p.CreateTenantAsync(Request(pr, limits, pr.GetValue(name)), token).ConfigureAwait(false), null);
            return 0;
        }, ct));
        cmd.Subcommands.Add(create);

        var lsOutput = OutputFormat.Create();
        var ls = new Command("ls", "List the tenants with their quotas and usage (used/limit)") { lsOutput };
        ls.SetAction((pr, ct) => Cli.OnPlatform(async (p, token) =>
        {
            Print(await p.TenantsAsync(token).ConfigureAwait(false), pr.GetValue(lsOutput));
            return 0;
        }, ct));
        cmd.Subcommands.Add(ls);

        var showOutput = OutputFormat.Create();
        var show = new Command("show", "Show one tenant's quota and usage") { name, showOutput };
        show.SetAction((pr, ct) => Cli.OnPlatform(async (p, token) =>
        {
            Print(await p.TenantAsync(pr.GetValue(name)!, token).ConfigureAwait(false), pr.GetValue(showOutput));
            return 0;
        }, ct));
        cmd.Subcommands.Add(show);

        var setLimits = Limits();
        var set = new Command("set-quota", "Change a tenant's limits (those not given stay; 'unlimited' removes one)") { name };
        setLimits.ForEach(set.Options.Add);
        set.SetAction((pr, ct) => Cli.OnPlatform(async (p, token) =>
        {
            Print(await p.SetQuotaAsync(pr.GetValue(name)!, Request(pr, setLimits, null), token).ConfigureAwait(false), null);
            return 0;
        }, ct));
        cmd.Subcommands.Add(set);

        var rm = new Command("rm", "Delete a tenant (refused while it owns an instance or a VNF)") { name };
        rm.SetAction((pr, ct) => Cli.OnPlatform(async (p, token) =>
        {
            await p.DeleteTenantAsync(pr.GetValue(name)!, token).ConfigureAwait(false);
            Console.WriteLine(pr.GetValue(name));
            return 0;
        }, ct));
        cmd.Subcommands.Add(rm);
        return cmd;
    }

    /// <summary>One option per quota, in <see cref="TenantResources.All"/> order.</summary>
    private static List<Option<string?>> Limits() =>
    [
        new("--max-instances") { Description = "Most instances (replicas and standalone), or 'unlimited'" },
        new("--max-vcpus") { Description = "Most vCPUs declared by its instances, or 'unlimited'" },
        new("--max-memory") { Description = "Most memory in MiB declared by its instances, or 'unlimited'" },
        new("--max-pids") { Description = "Most pids declared by its instances, or 'unlimited'" },
        new("--max-vnfs") { Description = "Most VNFs (stored descriptors), or 'unlimited'" },
    ];

    private static TenantRequest Request(ParseResult pr, List<Option<string?>> limits, string? name)
    {
        var values = new int?[limits.Count];
        var unlimited = new List<string>();
        for (var i = 0; i < limits.Count; i++)
        {
            switch (pr.GetValue(limits[i]))
            {
                case null:
                    break;
                case "unlimited":
                    unlimited.Add(TenantResources.Field(TenantResources.All[i]));
                    break;
                case var s when int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var n):
                    values[i] = n;
                    break;
                case var s:
                    throw new LightNfvException(ErrorKind.Invalid, $"{limits[i].Name}: '{s}' is not a limit; give a whole number (0 or more) or 'unlimited'");
            }
        }
        return new TenantRequest(name, values[0], values[1], values[2], values[3], values[4], unlimited);
    }

    private static void Print(JsonElement value, string? format)
    {
        if (format is null && value.ValueKind == JsonValueKind.Object)
        {
            format = OutputFormat.JsonFormat; // one tenant, just made or changed: its JSON, as `vnf` commands print theirs
        }
        if (OutputFormat.TryPrint(format, value, t => Json.Text(t, "name")))
        {
            return;
        }
        var wide = format == OutputFormat.Wide;
        var items = value.ValueKind == JsonValueKind.Array ? value.EnumerateArray().ToList() : [value];
        Table.Write(Console.Out, wide ? ["NAME", "INSTANCES", "VCPUS", "MEMORY_MIB", "PIDS", "VNFS", "CREATED"] : ["NAME", "INSTANCES", "VCPUS", "MEMORY_MIB", "VNFS"],
            items.Select(t => (IReadOnlyList<string>)(wide
                ? [Json.Text(t, "name"), Of(t, "instances"), Of(t, "vcpus"), Of(t, "memoryMiB"), Of(t, "pids"), Of(t, "vnfs"), PsCommand.Ago(t.GetProperty("createdAt").GetDateTimeOffset())]
                : [Json.Text(t, "name"), Of(t, "instances"), Of(t, "vcpus"), Of(t, "memoryMiB"), Of(t, "vnfs")])));
    }

    /// <summary>used/limit, or used/- when unlimited.</summary>
    private static string Of(JsonElement tenant, string resource)
    {
        static string N(JsonElement e, string p) =>
            e.TryGetProperty(p, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt64().ToString(CultureInfo.InvariantCulture) : "-";
        return $"{N(tenant.GetProperty("usage"), resource)}/{N(tenant.GetProperty("quota"), resource)}";
    }
}
