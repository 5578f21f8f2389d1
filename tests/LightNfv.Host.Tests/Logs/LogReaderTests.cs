using System.Buffers.Binary;
using System.Text;
using LightNfv.Core.Errors;
using LightNfv.Host.Logs;

namespace LightNfv.Host.Tests.Logs;

public sealed class LogReaderTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 5, 8, 0, 0, TimeSpan.Zero);
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("lnfv-logs-");

    private string Log => Path.Combine(_dir.FullName, "console.log");

    public void Dispose() => _dir.Delete(recursive: true);

    private static long Ns(DateTimeOffset t) => (t - DateTimeOffset.UnixEpoch).Ticks * 100;

    /// <summary>Writes what a tender writes: the bytes, and a record per line start.</summary>
    private void Tend(string text, DateTimeOffset at)
    {
        var offset = File.Exists(Log) ? new FileInfo(Log).Length : 0;
        var bytes = Encoding.UTF8.GetBytes(text);
        var records = new List<byte>();
        var lineStart = offset == 0 || File.ReadAllBytes(Log)[^1] == '\n';
        for (var i = 0; i < bytes.Length; i++)
        {
            if (lineStart)
            {
                var r = new byte[16];
                BinaryPrimitives.WriteInt64LittleEndian(r, offset + i);
                BinaryPrimitives.WriteInt64LittleEndian(r.AsSpan(8), Ns(at));
                records.AddRange(r);
            }
            lineStart = bytes[i] == '\n';
        }
        using (var idx = new FileStream(LogReader.IndexPath(Log), FileMode.Append))
        {
            idx.Write(records.ToArray());
        }
        using var log = new FileStream(Log, FileMode.Append);
        log.Write(bytes);
    }

    private static async Task<List<LogLine>> All(IAsyncEnumerable<LogLine> lines)
    {
        var list = new List<LogLine>();
        await foreach (var l in lines)
        {
            list.Add(l);
        }
        return list;
    }

    [Fact]
    public async Task Tendered_lines_carry_the_tenders_times_and_since_and_tail_select_by_them()
    {
        Tend("one\r\ntwo\n", T0);
        Tend("three\nfour (partial)", T0.AddSeconds(10));
        var all = await All(LogReader.ReadAsync(Log, new LogQuery(), () => false));
        all.Select(l => l.Text).ShouldBe(["one", "two", "three", "four (partial)"]);
        all.Select(l => l.Time).ShouldBe([T0, T0, T0.AddSeconds(10), T0.AddSeconds(10)]);
        all[2].Format(timestamps: true).ShouldBe("2026-12-05T08:00:10.000000000Z three");

        (await All(LogReader.ReadAsync(Log, new LogQuery(Since: T0.AddSeconds(5)), () => false))).Select(l => l.Text).ShouldBe(["three", "four (partial)"]);
        (await All(LogReader.ReadAsync(Log, new LogQuery(Tail: 1), () => false))).Select(l => l.Text).ShouldBe(["four (partial)"]);
        (await All(LogReader.ReadAsync(Log, new LogQuery(Tail: 0), () => false))).ShouldBeEmpty();
        // Nothing was stamped: a tendered log is never timed by its readers.
        File.Exists(LogReader.SeenPath(Log)).ShouldBeFalse();
    }

    [Fact]
    public async Task Follow_yields_lines_as_they_are_written_and_ends_with_the_writer()
    {
        Tend("before\n", T0);
        var running = true;
        var seen = new List<string>();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var follow = Task.Run(async () =>
        {
            await foreach (var l in LogReader.ReadAsync(Log, new LogQuery(Follow: true), () => Volatile.Read(ref running), cts.Token))
            {
                lock (seen)
                {
                    seen.Add(l.Text);
                }
            }
        });
        await Task.Delay(300);
        Tend("during\nhalf", T0.AddSeconds(1));
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (DateTime.UtcNow < deadline && !seen.Contains("during"))
        {
            await Task.Delay(20);
        }
        lock (seen)
        {
            // The half-written line waits for its end while the writer lives.
            seen.ShouldBe(["before", "during"]);
        }
        Tend(" line\nlast", T0.AddSeconds(2));
        Volatile.Write(ref running, false);
        await follow.WaitAsync(TimeSpan.FromSeconds(5));
        seen.ShouldBe(["before", "during", "half line", "last"]);
    }

    [Fact]
    public async Task An_untendered_log_is_timed_by_its_first_reader_and_every_later_reader_agrees()
    {
        await File.WriteAllTextAsync(Log, "a\nb\n");
        new LogReader(Log).StampNew();
        var first = await All(LogReader.ReadAsync(Log, new LogQuery(), () => false));
        await Task.Delay(50);
        await File.AppendAllTextAsync(Log, "c\n");
        var second = await All(LogReader.ReadAsync(Log, new LogQuery(), () => false));
        second.Take(2).ShouldBe(first);
        second[2].Text.ShouldBe("c");
        second[2].UnixNanos.ShouldBeGreaterThan(first[1].UnixNanos);
        (await All(LogReader.ReadAsync(Log, new LogQuery(), () => false))).ShouldBe(second);
        new FileInfo(LogReader.SeenPath(Log)).Length.ShouldBe(3 * 16);
    }

    [Fact]
    public void Since_takes_durations_rfc3339_with_nanoseconds_and_unix_seconds()
    {
        LogQuery.Parse(false, "10m", false, null, T0).Since.ShouldBe(T0.AddMinutes(-10));
        LogQuery.Parse(false, "1h30m", false, null, T0).Since.ShouldBe(T0.AddMinutes(-90));
        LogQuery.Parse(false, "1.5s", false, null, T0).Since.ShouldBe(T0.AddSeconds(-1.5));
        LogQuery.Parse(false, "2026-12-05T08:00:10.123456789Z", false, null, T0).Since.ShouldBe(T0.AddSeconds(10).AddTicks(1234567));
        LogQuery.Parse(false, "2026-12-05T09:00:00+01:00", false, null, T0).Since.ShouldBe(T0);
        LogQuery.Parse(false, "1796457600", false, null, T0).Since.ShouldBe(DateTimeOffset.FromUnixTimeSeconds(1796457600));
        LogQuery.Parse(false, null, false, null, T0).Since.ShouldBeNull();
        Should.Throw<LightNfvException>(() => LogQuery.Parse(false, "yesterday", false, null, T0)).Message.ShouldStartWith("since: 'yesterday'");
        Should.Throw<LightNfvException>(() => LogQuery.Parse(false, "10x", false, null, T0)).Kind.ShouldBe(ErrorKind.Invalid);
        Should.Throw<LightNfvException>(() => LogQuery.Parse(false, null, false, -1, T0)).Message.ShouldStartWith("tail:");
    }

    [Fact]
    public async Task A_writer_in_the_path_indexes_its_own_lines()
    {
        await File.WriteAllTextAsync(Log, "old\npart");
        var before = DateTimeOffset.UtcNow;
        using (var index = new LogIndexWriter(Log))
        {
            foreach (var chunk in new[] { "ial\nnew\n", "la", "st\n" })
            {
                var bytes = Encoding.UTF8.GetBytes(chunk);
                index.Record(new FileInfo(Log).Length, bytes);
                using var log = new FileStream(Log, FileMode.Append);
                log.Write(bytes);
            }
        }
        var lines = await All(LogReader.ReadAsync(Log, new LogQuery(), () => false));
        lines.Select(l => l.Text).ShouldBe(["old", "partial", "new", "last"]);
        lines.Skip(2).ShouldAllBe(l => l.Time >= before.AddMilliseconds(-1));
        // Two records (the lines that started in those writes), no stamping by the reader.
        new FileInfo(LogReader.IndexPath(Log)).Length.ShouldBe(2 * 16);
        File.Exists(LogReader.SeenPath(Log)).ShouldBeFalse();
    }
}
