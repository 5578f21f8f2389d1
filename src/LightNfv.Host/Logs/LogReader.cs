using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Text;

namespace LightNfv.Host.Logs;

/// <summary>
/// Reads an instance's console log with a time per line, and follows it while the instance runs: the one
/// implementation behind `lightnfv logs` without a daemon and the daemon's logs route.
/// </summary>
/// <remarks>
/// The log's bytes are never changed. Times come from two side files of 16-byte records (int64 offset of a line's
/// first byte, int64 unix ns), little-endian:
/// <list type="bullet">
/// <item><c>.idx</c>, written by the log's tender (lnfv-spawn -t, process instances): the time the tender read the
/// line from the VNF's pipe, before writing it; exact to the tender's read (microseconds).</item>
/// <item><c>.seen</c>, for logs no tender writes (VM and unikernel consoles, crun's output): the time a reader first
/// saw the line, stamped by whichever reader comes first (the daemon's monitor each sample, a `logs` command) and kept,
/// so every later reader agrees. Precision: the monitor's interval while a daemon runs, else the first `logs` call.</item>
/// <item>A docker instance's log is dockerd's json-file (its path in <c>.docker</c> beside the log): one JSON object
/// per line with the time docker's shim read it; read as it is, follow included.</item>
/// </list>
/// </remarks>
public sealed class LogReader
{
    private const int RecordSize = 16;

    /// <summary>How often a follower looks for new bytes (the file is polled: one stat per interval, no inotify state to clean up).</summary>
    public static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>How often a follower asks whether the instance still runs.</summary>
    public static readonly TimeSpan RunningCheckInterval = TimeSpan.FromMilliseconds(500);

    private readonly string _log;
    private readonly bool _dockerJson;
    private string? _dockerPartial;
    private long _dockerPartialNs;
    private readonly List<long> _offsets = [];
    private readonly List<long> _times = [];
    private readonly Dictionary<string, long> _sideRead = new(StringComparer.Ordinal);
    private long _position;
    private byte[] _carry = [];

    public LogReader(string logPath)
    {
        _log = logPath;
        if (File.Exists(DockerPointerPath(logPath)) && File.ReadAllText(DockerPointerPath(logPath)).Trim() is { Length: > 0 } json)
        {
            _log = json;
            _dockerJson = true;
        }
    }

    public static string IndexPath(string logPath) => logPath + ".idx";

    /// <summary>Where a docker instance names dockerd's json-file log of its container.</summary>
    public static string DockerPointerPath(string logPath) => logPath + ".docker";

    public static string SeenPath(string logPath) => logPath + ".seen";

    /// <summary>Whether a tender writes this log's times (then nobody stamps it).</summary>
    private bool Tendered => _dockerJson || File.Exists(IndexPath(_log));

