using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace LightNfv.Core.Backends;

/// <summary>
/// A backend's own record about one instance (its runtime, bundle, container id, tap, QMP socket, ...). Only that
/// backend reads or writes it; the control plane persists it as the JSON <see cref="ToJson"/> gives and hands it back
/// as a <see cref="StoredBackendState"/>, which the backend parses on first use (<see cref="Read{T}"/>).
/// </summary>
public abstract record BackendState
{
    /// <summary>The record as JSON, by the backend's source-generated serializer.</summary>
    public abstract string ToJson();

    /// <summary>One line on how the backend runs the instance, for reports (the bench's note); null if nothing to say.</summary>
    [JsonIgnore]
    public virtual string? Summary => null;

    /// <summary>
    /// The backend's record of type <typeparamref name="T"/>: as is when typed already, parsed from the store's JSON,
    /// or a new empty one (a record cut short before the backend wrote anything, or another backend's record).
    /// </summary>
    public static T Read<T>(BackendState? state, JsonTypeInfo<T> json) where T : BackendState, new() => state switch
    {
        T typed => typed,
        StoredBackendState { Json: { Length: > 0 } text } => JsonSerializer.Deserialize(text, json) ?? new T(),
        _ => new T(),
    };
}

/// <summary>A backend's record as the store holds it: JSON, parsed by its backend when it needs it.</summary>
public sealed record StoredBackendState(string Json) : BackendState
{
    public override string ToJson() => Json;
}
