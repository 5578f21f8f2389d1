using System.Text;
using LightNfv.Host.Logs;
using LightNfv.Platform.Lifecycle;

namespace LightNfv.Server.Api;

/// <summary>
/// GET /api/v1/instances/{id}/logs: what the instance wrote, as text/plain, one line each (docker's `logs` options:
/// follow, since, timestamps, tail). With follow=true the answer is streamed (chunked) and ends when the instance no
/// longer runs, the client goes away or the daemon stops. The lines and the follow come from <see cref="LogReader"/>,
/// the same code the CLI runs without a daemon.
/// </summary>
public static class InstanceLogsApi
{
    public static void Map(RouteGroupBuilder instances)
    {
        instances.MapGet("/{id}/logs", (string id, bool? follow, string? since, bool? timestamps, int? tail,
            InstanceService service, HttpContext context, IHostApplicationLifetime lifetime) =>
        {
            // Parsed and resolved before the answer starts, so a bad query or an unknown instance is a problem document.
            var query = LogQuery.Parse(follow ?? false, since, timestamps ?? false, tail, DateTimeOffset.UtcNow);
            service.Resolve(id);
            return Results.Stream(async body =>
            {
                using var cts = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, lifetime.ApplicationStopping);
                var lines = service.ReadLogAsync(id, query, cts.Token);
                var buffer = new StringBuilder();
                try
                {
                    if (query.Follow)
                    {
                        // The headers now, so a client sees the stream open before the instance writes anything.
                        await body.FlushAsync(cts.Token).ConfigureAwait(false);
                    }
                    await foreach (var line in lines.ConfigureAwait(false))
                    {
                        buffer.Append(line.Format(query.Timestamps)).Append('\n');
                        if (buffer.Length > 32 * 1024 || query.Follow)
                        {
                            await Write(body, buffer, cts.Token).ConfigureAwait(false);
                        }
                    }
                    await Write(body, buffer, cts.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (cts.IsCancellationRequested)
                {
                    // The client left or the daemon stops: the stream just ends.
                }
            }, "text/plain; charset=utf-8");
        }).WithSummary("What the instance wrote to stdout and stderr (text/plain, one line each); follow=true streams new lines until it stops, " +
            "since=10m|RFC3339 keeps lines written since then, timestamps=true prefixes each with its RFC3339 time (UTC, ns), tail=N only the last N")
          .Produces<string>(StatusCodes.Status200OK, "text/plain");
    }

    private static async Task Write(Stream body, StringBuilder buffer, CancellationToken ct)
    {
        if (buffer.Length == 0)
        {
            return;
        }
        await body.WriteAsync(Encoding.UTF8.GetBytes(buffer.ToString()), ct).ConfigureAwait(false);
        await body.FlushAsync(ct).ConfigureAwait(false);
        buffer.Clear();
    }
}
