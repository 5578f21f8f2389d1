using Microsoft.Extensions.Logging;

namespace LightNfv.Platform.Control.Liveness;

public sealed partial class LivenessProber
{
    [LoggerMessage(Level = LogLevel.Warning, Message = "instance {Id}: {Reason}")]
    private static partial void LogProbeFailed(ILogger logger, string id, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "instance {Id}: its cgroup is frozen; not probed or healed while it stays so")]
    private static partial void LogFrozen(ILogger logger, string id);

    [LoggerMessage(Level = LogLevel.Error, Message = "reconcile pass failed: {Reason}")]
    private static partial void LogPassFailed(ILogger logger, string reason);
}
