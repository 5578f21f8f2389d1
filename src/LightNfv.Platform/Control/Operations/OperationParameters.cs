using System.Globalization;
using LightNfv.Core.Descriptors;
using LightNfv.Platform.Store;

namespace LightNfv.Platform.Control.Operations;

/// <summary>
/// What one lifecycle operation was asked to do, typed per kind. The store and the API keep the flat string map they
/// always had (<see cref="ToDictionary"/>, same keys in the same order), so rows written before these types read the
/// same, and the operation's JSON does not change. A value missing from an old or damaged row reads as null.
/// </summary>
public abstract record OperationParameters
{
    /// <summary>The operation kind these parameters belong to (<see cref="OperationKinds"/>).</summary>
    public abstract string Kind { get; }

    /// <summary>The stored and reported form.</summary>
    public abstract IReadOnlyDictionary<string, string> ToDictionary();

    /// <summary>The typed parameters of a stored operation.</summary>
    public static OperationParameters Of(OperationRecord op) => Of(op.Kind, op.Parameters);

    public static OperationParameters Of(string kind, IReadOnlyDictionary<string, string> p) => kind switch
    {
        OperationKinds.Instantiate => new InstantiateParameters(Int(p, "replicas"), Int(p, "version")),
        OperationKinds.Scale => new ScaleParameters(Int(p, "replicas"), Int(p, "previousReplicas"), p.GetValueOrDefault("policy")),
        OperationKinds.Update => new UpdateParameters(Int(p, "version"), Int(p, "previousVersion")),
        OperationKinds.Heal => new HealParameters(
            p.GetValueOrDefault("instanceId") is { Length: > 0 } ids ? ids.Split(',') : [],
            p.GetValueOrDefault("reason") ?? "",
            Enum.TryParse<HealAction>(p.GetValueOrDefault("action"), ignoreCase: true, out var a) ? a : null),
        OperationKinds.Rollback => new RollbackParameters(p.GetValueOrDefault("of") ?? ""),
        OperationKinds.Terminate => new TerminateParameters(),
        _ => new UnknownParameters(kind, p),
    };

    private static int? Int(IReadOnlyDictionary<string, string> p, string key) =>
        p.TryGetValue(key, out var v) && int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : null;

    protected static string Str(int n) => n.ToString(CultureInfo.InvariantCulture);

    protected static Dictionary<string, string> Map() => new(StringComparer.Ordinal);
}

/// <summary>Instantiate: how many replicas of which descriptor version.</summary>
public sealed record InstantiateParameters(int? Replicas, int? Version) : OperationParameters
{
    public override string Kind => OperationKinds.Instantiate;

    public override IReadOnlyDictionary<string, string> ToDictionary()
    {
        var d = Map();
        if (Replicas is { } r)
        {
            d["replicas"] = Str(r);
        }
        if (Version is { } v)
        {
            d["version"] = Str(v);
        }
        return d;
    }
}

/// <summary>Scale: to how many replicas, from how many, and the scaling policy's reason when a policy asked.</summary>
public sealed record ScaleParameters(int? Replicas, int? PreviousReplicas, string? Policy) : OperationParameters
{
    public override string Kind => OperationKinds.Scale;

    public override IReadOnlyDictionary<string, string> ToDictionary()
    {
        var d = Map();
        if (Replicas is { } r)
        {
            d["replicas"] = Str(r);
        }
        if (PreviousReplicas is { } p)
        {
            d["previousReplicas"] = Str(p);
        }
        if (Policy is not null)
        {
            d["policy"] = Policy;
        }
        return d;
    }
}

/// <summary>Update: to which descriptor version, from which.</summary>
public sealed record UpdateParameters(int? Version, int? PreviousVersion) : OperationParameters
{
    public override string Kind => OperationKinds.Update;

    public override IReadOnlyDictionary<string, string> ToDictionary()
    {
        var d = Map();
        if (Version is { } v)
        {
            d["version"] = Str(v);
        }
        if (PreviousVersion is { } p)
        {
            d["previousVersion"] = Str(p);
        }
        return d;
    }
}

/// <summary>Heal: which replicas (one, or all of an operator's request), why, and how (absent for an operator's request).</summary>
public sealed record HealParameters(IReadOnlyList<string> InstanceIds, string Reason, HealAction? Action) : OperationParameters
{
    public override string Kind => OperationKinds.Heal;

    public override IReadOnlyDictionary<string, string> ToDictionary()
    {
        var d = Map();
        d["instanceId"] = string.Join(",", InstanceIds);
        d["reason"] = Reason;
        if (Action is { } a)
        {
            d["action"] = a.ToString().ToLowerInvariant();
        }
        return d;
    }
}

/// <summary>Rollback: the operation it undoes.</summary>
public sealed record RollbackParameters(string OperationId) : OperationParameters
{
    public override string Kind => OperationKinds.Rollback;

    public override IReadOnlyDictionary<string, string> ToDictionary()
    {
        var d = Map();
        d["of"] = OperationId;
        return d;
    }
}

/// <summary>Terminate: nothing to say.</summary>
public sealed record TerminateParameters : OperationParameters
{
    public override string Kind => OperationKinds.Terminate;

    public override IReadOnlyDictionary<string, string> ToDictionary() => Map();
}

/// <summary>A kind this version does not know (a row from a newer one): kept as it was stored.</summary>
public sealed record UnknownParameters(string Name, IReadOnlyDictionary<string, string> Values) : OperationParameters
{
    public override string Kind => Name;

    public override IReadOnlyDictionary<string, string> ToDictionary() => Values;
}

public static class OperationStoreExtensions
{
    /// <summary>Writes desired state and the operation (its kind from <paramref name="parameters"/>) in one transaction.</summary>
    public static OperationRecord BeginOperation(this PlatformStore store, string tenant, string name, Deployment? desired, OperationParameters parameters) =>
        store.BeginOperation(parameters.Kind, tenant, name, desired, parameters.ToDictionary());
}
