using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using LightNfv.Core.Errors;

namespace LightNfv.Backends.Vm;

/// <summary>
/// A QEMU Machine Protocol session over the instance's unix socket: greeting, qmp_capabilities, then one command
/// per call. Used for status and graceful stop (system_powerdown, quit); events are skipped.
/// </summary>
public sealed class QmpClient : IDisposable
{
    private readonly Socket _socket;
    private readonly StreamReader _reader;
    private readonly Stream _stream;

    private QmpClient(Socket socket)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: false);
        _reader = new StreamReader(_stream, Encoding.UTF8);
    }

    public static QmpClient Connect(string socketPath, TimeSpan timeout)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
        {
            ReceiveTimeout = (int)timeout.TotalMilliseconds,
            SendTimeout = (int)timeout.TotalMilliseconds,
        };
        try
        {
            socket.Connect(new UnixDomainSocketEndPoint(socketPath));
            var client = new QmpClient(socket);
            client.ReadMessage(); // {"QMP": {...}} greeting
            client.Execute("qmp_capabilities");
            return client;
        }
        catch (Exception e) when (e is SocketException or IOException)
        {
            socket.Dispose();
            throw new LightNfvException(ErrorKind.Host, $"QMP socket {socketPath}: {e.Message}");
        }
    }

    /// <summary>Runs one command and returns its "return" value; a QMP error becomes an exception naming the command.</summary>
    public JsonElement Execute(string command)
    {
        var bytes = Encoding.UTF8.GetBytes($"{{\"execute\":\"{command}\"}}\n");
        _stream.Write(bytes);
        while (true)
        {
            var message = ReadMessage();
            if (message.TryGetProperty("return", out var ret))
            {
                return ret.Clone();
            }
            if (message.TryGetProperty("error", out var error))
            {
                throw new LightNfvException(ErrorKind.Host, $"QMP {command}: {error.GetProperty("desc").GetString()}");
            }
            // An asynchronous event: not the answer.
        }
    }

    /// <summary>query-status's "status": running, paused, shutdown, internal-error, ...</summary>
    public string Status() => Execute("query-status").GetProperty("status").GetString() ?? "unknown";

    private JsonElement ReadMessage()
    {
        var line = _reader.ReadLine() ?? throw new IOException("QEMU closed the QMP connection");
        using var doc = JsonDocument.Parse(line);
        return doc.RootElement.Clone();
    }

    public void Dispose()
    {
        _reader.Dispose();
        _stream.Dispose();
        _socket.Dispose();
    }
}
