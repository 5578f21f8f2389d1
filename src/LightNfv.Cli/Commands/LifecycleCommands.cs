using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using LightNfv.Core.Descriptors;
using LightNfv.Core.Errors;
using LightNfv.Host.Processes;
using LightNfv.Platform.Lifecycle;
using LightNfv.Server.Api;
using LightNfv.Server.Daemon;

namespace LightNfv.Cli.Commands;

// The instance commands: each parses its arguments, makes one call on the platform (the daemon's API when one answers,
// else embedded: see PlatformEndpoint) and prints the answer, so the output is the same either way.

public static class RunCommand
{
    public static Command Create()
    {
        var file = new Option<FileInfo>("--file", "-f") { Description = "VNF descriptor (YAML)", Required = true };
        var cmd = new Command("run", "Create and start a standalone instance from a descriptor; prints its id and address. Under a daemon it is " +
            "the daemon's to list and remove, but never reconciled (not restarted, not scaled): a VNF the daemon keeps up is 'lightnfv vnf create' + 'vnf instantiate'") { file };
        cmd.SetAction((pr, ct) => Cli.OnPlatform(async (platform, token) =>
        {
            // Parsed here in both modes: a bad descriptor is the same one line, exit 2, before any daemon is asked.
            var yaml = DescriptorLimits.ReadFile(pr.GetValue(file)!.FullName);
            var descriptor = DescriptorParser.Parse(yaml);
            var r = await platform.RunAsync(descriptor, yaml, token).ConfigureAwait(false);
            Console.WriteLine($"{r.GetProperty("id").GetString()}  {r.GetProperty("address").GetString()}");
            return 0;
        }, ct));
        return cmd;
    }
}

public static class PsCommand
{
    public static Command Create()
    {
        var json = new Option<bool>("--json") { Description = "Same as -o json", Hidden = true };
        var output = Output.OutputFormat.Create();
        var all = TenantOption.AllTenants();
        var cmd = new Command("ps", "List the instances of the tenant (--tenant; -A every tenant) and any orphans") { output, json, all };
        cmd.SetAction((pr, ct) => Cli.OnPlatform(async (platform, token) =>
        {
            // Orphans belong to no tenant (no record says whose they were): always listed, so they get removed.
            var tenant = TenantOption.ListScope(pr, all);
            var list = Json.Element((await platform.ListAsync(token).ConfigureAwait(false)).EnumerateArray()
                .Where(r => tenant is null || Json.Text(r, "state") == OrphanDto.OrphanedState || Json.Text(r, "tenant") == tenant).ToList());
            var format = pr.GetValue(json) ? Output.OutputFormat.JsonFormat : pr.GetValue(output);
            if (Output.OutputFormat.TryPrint(format, list))
            {
                return 0;
            }
            var wide = format == Output.OutputFormat.Wide;
            var rows = list.EnumerateArray().ToList();
            var orphans = rows.Count(r => Json.Text(r, "state") == OrphanDto.OrphanedState);
            IReadOnlyList<string> header = ["ID", "NAME", "TENANT", "TECHNOLOGY", "STATE", "ADDRESS", "PID", "CREATED"];
            Table.Write(Console.Out, wide ? [.. header, "VNF", "VERSION", "UPDATED"] : header, rows.Select(r =>
            {
                IReadOnlyList<string> row = Json.Text(r, "state") == OrphanDto.OrphanedState
                    ?
                    [
                        Json.Text(r, "id"), "-", "-", "-", OrphanDto.OrphanedState, Json.Text(r, "address"),
                        r.GetProperty("pids").EnumerateArray().Select(p => p.GetInt32().ToString(CultureInfo.InvariantCulture)).FirstOrDefault() ?? "-", "-",
                    ]
                    :
                    [
                        Json.Text(r, "id"), Json.Text(r, "name"), Json.Text(r, "tenant"), Json.Text(r, "technology"), State(r), Json.Text(r, "address"),
                        r.TryGetProperty("pid", out var p) ? p.GetInt32().ToString(CultureInfo.InvariantCulture) : "-",
                        Ago(r.GetProperty("createdAt").GetDateTimeOffset()),
                    ];
                return wide
                    ? [.. row, Json.Text(r, "vnf"), r.TryGetProperty("version", out var v) ? v.GetInt32().ToString(CultureInfo.InvariantCulture) : "-",
                        r.TryGetProperty("updatedAt", out var u) ? Ago(u.GetDateTimeOffset()) : "-"]
                    : row;
            }));
            if (orphans > 0)
            {
                Console.Error.WriteLine($"{orphans} orphaned instance(s): host objects no record knows (was the store lost or replaced?); " +
                    "'lightnfv rm <id>' or 'lightnfv down' removes them");
            }
            return 0;
        }, ct));
        return cmd;
    }

