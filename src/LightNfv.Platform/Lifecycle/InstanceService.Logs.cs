using LightNfv.Core.Backends;
using LightNfv.Core.Errors;
using LightNfv.Host.Logs;

namespace LightNfv.Platform.Lifecycle;

public sealed partial class InstanceService
{
    /// <summary>
    /// What the instance wrote to stdout and stderr (its console log), each line with its time, as the query asks;
    /// a follow ends when the instance no longer runs (stopped, exited, removed). The same reader serves the CLI
    /// without a daemon and the daemon's logs route.
    /// </summary>
    public IAsyncEnumerable<LogLine> ReadLogAsync(string reference, LogQuery query, CancellationToken ct)
    {
        var record = Resolve(reference);
        return LogReader.ReadAsync(LogPathOf(record.Id), query, () => IsRunning(record.Id), ct);
    }

    /// <summary>The console log of an instance (whether or not it exists yet).</summary>
    public string LogPathOf(string id) => InstanceSpec.LogPathIn(backends.Host.RunDirectory(id));

    /// <summary>Whether the host runs the instance now (its record read afresh: a restart changes its pid).</summary>
    private bool IsRunning(string id)
    {
        try
        {
            var record = store.Get(id);
            return record is not null && backends.Find(record.Technology) is { } backend
                && backend.Inspect(Instance(record)).State == ObservedState.Running;
        }
        catch (LightNfvException)
        {
            return false;
        }
    }
}
