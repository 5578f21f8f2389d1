using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace LightNfv.Platform.Events;

/// <summary>
/// One platform event, in one shape everywhere: the store's list (GET /api/v1/events, `lightnfv events`), the SSE stream
/// (data of each message; its `event:` is <see cref="NotificationType"/>, its `id:` <see cref="Id"/>) and the body of
/// every webhook POST. Every member is always written (null when it does not apply), so the three are the same shape
/// whatever serializer options carry them; <see cref="Acknowledged"/> alone appears only once an operator acknowledged it.
/// </summary>
/// <param name="Id">The store's sequence number: ascending, the SSE resume point (Last-Event-ID).</param>
/// <param name="NotificationType">A dotted name: instance.failed, instance.healed, vnf.scaled, operation.completed, ... (see Alerts.AlertKinds).</param>
/// <param name="TimeStamp">When it was raised, RFC 3339 in UTC (…Z).</param>
/// <param name="Vnf">The VNF's name, when the event is about one.</param>
/// <param name="VnfInstanceId">The VNF instance id (SOL003's vnfInstanceId), once VNFs have ids; null until then.</param>
/// <param name="Instance">The instance (replica) id, when the event is about one.</param>
/// <param name="Operation">The lifecycle operation occurrence id, when the event is about one.</param>
/// <param name="Severity">info, warning or error (see <see cref="SeverityOf"/>).</param>
/// <param name="Data">Facts of this type of event (e.g. vnf.scaled: from, to), an empty object when none.</param>
public sealed record PlatformEvent(
    long Id,
    string NotificationType,
    [property: JsonConverter(typeof(UtcTimeStampConverter))] DateTimeOffset TimeStamp,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? Tenant,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? Vnf,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? VnfInstanceId,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? Instance,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? Operation,
    string Severity,
    string Message,
    IReadOnlyDictionary<string, JsonElement> Data)
{
    public const string Info = "info", Warning = "warning", Error = "error";

    /// <summary>Who acknowledged it and when (POST /api/v1/alerts/{id}/ack); absent until then, so a raised event's shape is unchanged.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public Acknowledgement? Acknowledged { get; init; }

    /// <summary>
    /// Whether <paramref name="caller"/> sees it: a tenant-scoped caller its tenant's events only; the host's own (no
    /// tenant) are an unscoped caller's (an admin's).
    /// </summary>
    public bool IsVisibleTo(Core.Identity.Caller caller) => caller.Tenant is null || (Tenant is { } t && caller.Sees(t));

    /// <summary>The name the store's code and older callers use for <see cref="NotificationType"/>; not part of the JSON.</summary>
    [JsonIgnore]
    public string Kind => NotificationType;

    /// <summary>The severity of a type: failures are errors, limits warnings, the rest information.</summary>
    public static string SeverityOf(string type) => type switch
    {
        Alerts.AlertKinds.OperationFailed => Error,
        Alerts.AlertKinds.InstanceFailed or Alerts.AlertKinds.QuotaReached or Alerts.AlertKinds.InstanceQuarantined => Warning,
        _ when type.EndsWith(".failed", StringComparison.Ordinal) || type == Alerts.AlertKinds.LcmOccurrencePrefix + "FAILED" => Error,
        _ when type == Alerts.AlertKinds.LcmOccurrencePrefix + "FAILED_TEMP" => Warning,
        _ => Info,
    };

    /// <summary>The options webhook bodies are written with (the API's naming: camelCase, enums as names).</summary>
    public static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    /// <summary>The event as the UTF-8 JSON a webhook sends (and signs).</summary>
    public byte[] ToUtf8Json() => JsonSerializer.SerializeToUtf8Bytes(this, JsonOptions);

    /// <summary><paramref name="data"/> (an anonymous object, a dictionary, null) as the event's data members.</summary>
    public static IReadOnlyDictionary<string, JsonElement> DataOf(object? data)
    {
        if (data is null)
        {
            return new Dictionary<string, JsonElement>();
        }
        var element = JsonSerializer.SerializeToElement(data, JsonOptions);
        return element.ValueKind == JsonValueKind.Object
            ? element.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.Clone(), StringComparer.Ordinal)
            : throw new ArgumentException("an event's data is an object", nameof(data));
    }
}

/// <summary>An event's acknowledgement: the actor (as in the audit trail) and when.</summary>
public sealed record Acknowledgement(string By, [property: JsonConverter(typeof(UtcTimeStampConverter))] DateTimeOffset At);

/// <summary>RFC 3339 in UTC with milliseconds and Z (2026-12-05T07:44:49.123Z), whatever offset the value carries.</summary>
public sealed class UtcTimeStampConverter : JsonConverter<DateTimeOffset>
{
    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        DateTimeOffset.Parse(reader.GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);

    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
}
