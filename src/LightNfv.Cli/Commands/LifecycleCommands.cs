using System.CommandLine;
using System.Text.Json;
using LightNfv.Core.Backends;
using LightNfv.Core.Descriptors;
using LightNfv.Core.Instances;
using LightNfv.Platform.Lifecycle;
using LightNfv.Platform.Store;

namespace LightNfv.Cli.Commands;

public static class RunCommand
{
    public static Command Create()
    {
        var file = new Option<FileInfo>("--file", "-f") { Description = "VNF descriptor (YAML)", Required = true };
        var cmd = new Command("run", "Create and start a VNF instance from a descriptor; prints its id and address") { file };
        cmd.SetAction((pr, ct) => Cli.Guard(async (ctx, token) =>
        {
            var descriptor = ctx.Instances.Backends.Admit(DescriptorParser.ParseFile(pr.GetValue(file)!.FullName));
            var record = await ctx.Instances.RunAsync(descriptor, token).ConfigureAwait(false);
            Console.WriteLine($"{record.Id}  {record.Address}");
            if (ctx.Options.WarmPool > 0)
            {
                // After the instance is up, not before: the next run starts warm.
                ctx.Instances.RefillWarmPool(descriptor.Spec.Technology, ctx.Options.WarmPool, token);
            }
            return 0;
        }, ct));
        return cmd;
    }
}

public static class PsCommand
{
    public static Command Create()
    {
        var json = new Option<bool>("--json") { Description = "Print JSON instead of a table" };
        var cmd = new Command("ps", "List instances") { json };
        cmd.SetAction(async (pr, ct) =>
        {
            if (await TopCommand.ThroughDaemonAsync(pr.GetValue(json), ct).ConfigureAwait(false) is { } code)
            {
                return code;
            }
            return await Cli.Guard((ctx, _) => Embedded(ctx, pr.GetValue(json)), ct).ConfigureAwait(false);
        });
        return cmd;
    }

    private static Task<int> Embedded(PlatformContext ctx, bool asJson)
    {
        {
            var views = ctx.Instances.List();
            // Instances the host still runs although no record knows them (a store lost or replaced while they ran).
            var orphans = ctx.Instances.Orphans();
            if (asJson)
            {
                Console.WriteLine(JsonSerializer.Serialize(views.Select(Json.Of).Concat(orphans.Select(Json.Of)), Json.Options));
                return Task.FromResult(0);
            }
            Table.Write(Console.Out, ["ID", "NAME", "TENANT", "TECHNOLOGY", "STATE", "ADDRESS", "PID", "CREATED"],
                views.Select(v => (IReadOnlyList<string>)
                [
                    v.Record.Id, v.Record.Name, v.Record.Tenant, v.Record.Technology.ToName(), Json.State(v),
                    v.Record.Address ?? "-", v.Observation?.Pid?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-",
                    Ago(v.Record.CreatedAt),
                ]).Concat(orphans.Select(o => (IReadOnlyList<string>)
                [
                    o.Id, "-", "-", "-", "orphaned", o.Address?.ToString() ?? "-",
                    o.Processes.Count > 0 ? o.Processes[0].Pid.ToString(System.Globalization.CultureInfo.InvariantCulture) : "-", "-",
                ])));
            if (orphans.Count > 0)
            {
                Console.Error.WriteLine($"{orphans.Count} orphaned instance(s): host objects no record knows (was the store lost or replaced?); " +
                    "'lightnfv rm <id>' or 'lightnfv down' removes them");
            }
            return Task.FromResult(0);
        }
    }

    internal static string Ago(DateTimeOffset t)
    {
        var d = DateTimeOffset.UtcNow - t;
        return d.TotalSeconds < 60 ? $"{d.TotalSeconds:0}s ago" : d.TotalMinutes < 60 ? $"{d.TotalMinutes:0}m ago" : d.TotalHours < 48 ? $"{d.TotalHours:0}h ago" : $"{d.TotalDays:0}d ago";
    }
}