    /// <summary>The state, with why it exited when it did.</summary>
    private static string State(JsonElement r) =>
        Json.Text(r, "state") is var state && state == "exited" && r.TryGetProperty("error", out var e) ? $"exited ({e.GetString()})" : state;

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
        var output = Output.OutputFormat.Create(Output.OutputFormat.JsonFormat, Output.OutputFormat.Yaml);
        var cmd = new Command("inspect", "Show an instance: record, host state, resource counters (JSON; -o json|yaml: in the versioned envelope of 'get')") { id, output };
        cmd.SetAction((pr, ct) => Cli.OnPlatform(async (platform, token) =>
        {
            var detail = await platform.InspectAsync(pr.GetValue(id)!, token).ConfigureAwait(false);
            // Without -o the bare object, as docker inspect and earlier releases print it.
            if (!Output.OutputFormat.TryPrint(pr.GetValue(output), Output.Envelope.Item("InstanceDetail", detail)))
            {
                Json.Print(detail);
            }
            return 0;
        }, ct));
        return cmd;
    }
}

public static class StopCommand
{
    public static Command Create()
    {
        var id = new Argument<string>("instance") { Description = "Instance id, id prefix or name" };
        var grace = new Option<double>("--time", "-t") { Description = "Seconds to wait after SIGTERM before SIGKILL (0 to 3600)", DefaultValueFactory = _ => 5 };
        var detach = DetachOption.Create();
        var cmd = new Command("stop", "Stop an instance (its namespace, cgroup and address are kept); a VNF's replica only with --detach") { id, grace, detach };
        cmd.SetAction((pr, ct) => Cli.OnPlatform(async (platform, token) =>
        {
            var r = await platform.StopAsync(pr.GetValue(id)!, pr.GetValue(grace), pr.GetValue(detach), token).ConfigureAwait(false);
            Console.WriteLine(Json.Text(r, "id"));
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
        var cmd = new Command("start", "Start a stopped or exited instance again; under a daemon, standalone instances only") { id };
        cmd.SetAction((pr, ct) => Cli.OnPlatform(async (platform, token) =>
        {
            var r = await platform.StartAsync(pr.GetValue(id)!, token).ConfigureAwait(false);
            Console.WriteLine(Json.Text(r, "id"));
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
        var all = new Option<bool>("--all", "-a") { Description = "Remove every instance (under a daemon: every standalone one; replicas stay with their VNFs)" };
        // docker's habit: `rm -f` removes a running container. Running instances are always stopped first here, so
        // -f only keeps that habit from reading as an instance named "-f".
        var force = new Option<bool>("--force", "-f") { Description = "Accepted for docker's habit: running instances are always stopped, then removed" };
        var detach = DetachOption.Create();
        var cmd = new Command("rm", "Remove instances (running ones are stopped first) and everything they own on the host; a VNF's replica only with --detach") { ids, all, force, detach };
        cmd.SetAction((pr, ct) => Cli.OnPlatform(async (platform, token) =>
        {
            if (pr.GetValue(all))
            {
                var removed = await platform.RemoveAllAsync(token).ConfigureAwait(false);
                Console.WriteLine($"removed {removed.GetProperty("removed").GetInt32()} instance(s)");
                var kept = removed.GetProperty("keptVnfs").EnumerateArray().Select(v => v.GetString()).ToList();
                if (kept.Count > 0)
                {
                    Console.Error.WriteLine($"replicas of VNF(s) {string.Join(", ", kept)} are kept: the daemon keeps them up; 'lightnfv vnf terminate NAME' removes them");
                }
                return 0;
            }
            var refs = pr.GetValue(ids) ?? [];
            if (refs.Length == 0)
            {
                Console.Error.WriteLine("error: name at least one instance, or use --all");
                return 2;
            }
            foreach (var reference in refs)
            {
                var r = await platform.RemoveAsync(reference, pr.GetValue(detach), token).ConfigureAwait(false);
                // No record, but the host still had objects of that id: an orphan (`ps` lists them).
                Console.WriteLine(r.GetProperty("orphaned").GetBoolean()
                    ? $"{Json.Text(r, "id")} (orphaned: {string.Join(", ", r.GetProperty("objects").EnumerateArray().Select(o => o.GetString()))})"
                    : Json.Text(r, "id"));
            }
            return 0;
        }, ct, () => PlatformContext.OpenForRemoval()));
        return cmd;
    }
}

public static class DownCommand
{
    public const string WithDaemonFlag = "--with-daemon";
    public const string PurgeFlag = "--purge";

    public static Command Create()
    {
        var withDaemon = new Option<bool>(WithDaemonFlag)
        {
            Description = "If a daemon serves this platform, stop it first (SIGTERM), then remove everything; its VNFs' descriptors and desired state stay in the store",
        };
        var purge = new Option<bool>(PurgeFlag)
        {
            Description = "Also remove the VNFs' desired state (their deployments), so the next 'serve' does not recreate them; descriptors stay",
        };
        var cmd = new Command("down", "Remove everything LightNFV created on this host: instances, namespaces, links, cgroups, the lab network. " +
            "The VNFs' desired state stays in the store (named in the output; the next 'serve' recreates them) unless " + PurgeFlag + ". " +
            $"Refused while a daemon serves the platform (it runs on that lab and would recreate its VNFs), unless {WithDaemonFlag}") { withDaemon, purge };
        cmd.SetAction(async (pr, ct) =>
        {
            try
            {
                await StopDaemonAsync(pr.GetValue(withDaemon), ct).ConfigureAwait(false);
            }
            catch (LightNfvException e)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return Cli.ExitCode(e.Kind);
            }
            return await Cli.Guard(PlatformContext.OpenForReset, async (ctx, token) =>
            {
                var removed = await ctx.Instances.DownAsync(token).ConfigureAwait(false);
                Console.WriteLine(removed.Count == 0 ? "nothing to remove" : "removed " + string.Join(", ", removed));
                var purged = pr.GetValue(purge);
                if (DesiredStateOnDown.Describe(DesiredStateOnDown.Apply(ctx.Store, purged), purged, PurgeFlag) is { } line)
                {
                    Console.WriteLine(line);
                }
                return 0;
            }, ct).ConfigureAwait(false);
        });
        return cmd;
    }

    /// <summary>
    /// `down` takes away the lab the daemon works on, and a running daemon would bring its VNFs back at once: with
    /// <paramref name="stop"/> the daemon is asked to stop (SIGTERM, as a service manager would) and awaited, else refused.
    /// </summary>
    private static async Task StopDaemonAsync(bool stop, CancellationToken ct)
    {
        using var daemon = DaemonClient.TryConnect();
        if (daemon is null)
        {
            return;
        }
        var status = await daemon.SendAsync(HttpMethod.Get, "api/v1/status", ct: ct).ConfigureAwait(false);
        var pid = status.GetProperty("pid").GetInt32();
        if (!stop)
        {
            throw new LightNfvException(ErrorKind.Conflict,
                $"a LightNFV daemon serves this platform ({daemon.Socket}, pid {pid}) and would recreate its VNFs: stop it first, " +
                $"or run 'lightnfv down {WithDaemonFlag}' to stop it and remove everything");
        }
        const int sigterm = 15;
        if (ProcessIdentity.Of(pid) is { } process && ProcessSignals.Send(process, sigterm) && !ProcessSignals.WaitForExit(process, TimeSpan.FromSeconds(30)))
        {
            throw new LightNfvException(ErrorKind.Host, $"the daemon (pid {pid}) did not stop within 30 s of SIGTERM; stop it, then run 'lightnfv down' again");
        }
        Console.Error.WriteLine($"stopped the daemon (pid {pid})");
    }
}

public static class ProbeCommand
{
    public static Command Create()
    {
        var output = Output.OutputFormat.Create(Output.OutputFormat.JsonFormat, Output.OutputFormat.Yaml, Output.OutputFormat.Name);
        var cmd = new Command("probe", "Say which technologies this host can run, and why not for the others") { output };
        cmd.SetAction((pr, ct) => Cli.Guard((ctx, _) =>
        {
            var probes = Enum.GetValues<Technology>().Select(t => (t, p: ctx.Backends.Probe(t))).ToList();
            if (Output.OutputFormat.TryPrint(pr.GetValue(output), Json.Element(probes.Select(x =>
                new ProbeRow(x.t.ToName(), x.p.Available, x.p.Available ? null : x.p.Reason, x.p.Details)).ToList()), r => Json.Text(r, "technology")))
            {
                return Task.FromResult(0);
            }
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

/// <summary>One technology in `lightnfv probe -o json|yaml`.</summary>
public sealed record ProbeRow(string Technology, bool Available, string? Reason, IReadOnlyDictionary<string, string> Details);

/// <summary>JSON as the CLI prints it: the API's shapes and options, indented.</summary>
internal static class Json
{
    public static readonly JsonSerializerOptions Options = Create();

    private static JsonSerializerOptions Create()
    {
        // A terminal, not a web page: no \u002B-style escapes of '+', '<', '>' or '&'.
        var o = new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        ServerApp.Configure(o);
        return o;
    }

    public static JsonElement Element<T>(T value) => JsonSerializer.SerializeToElement(value, Options);

    public static Task<JsonElement> Done<T>(T value) => Task.FromResult(Element(value));

    public static async Task<JsonElement> Async<T>(Func<Task<T>> value) => Element(await value().ConfigureAwait(false));

    public static void Print(JsonElement value) => Console.WriteLine(JsonSerializer.Serialize(value, Options));

    /// <summary>A string property, "-" when absent or null (the table's blank).</summary>
    public static string Text(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.GetString() is { } s ? s : "-";
}
