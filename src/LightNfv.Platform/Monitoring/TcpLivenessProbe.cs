using System.Net;
using System.Net.Sockets;
using System.Text;
using LightNfv.Core.Descriptors;

namespace LightNfv.Platform.Monitoring;

/// <summary>
/// The network half of a liveness probe: one TCP connection per probe from the lab side, one SYN, bounded by the
/// probe's timeout. A handshake probe (tcp:PORT) proves the instance's kernel listens and closes cleanly (FIN); an answer probe
/// ({tcp, send, expect}) proves the VNF itself runs: it sends its request, half-closes, and waits for bytes (that start
/// with expect, if given) or for the VNF to close its end. A stopped or deadlocked VNF never accepts, so neither comes.
/// </summary>
public static class TcpLivenessProbe
{
    /// <summary>Null when the probe passed, else why it failed (for the heal's reason).</summary>
    /// <param name="openSocket">Makes the socket in the lab's network namespace (a socket keeps the namespace it was
    /// made in, so only its creation runs there; the rest runs on any thread). Tests pass a plain socket.</param>
    public static async Task<string?> CheckAsync(Func<Socket> openSocket, IPAddress address, int port, HealthSpec health, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(health.Timeout);
        using var socket = openSocket();
        var connected = false; // a cancelled receive closes the socket, so Socket.Connected cannot say it afterwards
        try
        {
            await socket.ConnectAsync(new IPEndPoint(address, port), timeout.Token).ConfigureAwait(false);
            connected = true;
            if (!health.ProbeExpectsAnswer)
            {
                // Closed with FIN (an orderly end of stream), not RST: a server that accepted the probe sees a client
                // that left politely, not a connection reset by peer (issue 14). Dispose then closes without lingering.
                socket.Shutdown(SocketShutdown.Both);
                return null;
            }
            if (health.ProbeSend is { } send)
            {
                await socket.SendAsync(Encoding.UTF8.GetBytes(send), SocketFlags.None, timeout.Token).ConfigureAwait(false);
            }
            // The half-close tells a server that waits for more input (an echo, an HTTP/1.0 server) to answer and end.
            socket.Shutdown(SocketShutdown.Send);
            return await ReadAnswerAsync(socket, health.ProbeExpect is { } e ? Encoding.UTF8.GetBytes(e) : null, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return connected
                ? $"connected, but no answer within {Ms(health.Timeout)} (the VNF is stopped or hung)"
                : $"no handshake within {Ms(health.Timeout)}";
        }
        catch (SocketException e)
        {
            return $"{e.SocketErrorCode} ({e.Message})";
        }
    }

    /// <summary>Reads until the expected prefix is seen (or, without one, any byte or the VNF's close).</summary>
    private static async Task<string?> ReadAnswerAsync(Socket socket, byte[]? expect, CancellationToken ct)
    {
        var buffer = new byte[Math.Max(256, expect?.Length ?? 0)];
        var got = 0;
        while (true)
        {
            int n;
            try
            {
                n = await socket.ReceiveAsync(buffer.AsMemory(got), SocketFlags.None, ct).ConfigureAwait(false);
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset && expect is null)
            {
                return null; // the VNF accepted and reset the connection: only a running process does that
            }
            got += n;
            if (expect is null)
            {
                return null; // bytes, or an orderly close: the VNF accepted and acted on the connection
            }
            if (got >= expect.Length || n == 0)
            {
                var answer = buffer.AsSpan(0, Math.Min(got, expect.Length));
                return answer.SequenceEqual(expect)
                    ? null
                    : $"answered '{Printable(buffer.AsSpan(0, got))}', expected it to start with '{Printable(expect)}'";
            }
        }
    }

    private static string Printable(ReadOnlySpan<byte> bytes)
    {
        var text = Encoding.UTF8.GetString(bytes[..Math.Min(bytes.Length, 64)]);
        return string.Concat(text.Select(c => char.IsControl(c) ? $"\\x{(int)c:x2}" : c.ToString()));
    }

    private static string Ms(TimeSpan t) => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{t.TotalMilliseconds:0} ms");
}
