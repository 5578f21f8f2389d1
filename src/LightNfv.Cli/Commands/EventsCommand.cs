using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using LightNfv.Cli.Commands.Output;
using LightNfv.Core.Errors;
using LightNfv.Core.Time;
using LightNfv.Host.UnixSockets;
using LightNfv.Platform.Alerts;
using LightNfv.Platform.Events;

namespace LightNfv.Cli.Commands;

/// <summary>
/// `lightnfv events [-w] [--since 10m] [--type X] [-o json|yaml]`: the platform's stored events (through the daemon when
/// it runs, else read from the store: the same JSON either way, <see cref="PlatformEvent"/>), like `kubectl get events`;
/// -w then follows the daemon's event stream (SSE) until Ctrl-C.
/// </summary>
public static class EventsCommand
{
    public static Command Create()
    {
        var output = OutputFormat.Create(OutputFormat.JsonFormat, OutputFormat.Yaml);
        var watch = new Option<bool>("--watch", "-w") { Description = "After the stored events, print new ones as they happen, until Ctrl-C (needs 'lightnfv serve')" };
        var since = new Option<string?>("--since") { Description = "Only events newer than a duration (30s, 10m, 2h, 1d) or an RFC 3339 time" };
        var type = new Option<string?>("--type") { Description = $"Only events of these types (comma-separated): {string.Join(", ", AlertKinds.All)}" };
        since.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<string?>() is { } s && !Since.TryParse(s, DateTimeOffset.UtcNow, out _))
            {
                r.AddError(Since.Error(s, "--since"));
            }
        });
        type.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<string?>() is { } t && Types(t).FirstOrDefault(x => !AlertKinds.All.Contains(x)) is { } bad)
            {
                r.AddError($"--type: '{bad}' is not an event type; use one of {string.Join(", ", AlertKinds.All)}");
            }
        });
        var cmd = new Command("events", "List the platform's events (failures, heals, scaling, operations); -w follows them") { output, watch, since, type };
        cmd.SetAction((pr, ct) =>
        {
            DateTimeOffset? from = pr.GetValue(since) is { } s ? Since.Parse(s, DateTimeOffset.UtcNow, "--since") : null;
            var types = pr.GetValue(type) is { } t ? Types(t).Distinct().ToList() : null;
            return Run(pr.GetValue(output), pr.GetValue(watch), from, types, ct);
        });
        return cmd;
    }

    private static async Task<int> Run(string? format, bool watch, DateTimeOffset? since, IReadOnlyList<string>? types, CancellationToken ct)
    {
        using var daemon = DaemonClient.TryConnect();
        if (daemon is null)
        {
            if (watch)
            {
                Console.Error.WriteLine($"error: events -w follows the daemon's event stream and no daemon answers on {DaemonClient.SocketPath}; start one with 'lightnfv serve' (without -w, events are read from the store)");
                return Cli.ExitCode(ErrorKind.Unavailable);
            }
            return await Cli.Guard((ctx, _) =>
            {
                Print(format, Json.Element(ctx.Store.PlatformEvents(since: since, types: types)));
                return Task.FromResult(0);
            }, ct).ConfigureAwait(false);
        }
        try
        {
            var events = await daemon.SendAsync(HttpMethod.Get, "api/v1/events" + Query(since, types), ct: ct).ConfigureAwait(false);
            if (!watch)
            {
                Print(format, events);
                return 0;
            }
            // Resume after the newest event listed (or the newest of any type), so nothing raised meanwhile is missed.
            var newest = events.GetArrayLength() > 0 ? events : await daemon.SendAsync(HttpMethod.Get, "api/v1/events?limit=1", ct: ct).ConfigureAwait(false);
            var last = newest.GetArrayLength() > 0 ? newest[newest.GetArrayLength() - 1].GetProperty("id").GetInt64() : 0;
            var rows = events.EnumerateArray().ToList();
            if (format is null)
            {
                PrintTable(rows, header: true);
            }
            else
            {
                rows.ForEach(e => PrintOne(format, e));
            }
            await FollowAsync(daemon.Socket, format, types, last, header: false, ct).ConfigureAwait(false);
            return 0;
        }
        catch (LightNfvException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return Cli.ExitCode(e.Kind);
        }
        catch (OperationCanceledException)
        {
            return 0; // Ctrl-C ends a watch: not an error
        }
        catch (Exception e) when (e is HttpRequestException or IOException or JsonException)
        {
            Console.Error.WriteLine($"error: the daemon on {daemon.Socket} stopped answering: {e.Message}");
            return 1;
        }
    }

    /// <summary>Reads the SSE stream from after <paramref name="last"/>: each message's data is one event.</summary>
    private static async Task FollowAsync(string socket, string? format, IReadOnlyList<string>? types, long last, bool header, CancellationToken ct)
    {
        using var http = UnixHttp.Create(socket);
        http.Timeout = Timeout.InfiniteTimeSpan;
        using var request = new HttpRequestMessage(HttpMethod.Get, "api/v1/events/stream" + Query(null, types));
        request.Headers.TryAddWithoutValidation("Last-Event-ID", last.ToString(CultureInfo.InvariantCulture));
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
        response.EnsureSuccessStatusCode();
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false));
        var data = new List<string>();
        while (await reader.ReadLineAsync(ct).ConfigureAwait(false) is { } line)
        {
            if (line.StartsWith("data:", StringComparison.Ordinal))
            {
                data.Add(line[5..].TrimStart());
            }
            else if (line.Length == 0 && data.Count > 0)
            {
                using var doc = JsonDocument.Parse(string.Join('\n', data));
                data.Clear();
                if (format is null)
                {
                    PrintTable([doc.RootElement], header);
                    header = false;
                }
                else
                {
                    PrintOne(format, doc.RootElement);
                }
            }
        }
        throw new IOException("the event stream ended");
    }

    private static void Print(string? format, JsonElement events)
    {
        if (!OutputFormat.TryPrint(format, events))
        {
            PrintTable(events.EnumerateArray().ToList(), header: true);
        }
    }

    /// <summary>While watching: one compact JSON object per line (for jq and scripts), or one YAML document per event.</summary>
    private static void PrintOne(string format, JsonElement e)
    {
        if (format == OutputFormat.Yaml)
        {
            Console.Write("---\n" + OutputFormat.ToYaml(e));
        }
        else
        {
            Console.WriteLine(JsonSerializer.Serialize(e, Compact));
        }
        Console.Out.Flush();
    }

    private static readonly JsonSerializerOptions Compact = new(Json.Options) { WriteIndented = false };

    private static readonly string[] Header = ["TIME", "TYPE", "SEVERITY", "VNF", "INSTANCE", "MESSAGE"];

    /// <summary>Fixed widths so a watched stream lines up with what was listed before it.</summary>
    private static readonly int[] Widths = [24, 19, 8, 14, 12];

    private static void PrintTable(IReadOnlyList<JsonElement> events, bool header)
    {
        var rows = events.Select(e => (IReadOnlyList<string>)
            [Json.Text(e, "timeStamp"), Json.Text(e, "notificationType"), Json.Text(e, "severity"), Json.Text(e, "vnf"), Json.Text(e, "instance"), Json.Text(e, "message")]);
        if (header)
        {
            rows = rows.Prepend(Header);
        }
        foreach (var r in rows)
        {
            Console.WriteLine(string.Join("  ", r.Select((c, i) => i < Widths.Length ? c.PadRight(Widths[i]) : c)).TrimEnd());
        }
        Console.Out.Flush();
    }

    private static string Query(DateTimeOffset? since, IReadOnlyList<string>? types)
    {
        var parts = new List<string>();
        if (since is { } s)
        {
            parts.Add("since=" + Uri.EscapeDataString(s.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture)));
        }
        if (types is { Count: > 0 })
        {
            parts.Add("type=" + Uri.EscapeDataString(string.Join(',', types)));
        }
        return parts.Count == 0 ? "" : "?" + string.Join('&', parts);
    }

    private static IEnumerable<string> Types(string type) => type.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
