using System.Buffers.Binary;

namespace LightNfv.Host.Logs;

/// <summary>
/// Writes a log's time index (<see cref="LogReader.IndexPath"/>) for a writer that is itself in the path of the bytes
/// (the unikernel monitor, which receives the guest's console writes): one record per line start, written before the
/// bytes, as lnfv-spawn's tender does for process instances.
/// </summary>
public sealed class LogIndexWriter : IDisposable
{
    private readonly FileStream _index;
    private bool _atLineStart;

    /// <param name="logPath">The log, whose current end the next <see cref="Record"/> describes.</param>
    public LogIndexWriter(string logPath)
    {
        _atLineStart = true;
        if (File.Exists(logPath))
        {
            using var log = new FileStream(logPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            if (log.Length > 0)
            {
                log.Position = log.Length - 1;
                _atLineStart = log.ReadByte() == '\n';
            }
        }
        _index = new FileStream(LogReader.IndexPath(logPath), FileMode.Append, FileAccess.Write, FileShare.ReadWrite, 1);
    }

    /// <summary>Records, at the time now, every line that starts in <paramref name="bytes"/>, about to be written at <paramref name="offset"/>.</summary>
    public void Record(long offset, ReadOnlySpan<byte> bytes)
    {
        var now = (DateTimeOffset.UtcNow - DateTimeOffset.UnixEpoch).Ticks * 100;
        var records = new List<byte>();
        Span<byte> record = stackalloc byte[16];
        for (var i = 0; i < bytes.Length; i++)
        {
            if (_atLineStart)
            {
                BinaryPrimitives.WriteInt64LittleEndian(record, offset + i);
                BinaryPrimitives.WriteInt64LittleEndian(record[8..], now);
                records.AddRange(record);
            }
            _atLineStart = bytes[i] == '\n';
        }
        if (records.Count > 0)
        {
            _index.Write(records.ToArray());
            _index.Flush();
        }
    }

    public void Dispose() => _index.Dispose();
}
