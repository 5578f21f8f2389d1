using System.Globalization;
using LightNfv.Core.Errors;

namespace LightNfv.Host.Logs;

/// <summary>
/// What `lightnfv logs` asks (docker's options): keep following until the instance stops, only lines written at or
/// after <see cref="Since"/>, each prefixed with its time, only the last <see cref="Tail"/> lines of what exists now.
/// </summary>
public sealed record LogQuery(bool Follow = false, DateTimeOffset? Since = null, bool Timestamps = false, int? Tail = null)
{
    /// <summary>
    /// The query from the API's or CLI's text: <paramref name="since"/> is a duration back from now (10m, 1h30m, 90s,
    /// 500ms), an RFC3339 time, or unix seconds (as docker takes it). Bad input is one error naming the field and the fix.
    /// </summary>
    public static LogQuery Parse(bool follow, string? since, bool timestamps, int? tail, DateTimeOffset now)
    {
        if (tail is < 0)
        {
            throw new LightNfvException(ErrorKind.Invalid, $"tail: {tail} is negative; give the number of last lines to show (0 or more)");
        }
        return new LogQuery(follow, string.IsNullOrWhiteSpace(since) ? null : Core.Time.Since.Parse(since, now), timestamps, tail);
    }
}

/// <summary>One line of a log and the time it was written (unix nanoseconds).</summary>
public readonly record struct LogLine(long UnixNanos, string Text)
{
    public DateTimeOffset Time => DateTimeOffset.UnixEpoch.AddTicks(UnixNanos / 100);

    /// <summary>As printed: with --timestamps, docker's prefix (RFC3339 with nine fraction digits, UTC) and a space.</summary>
    public string Format(bool timestamps) => timestamps ? $"{Stamp(UnixNanos)} {Text}" : Text;

    public static string Stamp(long unixNanos)
    {
        var seconds = Math.DivRem(unixNanos, 1_000_000_000L, out var fraction);
        var t = DateTimeOffset.FromUnixTimeSeconds(seconds).UtcDateTime;
        return string.Create(CultureInfo.InvariantCulture, $"{t:yyyy-MM-ddTHH:mm:ss}.{fraction:D9}Z");
    }
}
