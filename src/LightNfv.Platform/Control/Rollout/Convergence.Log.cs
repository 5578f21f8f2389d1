using Microsoft.Extensions.Logging;

namespace LightNfv.Platform.Control.Rollout;

public sealed partial class Convergence
{
    [LoggerMessage(Level = LogLevel.Warning, Message = "{Vnf} did not converge: {Reason}")]
    private static partial void LogConvergeFailed(ILogger logger, string vnf, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "replacing failed replica {Id} ({Name}) for a {Kind}: {Reason}")]
    private static partial void LogReplacing(ILogger logger, string id, string name, string kind, string reason);
}
