using Microsoft.Extensions.Logging;

namespace LightNfv.Platform.Control;

public sealed partial class ReplicaActions
{
    [LoggerMessage(Level = LogLevel.Information, Message = "created replica {Id} ({Name}, version {Version})")]
    private static partial void LogCreated(ILogger logger, string id, string name, int version);

    [LoggerMessage(Level = LogLevel.Information, Message = "removed replica {Id} ({Name})")]
    private static partial void LogRemoved(ILogger logger, string id, string name);

    [LoggerMessage(Level = LogLevel.Warning, Message = "could not remove {Id}: {Reason}")]
    private static partial void LogRemoveFailed(ILogger logger, string id, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "instance {Id}: process {Pid} exited")]
    private static partial void LogExited(ILogger logger, string id, int pid);

    [LoggerMessage(Level = LogLevel.Error, Message = "reconcile pass failed: {Reason}")]
    private static partial void LogPassFailed(ILogger logger, string reason);
}