    /// <summary>
    /// The lines written since the last call, each with its time. A line still being written (no newline yet) waits
    /// for the next call unless <paramref name="final"/> (the writer is gone, or this is a one-shot read).
    /// </summary>
    public List<LogLine> ReadNew(bool final)
    {
        var lines = new List<LogLine>();
        byte[] fresh;
        try
        {
            using var f = new FileStream(_log, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            if (f.Length < _position)
            {
                // Truncated or replaced (a removed and recreated instance): start over.
                _position = 0;
                _carry = [];
            }
            f.Position = _position;
            fresh = new byte[f.Length - _position];
            f.ReadExactly(fresh);
        }
        catch (FileNotFoundException)
        {
            return lines;
        }
        catch (DirectoryNotFoundException)
        {
            return lines;
        }
        var start = _position - _carry.Length;
        _position += fresh.Length;
        var bytes = _carry.Length == 0 ? fresh : [.. _carry, .. fresh];
        var starts = new List<(long Offset, int From, int To)>();
        var from = 0;
        for (var i = 0; i < bytes.Length; i++)
        {
            if (bytes[i] == (byte)'\n')
            {
                starts.Add((start + from, from, i));
                from = i + 1;
            }
        }
        if (final && from < bytes.Length)
        {
            starts.Add((start + from, from, bytes.Length));
            from = bytes.Length;
        }
        _carry = bytes[from..];
        if (_dockerJson)
        {
            return DockerLines(bytes, starts, final);
        }
        if (starts.Count == 0)
        {
            return lines;
        }
        LoadTimes();
        Stamp(starts.Select(s => s.Offset));
        foreach (var (offset, a, b) in starts)
        {
            var end = b > a && bytes[b - 1] == (byte)'\r' ? b - 1 : b;
            lines.Add(new LogLine(TimeOf(offset), Encoding.UTF8.GetString(bytes, a, end - a)));
        }
        return lines;
    }

    /// <summary>
    /// Gives every line not yet timed its first-seen time (logs without a tender). Called by the daemon's monitor on
    /// each sample so that times are as close as its interval; a no-op for tendered logs.
    /// </summary>
    public void StampNew()
    {
        if (!File.Exists(_log) || Tendered)
        {
            return;
        }
        // Only complete lines: a line being written is stamped when it ends (its time is then at most one sample late).
        ReadNew(final: false);
    }

    /// <summary>
    /// The lines the query asks for; with <see cref="LogQuery.Follow"/>, then every new line until
    /// <paramref name="running"/> says the instance stopped (its last bytes included) or the caller cancels.
    /// </summary>
    public static async IAsyncEnumerable<LogLine> ReadAsync(string logPath, LogQuery query, Func<bool> running,
        [EnumeratorCancellation] CancellationToken ct = default)
    {
        var reader = new LogReader(logPath);
        var sinceNs = query.Since is { } s ? (s - DateTimeOffset.UnixEpoch).Ticks * 100 : long.MinValue;
        var first = reader.ReadNew(final: !query.Follow).Where(l => l.UnixNanos >= sinceNs).ToList();
        foreach (var line in query.Tail is { } n ? first.TakeLast(n) : first)
        {
            yield return line;
        }
        if (!query.Follow)
        {
            yield break;
        }
        var lastCheck = DateTime.UtcNow;
        while (true)
        {
            var ended = false;
            if (DateTime.UtcNow - lastCheck >= RunningCheckInterval)
            {
                lastCheck = DateTime.UtcNow;
                if (!running())
                {
                    // The writer's last bytes may still be on their way (a tender drains its pipe before it exits).
                    await Task.Delay(PollInterval, ct).ConfigureAwait(false);
                    ended = true;
                }
            }
            foreach (var line in reader.ReadNew(final: ended))
            {
                if (line.UnixNanos >= sinceNs)
                {
                    yield return line;
                }
            }
            if (ended)
            {
                yield break;
            }
            await Task.Delay(PollInterval, ct).ConfigureAwait(false);
        }
    }

    /// <summary>json-file records as lines: docker splits lines longer than 16 KiB into records without a newline.</summary>
    private List<LogLine> DockerLines(byte[] bytes, List<(long Offset, int From, int To)> records, bool final)
    {
        var lines = new List<LogLine>();
        foreach (var (_, a, b) in records)
        {
            string? text;
            long ns;
            try
            {
                using var doc = System.Text.Json.JsonDocument.Parse(bytes.AsMemory(a, b - a));
                text = doc.RootElement.GetProperty("log").GetString();
                ns = ParseNanos(doc.RootElement.GetProperty("time").GetString());
            }
            catch (Exception e) when (e is System.Text.Json.JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
            {
                continue;
            }
            if (_dockerPartial is null)
            {
                _dockerPartialNs = ns;
            }
            _dockerPartial += text;
            if (_dockerPartial!.EndsWith('\n'))
            {
                lines.Add(new LogLine(_dockerPartialNs, _dockerPartial.TrimEnd('\n').TrimEnd('\r')));
                _dockerPartial = null;
            }
        }
        if (final && _dockerPartial is { } rest)
        {
            lines.Add(new LogLine(_dockerPartialNs, rest));
            _dockerPartial = null;
        }
        return lines;
    }

    /// <summary>An RFC3339 time with up to nine fraction digits, in unix ns (DateTimeOffset keeps only seven).</summary>
    internal static long ParseNanos(string? text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var dot = text.IndexOf('.', StringComparison.Ordinal);
        var fraction = 0L;
        var whole = text;
        if (dot >= 0)
        {
            var end = dot + 1;
            while (end < text.Length && char.IsAsciiDigit(text[end]))
            {
                end++;
            }
            var digits = text[(dot + 1)..end];
            fraction = long.Parse(digits.Length > 9 ? digits[..9] : digits.PadRight(9, '0'), System.Globalization.CultureInfo.InvariantCulture);
            whole = text[..dot] + text[end..];
        }
        var t = DateTimeOffset.Parse(whole, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal);
        return t.ToUnixTimeSeconds() * 1_000_000_000L + fraction;
    }

    /// <summary>Appends the records of both side files that this reader has not loaded yet.</summary>
    private void LoadTimes()
    {
        foreach (var path in new[] { IndexPath(_log), SeenPath(_log) })
        {
            _sideRead.TryGetValue(path, out var done);
            byte[] data;
            try
            {
                using var f = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                if (f.Length - done < RecordSize)
                {
                    continue;
                }
                f.Position = done;
                data = new byte[(f.Length - done) / RecordSize * RecordSize];
                f.ReadExactly(data);
            }
            catch (IOException)
            {
                continue;
            }
            _sideRead[path] = done + data.Length;
            for (var i = 0; i < data.Length; i += RecordSize)
            {
                var offset = BinaryPrimitives.ReadInt64LittleEndian(data.AsSpan(i));
                var time = BinaryPrimitives.ReadInt64LittleEndian(data.AsSpan(i + 8));
                // Two readers may stamp the same line: the first record of an offset wins, later ones are ignored.
                if (_offsets.Count == 0 || offset > _offsets[^1])
                {
                    _offsets.Add(offset);
                    _times.Add(time);
                }
            }
        }
    }

    /// <summary>For an untendered log: records now as the time of every line start past the last one timed.</summary>
    private void Stamp(IEnumerable<long> lineStarts)
    {
        if (Tendered)
        {
            return;
        }
        var last = _offsets.Count == 0 ? -1 : _offsets[^1];
        var fresh = lineStarts.Where(o => o > last).ToList();
        if (fresh.Count == 0)
        {
            return;
        }
        var now = (DateTimeOffset.UtcNow - DateTimeOffset.UnixEpoch).Ticks * 100;
        var data = new byte[fresh.Count * RecordSize];
        for (var i = 0; i < fresh.Count; i++)
        {
            BinaryPrimitives.WriteInt64LittleEndian(data.AsSpan(i * RecordSize), fresh[i]);
            BinaryPrimitives.WriteInt64LittleEndian(data.AsSpan(i * RecordSize + 8), now);
            _offsets.Add(fresh[i]);
            _times.Add(now);
        }
        try
        {
            // One append: concurrent stampers may interleave whole writes, never records.
            using var f = new FileStream(SeenPath(_log), FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
            f.Write(data);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A reader that may not write (read-only state dir) still shows the lines, timed now.
        }
        _sideRead[SeenPath(_log)] = _sideRead.GetValueOrDefault(SeenPath(_log)) + data.Length;
    }

    /// <summary>The time of the last record at or before the line's start; a line older than every record gets the first.</summary>
    private long TimeOf(long offset)
    {
        if (_offsets.Count == 0)
        {
            return (DateTimeOffset.UtcNow - DateTimeOffset.UnixEpoch).Ticks * 100;
        }
        var i = _offsets.BinarySearch(offset);
        if (i < 0)
        {
            i = ~i - 1;
        }
        return _times[Math.Max(i, 0)];
    }
}
