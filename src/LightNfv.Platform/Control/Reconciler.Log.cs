using Microsoft.Extensions.Logging;

namespace LightNfv.Platform.Control;

public sealed partial class Reconciler
{
    [LoggerMessage(Level = LogLevel.Error, Message = "reconcile pass failed: {Reason}")]
    private static partial void LogPassFailed(ILogger logger, string reason);
}