public static class InspectCommand
{
    public static Command Create()
    {
        var id = new Argument<string>("instance") { Description = "Instance id, id prefix or name" };
        var cmd = new Command("inspect", "Show an instance: record, host state, resource counters (JSON)") { id };
        cmd.SetAction((pr, ct) => Cli.Guard((ctx, _) =>
        {
            Console.WriteLine(JsonSerializer.Serialize(Json.Of(ctx.Instances.Inspect(pr.GetValue(id)!)), Json.Options));
            return Task.FromResult(0);
        }, ct));
        return cmd;
    }
}

public static class LogsCommand
{
    public static Command Create()
    {
        var id = new Argument<string>("instance") { Description = "Instance id, id prefix or name" };
        var tail = new Option<int?>("--tail", "-n") { Description = "Only the last N lines" };
        var cmd = new Command("logs", "Print what the instance wrote to stdout and stderr") { id, tail };
        cmd.SetAction((pr, ct) => Cli.Guard((ctx, _) =>
        {
            var record = ctx.Instances.Resolve(pr.GetValue(id)!);
            var path = InstanceSpec.LogPathIn(ctx.Host.RunDirectory(record.Id));
            if (!File.Exists(path))
            {
                return Task.FromResult(0);
            }
            var lines = File.ReadAllLines(path);
            var n = pr.GetValue(tail);
            foreach (var line in n is { } k ? lines.TakeLast(k) : lines)
            {
                Console.WriteLine(line);
            }
            return Task.FromResult(0);
        }, ct));
        return cmd;
    }
}

public static class StopCommand
{
    public static Command Create()
    {
        var id = new Argument<string>("instance") { Description = "Instance id, id prefix or name" };
        var grace = new Option<double>("--time", "-t") { Description = "Seconds to wait after SIGTERM before SIGKILL", DefaultValueFactory = _ => 5 };
        var cmd = new Command("stop", "Stop an instance (its namespace, cgroup and address are kept)") { id, grace };
        cmd.SetAction((pr, ct) => Cli.Guard(async (ctx, token) =>
        {
            var r = await ctx.Instances.StopAsync(pr.GetValue(id)!, TimeSpan.FromSeconds(pr.GetValue(grace)), token).ConfigureAwait(false);
            Console.WriteLine(r.Id);
            return 0;
        }, ct));
        return cmd;
    }
}

public static class StartCommand
{
    public static Command Create()
    {
        var id = new Argument<string>("instance") { Description = "Instance id, id prefix or name" };
        var cmd = new Command("start", "Start a stopped or exited instance again") { id };
        cmd.SetAction((pr, ct) => Cli.Guard(async (ctx, token) =>
        {
            var r = await ctx.Instances.StartAsync(pr.GetValue(id)!, token).ConfigureAwait(false);
            Console.WriteLine(r.Id);
            return 0;
        }, ct));
        return cmd;
    }
}

public static class RmCommand
{
    public static Command Create()
    {
        var ids = new Argument<string[]>("instance") { Description = "Instance ids, id prefixes or names", Arity = ArgumentArity.ZeroOrMore };
        var all = new Option<bool>("--all", "-a") { Description = "Remove every instance" };
        var cmd = new Command("rm", "Remove instances (running ones are stopped first) and everything they own on the host") { ids, all };
        cmd.SetAction((pr, ct) => Cli.Guard(() => PlatformContext.OpenForRemoval(), async (ctx, token) =>
        {
            if (pr.GetValue(all))
            {
                var n = await ctx.Instances.RemoveAllAsync(token).ConfigureAwait(false);
                Console.WriteLine($"removed {n} instance(s)");
                return 0;
            }
            var refs = pr.GetValue(ids) ?? [];
            if (refs.Length == 0)
            {
                Console.Error.WriteLine("error: name at least one instance, or use --all");
                return 2;
            }
            foreach (var r in refs)
            {
                InstanceRecord record;
                try
                {
                    record = ctx.Instances.Resolve(r);
                }
                catch (Core.Errors.LightNfvException e) when (e.Kind == Core.Errors.ErrorKind.NotFound && ctx.Instances.RemoveOrphan(r) is { } orphan)
                {
                    // No record, but the host still has objects of that id: an orphan (`ps` lists them).
                    Console.WriteLine($"{orphan.Id} (orphaned: {string.Join(", ", orphan.Objects)})");
                    continue;
                }
                await ctx.Instances.RemoveAsync(record, token).ConfigureAwait(false);
                Console.WriteLine(record.Id);
            }
            return 0;
        }, ct));
        return cmd;
    }
}

