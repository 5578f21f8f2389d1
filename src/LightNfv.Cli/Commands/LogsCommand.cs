using System.CommandLine;
using LightNfv.Host.Logs;

namespace LightNfv.Cli.Commands;

/// <summary>
/// `lightnfv logs [-f] [--since 10m|RFC3339] [-t] [--tail N] INSTANCE`, as docker's: through the daemon's logs route
/// when one answers, else read here, by the same <see cref="LogReader"/>.
/// </summary>
public static class LogsCommand
{
    public static Command Create()
    {
        var id = new Argument<string>("instance") { Description = "Instance id, id prefix or name" };
        var follow = new Option<bool>("--follow", "-f") { Description = "Keep printing new lines until the instance stops (or Ctrl-C)" };
        var since = new Option<string?>("--since") { Description = "Only lines written since then: a duration back from now (10m, 1h30m, 90s) or a time (RFC3339, unix seconds)" };
        var timestamps = new Option<bool>("--timestamps", "-t") { Description = "Prefix each line with the time it was written (RFC3339, UTC, nanoseconds)" };
        var tail = new Option<int?>("--tail", "-n") { Description = "Only the last N lines of what exists now" };
        var cmd = new Command("logs", "Print what the instance wrote to stdout and stderr (a VM's or unikernel's serial console)") { id, follow, since, timestamps, tail };
        cmd.SetAction((pr, ct) => Cli.OnPlatform(async (platform, token) =>
        {
            var query = LogQuery.Parse(pr.GetValue(follow), pr.GetValue(since), pr.GetValue(timestamps), pr.GetValue(tail), DateTimeOffset.UtcNow);
            var output = Console.Out;
            try
            {
                await foreach (var line in platform.LogsAsync(pr.GetValue(id)!, query, token).ConfigureAwait(false))
                {
                    output.Write(line);
                    if (query.Follow)
                    {
                        output.Flush();
                    }
                }
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                // Ctrl-C ends a follow, as docker's does; nothing was being changed.
                return 130;
            }
            return 0;
        }, ct));
        return cmd;
    }
}
