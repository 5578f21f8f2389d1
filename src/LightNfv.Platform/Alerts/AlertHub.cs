using System.Threading.Channels;
using LightNfv.Core.Errors;
using LightNfv.Core.Identity;
using LightNfv.Platform.Audit;
using LightNfv.Platform.Events;
using LightNfv.Platform.Store;
using Microsoft.Extensions.Logging;

namespace LightNfv.Platform.Alerts;

/// <summary>Alert kinds, one spelling each (webhook subscriptions filter on them).</summary>
public static class AlertKinds
{
    public const string InstanceFailed = "instance.failed";
    public const string InstanceHealed = "instance.healed";
    public const string VnfScaled = "vnf.scaled";
    public const string QuotaReached = "quota.reached";
    public const string OperationFailed = "operation.failed";
    public const string OperationCompleted = "operation.completed";
    public const string InstanceQuarantined = "instance.quarantined";
    public const string InstanceReleased = "instance.released";

    /// <summary>A SOL003 operation occurrence entering a state, e.g. vnf_lcm_op_occ.FAILED_TEMP.</summary>
    public const string LcmOccurrencePrefix = "vnf_lcm_op_occ.";

    public static readonly string[] LcmOccurrences =
        [.. new[] { "STARTING", "PROCESSING", "COMPLETED", "FAILED_TEMP", "FAILED", "ROLLING_BACK", "ROLLED_BACK" }.Select(s => LcmOccurrencePrefix + s)];

    public static readonly string[] All =
        [InstanceFailed, InstanceHealed, VnfScaled, QuotaReached, OperationFailed, OperationCompleted, InstanceQuarantined, InstanceReleased, .. LcmOccurrences];
}

/// <summary>
/// Where alerts go: first the store (so none is lost), then every live Server-Sent-Events listener and the webhook
/// dispatcher. Listeners get bounded channels that drop their oldest entry when a reader falls behind; the store is the
/// record, a reader catches up from it with its last id.
/// </summary>
public sealed partial class AlertHub(PlatformStore store, WebhookDispatcher webhooks, ILogger<AlertHub> logger)
{
    private readonly Lock _gate = new();
    private readonly List<Channel<PlatformEvent>> _listeners = [];

    /// <summary>
    /// Records an event and sends it on. <paramref name="operation"/>: the operation occurrence it is about;
    /// <paramref name="data"/>: its facts as an object (e.g. new { from = 1, to = 3 }).
    /// </summary>
    public PlatformEvent Raise(string kind, string? tenant, string? deployment, string? instanceId, string message, string? operation = null, object? data = null)
    {
        var alert = store.AddAlert(kind, tenant, deployment, instanceId, message, operation, PlatformEvent.DataOf(data));
        LogAlert(logger, kind, deployment ?? "-", instanceId ?? "-", message);
        lock (_gate)
        {
            foreach (var l in _listeners)
            {
                l.Writer.TryWrite(alert);
            }
        }
        webhooks.Enqueue(alert);
        return alert;
    }

    /// <summary>
    /// Acknowledges an event the current caller sees, as its actor, and records it in the audit trail; another tenant's
    /// event reads as absent (404), like every object of another tenant.
    /// </summary>
    public PlatformEvent Acknowledge(string id)
    {
        var caller = Caller.Current;
        var e = long.TryParse(id, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n)
            && store.EventById(n) is { } found && found.IsVisibleTo(caller) ? found : null;
        return store.Audited(AuditActions.AlertAcknowledge, e?.Tenant ?? caller.Tenant, $"alert/{id}", null, () =>
            (e is null ? null : store.AcknowledgeEvent(e.Id, caller.Actor))
            ?? throw new LightNfvException(ErrorKind.NotFound, $"id: no alert {id}; GET /api/v1/alerts lists them"));
    }

    /// <summary>A live feed of alerts raised from now on; dispose the subscription to stop.</summary>
    public AlertFeed Listen()
    {
        var channel = Channel.CreateBounded<PlatformEvent>(new BoundedChannelOptions(1024) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
        lock (_gate)
        {
            _listeners.Add(channel);
        }
        return new AlertFeed(channel.Reader, () =>
        {
            lock (_gate)
            {
                _listeners.Remove(channel);
            }
        });
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "alert {Kind} vnf={Deployment} instance={Instance}: {Message}")]
    private static partial void LogAlert(ILogger logger, string kind, string deployment, string instance, string message);
}

public sealed class AlertFeed(ChannelReader<PlatformEvent> reader, Action onDispose) : IDisposable
{
    public ChannelReader<PlatformEvent> Reader => reader;

    public void Dispose() => onDispose();
}
