using Microsoft.Extensions.Logging;

namespace LightNfv.Platform.Control.Adoption;

public sealed partial class ReplicaAdoption
{
    [LoggerMessage(Level = LogLevel.Information, Message = "start-up: adopted {Adopted} running replica(s), {Healed} to heal, removed {HalfDone} half-done and {Orphans} orphan(s) in {Ms:0.0} ms")]
    private static partial void LogAdopted(ILogger logger, int adopted, int healed, int halfDone, int orphans, double ms);
}
