using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using LightNfv.Cli.Commands.Output;
using LightNfv.Core.Errors;
using LightNfv.Core.Time;
using LightNfv.Server.Api;

namespace LightNfv.Cli.Commands;

/// <summary>
/// `lightnfv audit [--tenant T] [--since 1h|RFC3339] [-o json|yaml|wide]`: who did what, from the store's audit trail
/// (through the daemon when it runs, else read from the store: the same JSON either way, <see cref="AuditRecordDto"/>);
/// `lightnfv audit verify` checks its hash chain and exits 1 naming the first broken record.
/// </summary>
public static class AuditCommand
{
    public static Command Create()
    {
        var output = OutputFormat.Create(OutputFormat.JsonFormat, OutputFormat.Yaml, OutputFormat.Wide);
        var since = new Option<string?>("--since") { Description = "Only records newer than a duration (30s, 10m, 2h, 1d) or an RFC 3339 time" };
        since.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<string?>() is { } s && !Since.TryParse(s, DateTimeOffset.UtcNow, out _))
            {
                r.AddError(Since.Error(s, "--since"));
            }
        });
        var cmd = new Command("audit", "List the audit trail: who did what, in which tenant, and how it ended (every tenant unless --tenant is given)") { output, since };
        cmd.SetAction((pr, ct) =>
        {
            var tenant = TenantOption.Resolve(pr) is { Explicit: true } scope ? scope.Name : null;
            DateTimeOffset? from = pr.GetValue(since) is { } s ? Since.Parse(s, DateTimeOffset.UtcNow, "--since") : null;
            return ListAsync(pr.GetValue(output), tenant, from, ct);
        });
        var verify = new Command("verify", "Check the audit trail's hash chain: exits 0 when intact, 1 naming the first edited, inserted or deleted record");
        verify.SetAction((_, ct) => VerifyAsync(ct));
        cmd.Subcommands.Add(verify);
        return cmd;
    }

    private static Task<int> ListAsync(string? format, string? tenant, DateTimeOffset? since, CancellationToken ct) => WithPlatformAsync(async (daemon, ctx) =>
    {
        JsonElement records;
        if (daemon is not null)
        {
            var query = new List<string>();
            if (tenant is not null)
            {
                query.Add("tenant=" + Uri.EscapeDataString(tenant));
            }
            if (since is { } s)
            {
                query.Add("since=" + Uri.EscapeDataString(s.UtcDateTime.ToString("O", CultureInfo.InvariantCulture)));
            }
            records = await daemon.SendAsync(HttpMethod.Get, "api/v1/audit" + (query.Count > 0 ? "?" + string.Join('&', query) : ""), ct: ct).ConfigureAwait(false);
        }
        else
        {
            records = Json.Element(ctx!.Store.AuditRecords(tenant, since).Select(AuditRecordDto.Of).ToList());
        }
        if (!OutputFormat.TryPrint(format, records))
        {
            PrintTable(records, wide: format == OutputFormat.Wide);
        }
        return 0;
    }, ct);

    private static Task<int> VerifyAsync(CancellationToken ct) => WithPlatformAsync(async (daemon, ctx) =>
    {
        var verdict = daemon is not null
            ? await daemon.SendAsync(HttpMethod.Get, "api/v1/audit/verify", ct: ct).ConfigureAwait(false)
            : Json.Element(AuditVerdictDto.Of(ctx!.Store.VerifyAudit()));
        var intact = verdict.GetProperty("intact").GetBoolean();
        (intact ? Console.Out : Console.Error).WriteLine(verdict.GetProperty("message").GetString());
        return intact ? 0 : 1;
    }, ct);

    /// <summary>The daemon's API when its socket answers, else the store of this process.</summary>
    private static async Task<int> WithPlatformAsync(Func<DaemonClient?, PlatformContext?, Task<int>> body, CancellationToken ct)
    {
        using var daemon = DaemonClient.TryConnect();
        if (daemon is null)
        {
            return await Cli.Guard((ctx, _) => body(null, ctx), ct).ConfigureAwait(false);
        }
        try
        {
            return await body(daemon, null).ConfigureAwait(false);
        }
        catch (LightNfvException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return Cli.ExitCode(e.Kind);
        }
    }

    private static void PrintTable(JsonElement records, bool wide)
    {
        IReadOnlyList<string> header = wide
            ? ["SEQ", "TIME", "ACTOR", "TENANT", "ACTION", "TARGET", "RESULT", "PARAMETERS", "ERROR", "HASH"]
            : ["SEQ", "TIME", "ACTOR", "TENANT", "ACTION", "TARGET", "RESULT"];
        var rows = new List<IReadOnlyList<string>>();
        foreach (var r in records.EnumerateArray())
        {
            var hash = Json.Text(r, "hash");
            rows.Add(wide
                ? [.. Row(r), r.TryGetProperty("parameters", out var p) ? p.GetRawText() : "{}", Json.Text(r, "error"), hash[..Math.Min(16, hash.Length)]]
                : Row(r));
        }
        Table.Write(Console.Out, header, rows);
    }

    private static List<string> Row(JsonElement r) =>
    [
        r.GetProperty("seq").GetInt64().ToString(CultureInfo.InvariantCulture),
        r.GetProperty("at").GetDateTimeOffset().UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
        Json.Text(r, "actor"), Json.Text(r, "tenant"), Json.Text(r, "action"), Json.Text(r, "target"), Json.Text(r, "result"),
    ];
}
