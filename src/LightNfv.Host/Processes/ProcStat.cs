using System.Globalization;

namespace LightNfv.Host.Processes;

/// <summary>The fields of /proc/PID/stat that LightNFV reads: state, command, and start time in clock ticks.</summary>
/// <param name="StartTicks">Field 22; null when the line is cut short before it.</param>
public readonly record struct ProcStat(char State, string Command, ulong? StartTicks)
{
    /// <summary>Reads /proc/PID/stat; null when the process is gone or the file cannot be read or parsed.</summary>
    public static ProcStat? Read(int pid, string procRoot = "/proc")
    {
        string text;
        try
        {
            text = File.ReadAllText(Path.Combine(procRoot, pid.ToString(CultureInfo.InvariantCulture), "stat"));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        return Parse(text);
    }

    /// <summary>
    /// Parses "PID (COMMAND) S ...". The command may hold spaces and parentheses, so the fields restart after the
    /// last ')'.
    /// </summary>
    public static ProcStat? Parse(string text)
    {
        var open = text.IndexOf('(', StringComparison.Ordinal);
        var close = text.LastIndexOf(')');
        if (open < 0 || close < open || close + 2 >= text.Length)
        {
            return null;
        }
        var fields = text[(close + 2)..].Split(' ');
        // fields[0] is field 3 (state); the start time is field 22, fields[19].
        ulong? start = fields.Length > 19 && ulong.TryParse(fields[19], NumberStyles.None, CultureInfo.InvariantCulture, out var t) ? t : null;
        return new ProcStat(fields[0][0], text[(open + 1)..close], start);
    }
}
