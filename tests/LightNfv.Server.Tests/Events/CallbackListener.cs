using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;

namespace LightNfv.Server.Tests.Events;

/// <summary>A real HTTP listener on 127.0.0.1 that records every request and answers GET and POST with the statuses given.</summary>
public sealed class CallbackListener : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Channel<Received> _received = Channel.CreateUnbounded<Received>();
    private readonly Task _loop;

    public sealed record Received(string Method, string Path, IReadOnlyDictionary<string, string> Headers, byte[] Body);

    public CallbackListener(int getStatus = 204, int postStatus = 204, bool answerGet = true)
    {
        Port = FreePort();
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _loop = Task.Run(async () =>
        {
            while (_listener.IsListening)
            {
                HttpListenerContext ctx;
                try
                {
                    ctx = await _listener.GetContextAsync();
                }
                catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
                {
                    // Stopped by Dispose, also between the IsListening check and the wait ("call Start() first").
                    return;
                }
                using var body = new MemoryStream();
                await ctx.Request.InputStream.CopyToAsync(body);
                var headers = ctx.Request.Headers.AllKeys.Where(k => k is not null).ToDictionary(k => k!, k => ctx.Request.Headers[k]!, StringComparer.OrdinalIgnoreCase);
                await _received.Writer.WriteAsync(new Received(ctx.Request.HttpMethod, ctx.Request.Url!.AbsolutePath, headers, body.ToArray()));
                if (ctx.Request.HttpMethod == "GET" && !answerGet)
                {
                    continue; // never answered: the daemon's check must give up on its own
                }
                ctx.Response.StatusCode = ctx.Request.HttpMethod == "GET" ? getStatus : postStatus;
                ctx.Response.Close();
            }
        });
    }

    public int Port { get; }

    public string Url(string path = "/hook") => $"http://127.0.0.1:{Port}{path}";

    /// <summary>The next request of <paramref name="method"/> (others are skipped).</summary>
    public async Task<Received> NextAsync(string method, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(20));
        while (true)
        {
            var r = await _received.Reader.ReadAsync(cts.Token);
            if (r.Method == method)
            {
                return r;
            }
        }
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        _listener.Stop();
        _listener.Close();
        _loop.Wait(TimeSpan.FromSeconds(5));
    }
}
