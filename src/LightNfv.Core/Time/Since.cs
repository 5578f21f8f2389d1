using System.Globalization;
using System.Text.RegularExpressions;
using LightNfv.Core.Errors;

namespace LightNfv.Core.Time;

/// <summary>
/// A `--since` / `?since=` value, the same for logs, events and the audit trail: a duration back from now (docker's
/// Go-style 10m, 1h30m, 90s, 500ms, plus 1d), an RFC3339 time (nine fraction digits accepted, as `--timestamps`
/// prints them), or unix seconds (as docker takes it).
/// </summary>
public static partial class Since
{
    [GeneratedRegex(@"(\.\d{7})\d+")]
    private static partial Regex NanoFraction();

    [GeneratedRegex(@"\G(\d+(?:\.\d+)?)(ms|d|h|m|s)", RegexOptions.CultureInvariant)]
    private static partial Regex DurationPart();

    /// <summary>The time <paramref name="text"/> names, or an Invalid error naming <paramref name="field"/> and the accepted forms.</summary>
    public static DateTimeOffset Parse(string text, DateTimeOffset now, string field = "since") =>
        TryParse(text, now, out var at) ? at : throw new LightNfvException(ErrorKind.Invalid, Error(text, field));

    /// <summary>The error <see cref="Parse"/> raises, for a caller that reports it its own way (a CLI validator).</summary>
    public static string Error(string text, string field = "since") =>
        $"{field}: '{text}' is neither a duration (10m, 1h30m, 90s, 1d) nor a time (RFC3339 like 2026-12-05T08:00:00Z, or unix seconds) within years 1-9999";

    /// <summary>False for anything else, including values that parse but fall outside the calendar (no overflow escapes).</summary>
    public static bool TryParse(string? text, DateTimeOffset now, out DateTimeOffset at)
    {
        at = default;
        var value = text?.Trim() ?? "";
        if (value.Length == 0)
        {
            return false;
        }
        try
        {
            if (Duration(value) is { } back)
            {
                at = now - back;
                return true;
            }
            if (value.Contains('T', StringComparison.Ordinal) || value.Contains('-', StringComparison.Ordinal))
            {
                return DateTimeOffset.TryParse(NanoFraction().Replace(value, "$1"), CultureInfo.InvariantCulture,
                    DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out at);
            }
            if (double.TryParse(value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var unix))
            {
                at = DateTimeOffset.UnixEpoch.AddTicks(checked((long)(unix * TimeSpan.TicksPerSecond)));
                return true;
            }
        }
        catch (Exception e) when (e is OverflowException or ArgumentOutOfRangeException)
        {
            // 99999999h, or unix seconds past year 9999.
        }
        return false;
    }

    private static TimeSpan? Duration(string text)
    {
        var total = TimeSpan.Zero;
        var at = 0;
        for (var m = DurationPart().Match(text); m.Success && m.Index == at; m = DurationPart().Match(text, at))
        {
            var n = double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
            total += m.Groups[2].Value switch
            {
                "d" => TimeSpan.FromDays(n),
                "h" => TimeSpan.FromHours(n),
                "m" => TimeSpan.FromMinutes(n),
                "s" => TimeSpan.FromSeconds(n),
                _ => TimeSpan.FromMilliseconds(n),
            };
            at += m.Length;
        }
        return at == text.Length && at > 0 ? total : null;
    }
}
