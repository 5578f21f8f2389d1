using LightNfv.Core.Instances;
using LightNfv.Platform.Control;
using LightNfv.Platform.Store;

namespace LightNfv.Server.Console;

/// <summary>
/// A VNF's latest rolling update as the VNF page shows it: the target version, how many running replicas are at it out
/// of the desired count while it runs, and its end (completed, failed or rolled back, with the reason).
/// </summary>
public sealed record UpdateProgress(string OperationId, int Version, int? From, string State, int Updated, int Total, string? Reason)
{
    public bool Running => State == "processing";

    /// <summary>The newest update operation of <paramref name="d"/> among <paramref name="operations"/>; null if it never had one.</summary>
    public static UpdateProgress? Of(Deployment d, IReadOnlyList<InstanceRecord> replicas, IEnumerable<OperationRecord> operations)
    {
        var op = operations.Where(o => o.Kind == OperationKinds.Update && o.Tenant == d.Tenant && o.Deployment == d.Name)
            .MaxBy(o => o.CreatedAt);
        if (op is null || !int.TryParse(op.Parameters.GetValueOrDefault("version"), out var version))
        {
            return null;
        }
        int? from = int.TryParse(op.Parameters.GetValueOrDefault("previousVersion"), out var f) ? f : null;
        var updated = replicas.Count(r => r.Version == version && r.State == InstanceState.Running);
        return new UpdateProgress(op.Id, version, from, op.State.ToString().ToLowerInvariant(), Math.Min(updated, d.Replicas), d.Replicas, op.Error);
    }

    /// <summary>One line for the page, in the operator's words.</summary>
    public string Describe() => State switch
    {
        "processing" => $"Rolling update to version {Version}{(From is { } f ? $" (from {f})" : "")}: {Updated} of {Total} replicas updated",
        "completed" => $"Update to version {Version} completed: {Updated} of {Total} replicas at version {Version}",
        "rolledback" => $"Update to version {Version} rolled back{(Reason is null ? "" : $": {Reason}")}",
        _ => $"Update to version {Version} {State}{(Reason is null ? "" : $": {Reason}")}",
    };
}
