using Microsoft.Extensions.Logging;

namespace LightNfv.Platform.Control.Adoption;

public sealed partial class HostOrphanSweep
{
    [LoggerMessage(Level = LogLevel.Warning, Message = "removed orphan {Id} (host resources without a record)")]
    private static partial void LogOrphan(ILogger logger, string id);

    [LoggerMessage(Level = LogLevel.Warning, Message = "could not remove {Id}: {Reason}")]
    private static partial void LogOrphanFailed(ILogger logger, string id, string reason);
}
