using Microsoft.Extensions.Logging;

namespace LightNfv.Platform.Control.Operations;

public sealed partial class OperationBook
{
    [LoggerMessage(Level = LogLevel.Information, Message = "operation {Id} ({Kind} of {Vnf}) {Outcome}")]
    private static partial void LogOperation(ILogger logger, string id, string kind, string vnf, string outcome);

    [LoggerMessage(Level = LogLevel.Error, Message = "reconcile pass failed: {Reason}")]
    private static partial void LogPassFailed(ILogger logger, string reason);
}
