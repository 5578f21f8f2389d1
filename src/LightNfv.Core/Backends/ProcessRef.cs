using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace LightNfv.Core.Backends;

/// <summary>
/// A process named by pid plus its start time in clock ticks since boot (/proc/PID/stat field 22), so a recycled pid
/// never passes for it. Host's ProcessIdentity converts to and from it and does the /proc reads; in JSON it is the
/// compact "pid@ticks" string the store has always held.
/// </summary>
[JsonConverter(typeof(ProcessRefJsonConverter))]
public readonly record struct ProcessRef(int Pid, ulong StartTicks)
{
    public override string ToString() => $"{Pid.ToString(CultureInfo.InvariantCulture)}@{StartTicks.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>Reads "pid@ticks"; null for anything else (a bare pid included: without a start time it names no one safely).</summary>
    public static ProcessRef? Parse(string? s)
    {
        if (s is null)
        {
            return null;
        }
        var at = s.IndexOf('@');
        return at > 0 && int.TryParse(s.AsSpan(0, at), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) &&
               ulong.TryParse(s.AsSpan(at + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var t)
            ? new ProcessRef(pid, t)
            : null;
    }
}

/// <summary>"pid@ticks" both ways: the form rows written before typed state used, so they read unchanged.</summary>
public sealed class ProcessRefJsonConverter : JsonConverter<ProcessRef>
{
    public override ProcessRef Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        ProcessRef.Parse(reader.GetString()) ?? throw new JsonException($"'{reader.GetString()}' is not a process (pid@ticks)");

    public override void Write(Utf8JsonWriter writer, ProcessRef value, JsonSerializerOptions options) => writer.WriteStringValue(value.ToString());
}