public static class DownCommand
{
    public static Command Create()
    {
        var cmd = new Command("down", "Remove everything LightNFV created on this host: instances, namespaces, links, cgroups, the lab network");
        cmd.SetAction((pr, ct) => Cli.Guard(PlatformContext.OpenForReset, async (ctx, token) =>
        {
            using (var daemon = DaemonClient.TryConnect())
            {
                if (daemon is not null)
                {
                    // The daemon would recreate what `down` removes: stop it first.
                    throw new Core.Errors.LightNfvException(Core.Errors.ErrorKind.Conflict,
                        $"a LightNFV daemon serves this platform ({daemon.Socket}); stop it first (its VNFs keep running until 'down')");
                }
            }
            var removed = await ctx.Instances.DownAsync(token).ConfigureAwait(false);
            Console.WriteLine(removed.Count == 0 ? "nothing to remove" : "removed " + string.Join(", ", removed));
            return 0;
        }, ct));
        return cmd;
    }
}

public static class ProbeCommand
{
    public static Command Create()
    {
        var cmd = new Command("probe", "Say which technologies this host can run, and why not for the others");
        cmd.SetAction((pr, ct) => Cli.Guard((ctx, _) =>
        {
            Table.Write(Console.Out, ["TECHNOLOGY", "AVAILABLE", "DETAIL"],
                Enum.GetValues<Technology>().Select(t =>
                {
                    var p = ctx.Backends.Probe(t);
                    return (IReadOnlyList<string>)[t.ToName(), p.Available ? "yes" : "no",
                        p.Available ? string.Join(", ", p.Details.Select(d => $"{d.Key}={d.Value}")) : p.Reason];
                }));
            return Task.FromResult(0);
        }, ct));
        return cmd;
    }
}

/// <summary>The JSON shape of an instance for `ps --json` and `inspect`.</summary>
internal static class Json
{
    public static readonly JsonSerializerOptions Options = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    public static string State(InstanceView v) =>
        v.Record.State == InstanceState.Exited && v.Record.Error is { } e ? $"exited ({e})" : v.Record.State.ToString().ToLowerInvariant();

    /// <summary>An orphan in `ps --json`: what the host has of it, with state "orphaned".</summary>
    public static object Of(OrphanedInstance o) => new
    {
        o.Id,
        State = "orphaned",
        Address = o.Address?.ToString(),
        Host = new { Objects = o.Objects, Pids = o.Processes.Select(p => p.Pid).ToArray() },
    };

    public static object Of(InstanceView v) => new
    {
        v.Record.Id,
        v.Record.Name,
        v.Record.Tenant,
        Technology = v.Record.Technology.ToName(),
        State = v.Record.State.ToString().ToLowerInvariant(),
        v.Record.Address,
        v.Record.CreatedAt,
        v.Record.UpdatedAt,
        v.Record.Error,
        Host = v.Observation is null ? null : new
        {
            State = v.Observation.State.ToString().ToLowerInvariant(),
            v.Observation.Pid,
            v.Observation.StartedAt,
            v.Observation.Detail,
        },
        Stats = v.Stats,
        v.Record.Facts,
        Backend = v.Record.BackendStateJson(),
        v.Record.Descriptor,
    };
}
