using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using LightNfv.Core.Backends;
using LightNfv.Core.Descriptors;
using LightNfv.Core.Instances;
using LightNfv.Platform.Monitoring;

namespace LightNfv.Cli.Commands;

/// <summary>`lightnfv top`: CPU, memory and traffic per running instance (the daemon's samples, or two samples taken here).</summary>
public static class TopCommand
{
    public static Command Create()
    {
        var cmd = new Command("top", "Show CPU, memory and network use of running instances");
        cmd.SetAction(async (pr, ct) =>
        {
            var inv = CultureInfo.InvariantCulture;
            using (var client = DaemonClient.TryConnect())
            {
                if (client is not null)
                {
                    var rows = await client.SendAsync(HttpMethod.Get, "api/v1/top", ct: ct).ConfigureAwait(false);
                    Write(rows.EnumerateArray().Select(r => (r.GetProperty("id").GetString()!, r.GetProperty("name").GetString()!, r.GetProperty("technology").GetString()!,
                        r.GetProperty("cpuPercent").GetDouble(), r.GetProperty("memoryBytes").GetUInt64(), r.GetProperty("packetRate").GetDouble(),
                        r.GetProperty("rxBytes").GetUInt64(), r.GetProperty("txBytes").GetUInt64())));
                    return 0;
                }
            }
            return await Cli.Guard(async (ctx, token) =>
            {
                var running = ctx.Store.List().Where(r => r.State == InstanceState.Running).ToList();
                MetricSample? Sample(Platform.Store.InstanceRecord r, MetricSample? prev)
                {
                    var b = ctx.Backends.Find(r.Technology);
                    return b is null ? null : InstanceMonitor.Derive(prev, b.Stats(r.AsBackendInstance()), DateTimeOffset.UtcNow, 1);
                }
                var first = running.ToDictionary(r => r.Id, r => Sample(r, null));
                await Task.Delay(500, token).ConfigureAwait(false);
                Write(running.Select(r => (r, s: Sample(r, first[r.Id]))).Where(x => x.s is not null)
                    .Select(x => (x.r.Id, x.r.Name, x.r.Technology.ToName(), x.s!.CpuPercent, x.s.Stats.MemoryBytes, x.s.PacketRate, x.s.Stats.RxBytes, x.s.Stats.TxBytes)));
                return 0;
            }, ct).ConfigureAwait(false);

            void Write(IEnumerable<(string Id, string Name, string Tech, double Cpu, ulong Mem, double Rate, ulong Rx, ulong Tx)> rows) =>
                Table.Write(Console.Out, ["ID", "NAME", "TECHNOLOGY", "CPU%", "MEM MiB", "PKT/S", "RX MB", "TX MB"], rows.Select(r => (IReadOnlyList<string>)
                [
                    r.Id, r.Name, r.Tech, r.Cpu.ToString("0.0", inv), (r.Mem / 1048576.0).ToString("0.0", inv), r.Rate.ToString("0", inv),
                    (r.Rx / 1e6).ToString("0.0", inv), (r.Tx / 1e6).ToString("0.0", inv),
                ]));
        });
        return cmd;
    }

    /// <summary>`ps` through the daemon when one answers; null when none does (the caller goes embedded).</summary>
    public static async Task<int?> ThroughDaemonAsync(bool asJson, CancellationToken ct)
    {
        using var client = DaemonClient.TryConnect();
        if (client is null)
        {
            return null;
        }
        var list = await client.SendAsync(HttpMethod.Get, "api/v1/instances", ct: ct).ConfigureAwait(false);
        if (asJson)
        {
            Console.WriteLine(JsonSerializer.Serialize(list, Json.Options));
            return 0;
        }
        Table.Write(Console.Out, ["ID", "NAME", "TENANT", "TECHNOLOGY", "STATE", "ADDRESS", "PID", "CREATED"], list.EnumerateArray().Select(r => (IReadOnlyList<string>)
        [
            r.GetProperty("id").GetString()!, r.GetProperty("name").GetString()!, r.GetProperty("tenant").GetString()!, r.GetProperty("technology").GetString()!,
            r.GetProperty("state").GetString()!, r.TryGetProperty("address", out var a) ? a.GetString()! : "-",
            r.TryGetProperty("pid", out var p) ? p.GetInt32().ToString(CultureInfo.InvariantCulture) : "-",
            PsCommand.Ago(r.GetProperty("createdAt").GetDateTimeOffset()),
        ]));
        return 0;
    }
}
