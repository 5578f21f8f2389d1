using System.Globalization;
using System.Text.RegularExpressions;
using LightNfv.Core.Errors;

namespace LightNfv.Host.Logs;

/// <summary>
/// What `lightnfv logs` asks (docker's options): keep following until the instance stops, only lines written at or
/// after <see cref="Since"/>, each prefixed with its time, only the last <see cref="Tail"/> lines of what exists now.
/// </summary>
public sealed partial record LogQuery(bool Follow = false, DateTimeOffset? Since = null, bool Timestamps = false, int? Tail = null)
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
        return new LogQuery(follow, string.IsNullOrWhiteSpace(since) ? null : ParseSince(since.Trim(), now), timestamps, tail);
    }

    [GeneratedRegex(@"(\.\d{7})\d+")]
    private static partial Regex NanoFraction();

    private static readonly Regex DurationPart = new(@"\G(\d+(?:\.\d+)?)(ms|h|m|s)", RegexOptions.CultureInvariant);

    internal static DateTimeOffset ParseSince(string text, DateTimeOffset now)
    {
        // A Go-style duration (docker's --since 10m): one or more number+unit parts.
        var total = TimeSpan.Zero;
        var at = 0;
        for (var m = DurationPart.Match(text); m.Success && m.Index == at; m = DurationPart.Match(text, at))
        {
            var n = double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
            total += m.Groups[2].Value switch
            {
                "h" => TimeSpan.FromHours(n),
                "m" => TimeSpan.FromMinutes(n),
                "s" => TimeSpan.FromSeconds(n),
                _ => TimeSpan.FromMilliseconds(n),
            };
            at += m.Length;
        }
        if (at == text.Length && at > 0)
        {
            return now - total;
        }
        if (text.Contains('T', StringComparison.Ordinal) || text.Contains('-', StringComparison.Ordinal))
        {
            // A time pasted from --timestamps has nine fraction digits; .NET keeps seven (100 ns), so the rest is dropped.
            if (DateTimeOffset.TryParse(NanoFraction().Replace(text, "$1"), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t))
            {
                return t;
            }
        }
        else if (double.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var unix))
        {
            return DateTimeOffset.UnixEpoch.AddTicks((long)(unix * TimeSpan.TicksPerSecond));
        }
        throw new LightNfvException(ErrorKind.Invalid,
            $"since: '{text}' is neither a duration (10m, 1h30m, 90s) nor a time (RFC3339 like 2026-12-05T08:00:00Z, or unix seconds)");
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
