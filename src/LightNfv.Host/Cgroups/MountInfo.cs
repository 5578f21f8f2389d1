using System.Text;
using LightNfv.Core.Errors;

namespace LightNfv.Host.Cgroups;

/// <summary>One line of /proc/&lt;pid&gt;/mountinfo (see proc(5)). Paths are unescaped.</summary>
public sealed record MountInfoEntry(
    int MountId,
    int ParentId,
    string MajorMinor,
    string Root,
    string MountPoint,
    string MountOptions,
    IReadOnlyList<string> OptionalFields,
    string FsType,
    string Source,
    string SuperOptions)
{
    /// <summary>The super options split on commas, e.g. ["rw", "cpu", "cpuacct"] for a combined v1 hierarchy.</summary>
    public IReadOnlyList<string> SuperOptionList => SuperOptions.Split(',', StringSplitOptions.RemoveEmptyEntries);
}

/// <summary>Parser for the mountinfo format: a variable number of optional fields ends at a lone "-".</summary>
public static class MountInfo
{
    public const string SelfPath = "/proc/self/mountinfo";

    public static IReadOnlyList<MountInfoEntry> Read(string path = SelfPath)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new LightNfvException(ErrorKind.Unavailable, $"mount table {path}: {e.Message}", e);
        }
        return Parse(text);
    }

    public static IReadOnlyList<MountInfoEntry> Parse(string text)
    {
        var entries = new List<MountInfoEntry>();
        var lineNo = 0;
        foreach (var raw in text.Split('\n'))
        {
            lineNo++;
            var line = raw.TrimEnd('\r');
            if (line.Length == 0)
            {
                continue;
            }
            entries.Add(ParseLine(line) ?? throw new LightNfvException(ErrorKind.Invalid, $"mountinfo line {lineNo}: cannot parse '{line}'"));
        }
        return entries;
    }

    /// <summary>Parses one line, or returns null if it does not have the mountinfo shape.</summary>
    public static MountInfoEntry? ParseLine(string line)
    {
        // Fields never contain raw spaces: the kernel escapes space, tab, newline and backslash as octal.
        var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (f.Length < 10 || !int.TryParse(f[0], out var id) || !int.TryParse(f[1], out var parent))
        {
            return null;
        }
        var sep = Array.IndexOf(f, "-", 6);
        if (sep < 0 || f.Length < sep + 3)
        {
            return null;
        }
        return new MountInfoEntry(
            id,
            parent,
            f[2],
            Unescape(f[3]),
            Unescape(f[4]),
            f[5],
            f[6..sep],
            f[sep + 1],
            Unescape(f[sep + 2]),
            f.Length > sep + 3 ? f[sep + 3] : "");
    }

    /// <summary>Decodes the kernel's octal escapes (\040 space, \011 tab, \012 newline, \134 backslash).</summary>
    public static string Unescape(string s)
    {
        if (!s.Contains('\\'))
        {
            return s;
        }
        var bytes = new List<byte>(s.Length);
        var utf8 = Encoding.UTF8.GetBytes(s);
        for (var i = 0; i < utf8.Length; i++)
        {
            if (utf8[i] == '\\' && i + 3 < utf8.Length && IsOctal(utf8[i + 1]) && IsOctal(utf8[i + 2]) && IsOctal(utf8[i + 3]))
            {
                bytes.Add((byte)(((utf8[i + 1] - '0') << 6) | ((utf8[i + 2] - '0') << 3) | (utf8[i + 3] - '0')));
                i += 3;
            }
            else
            {
                bytes.Add(utf8[i]);
            }
        }
        return Encoding.UTF8.GetString(bytes.ToArray());
    }

    private static bool IsOctal(byte b) => b is >= (byte)'0' and <= (byte)'7';
}
