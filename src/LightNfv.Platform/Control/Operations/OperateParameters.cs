namespace LightNfv.Platform.Control.Operations;

/// <summary>Operate (SOL003): every replica to STARTED or STOPPED. Read back from the store as <see cref="UnknownParameters"/> (same map).</summary>
public sealed record OperateParameters(bool Start) : OperationParameters
{
    public const string StateKey = "changeStateTo";

    public override string Kind => OperationKinds.Operate;

    public override IReadOnlyDictionary<string, string> ToDictionary()
    {
        var d = Map();
        d[StateKey] = Start ? "STARTED" : "STOPPED";
        return d;
    }
}
