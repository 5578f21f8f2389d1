namespace LightNfv.Host.Kvm;

/// <summary>The guest's console: kept in memory until the guest has an instance, then appended to its log, capped.</summary>
public sealed unsafe partial class UnikernelVm
{
    /// <summary>Opens the console log, writing first what the guest wrote before it had one (its boot in the pool).</summary>
    private FileStream OpenConsole()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(_consolePath!)!);
        var console = new FileStream(_consolePath!, FileMode.Append, FileAccess.Write, FileShare.ReadWrite, 1, FileOptions.None);
        // The monitor sees each console write as it happens: it times the lines itself (`lightnfv logs -t`), exactly.
        _consoleIndex = new Logs.LogIndexWriter(_consolePath!);
        _consoleIndex.Record(console.Position, _earlyConsole.ToArray());
        console.Write(_earlyConsole.ToArray());
        console.Flush();
        _earlyConsole.SetLength(0);
        _console = console;
        return console;
    }

    private void WriteConsole(ReadOnlySpan<byte> bytes)
    {
        if (_consoleBytes + bytes.Length > MaxConsoleBytes)
        {
            return; // a chatty guest cannot fill the host's disk
        }
        _consoleBytes += bytes.Length;
        try
        {
            lock (_consoleGate)
            {
                if (_console is null && _consolePath is null)
                {
                    _earlyConsole.Write(bytes);
                    return;
                }
                _console ??= OpenConsole();
                _consoleIndex?.Record(_console.Position, bytes);
                _console.Write(bytes);
                _console.Flush();
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
        }
    }
}
