using LightNfv.Core.Backends;

namespace LightNfv.Backends.Process;

public sealed partial class ProcessBackend
{
    /// <summary>Starts in milliseconds; 10 s is generous for a loaded host. The bench measures it with its defaults.</summary>
    internal static readonly BackendProfile Known = new() { StartBound = TimeSpan.FromSeconds(10) };

    public BackendProfile Profile => Known;
}
