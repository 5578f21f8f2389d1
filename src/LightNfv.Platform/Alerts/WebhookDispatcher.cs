using System.Net.Http.Headers;
using System.Threading.Channels;
using LightNfv.Platform.Events;
using LightNfv.Platform.Store;
using Microsoft.Extensions.Logging;

namespace LightNfv.Platform.Alerts;

/// <summary>
/// POSTs alerts to subscribed callbacks (SOL003-style notifications), in order per alert, with retry and exponential
/// backoff (base delay doubling per attempt, capped) so a listener that restarts briefly still gets everything.
/// One background loop; a slow listener delays others, which is acceptable at alert rates. The body is the event itself
/// (<see cref="PlatformEvent"/>, the shape of the store's list and the SSE stream), authenticated as the subscription
/// asks (<see cref="WebhookSigner"/>). The HttpClient given is expected to come from <see cref="CallbackPolicy.CreateHandler"/>,
/// which only ever connects to loopback.
/// </summary>
public sealed partial class WebhookDispatcher(PlatformStore store, HttpClient http, TimeProvider time, ILogger<WebhookDispatcher> logger) : IAsyncDisposable
{
    private readonly Channel<PlatformEvent> _queue = Channel.CreateBounded<PlatformEvent>(new BoundedChannelOptions(4096) { FullMode = BoundedChannelFullMode.DropOldest });
    private readonly CancellationTokenSource _stop = new();
    private Task? _loop;

    public int MaxAttempts { get; init; } = 6;
    public TimeSpan BaseDelay { get; init; } = TimeSpan.FromMilliseconds(200);
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Delivered notifications, for /metrics.</summary>
    public long Delivered => Interlocked.Read(ref _delivered);
    public long Dropped => Interlocked.Read(ref _dropped);
    private long _delivered, _dropped;

    public void Start() => _loop ??= Task.Run(() => RunAsync(_stop.Token));

    public void Enqueue(PlatformEvent alert) => _queue.Writer.TryWrite(alert);

    /// <summary>The delay before attempt <paramref name="attempt"/> (1-based retries): base * 2^(attempt-1), capped.</summary>
    public TimeSpan Backoff(int attempt) =>
        TimeSpan.FromTicks(Math.Min(MaxDelay.Ticks, BaseDelay.Ticks * (1L << Math.Min(attempt - 1, 20))));

    private async Task RunAsync(CancellationToken ct)
    {
        try
        {
            await foreach (var alert in _queue.Reader.ReadAllAsync(ct).ConfigureAwait(false))
            {
                foreach (var s in store.Subscriptions().Where(s => s.Filter.Matches(alert)))
                {
                    await DeliverAsync(s, alert, ct).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    private async Task DeliverAsync(Subscription s, PlatformEvent alert, CancellationToken ct)
    {
        var body = alert.ToUtf8Json();
        for (var attempt = 1; attempt <= MaxAttempts; attempt++)
        {
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, s.CallbackUri)
                {
                    Content = new ByteArrayContent(body) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" } } },
                };
                // Signed at each attempt: the timestamp says when this request was sent, so a receiver can refuse replays.
                WebhookSigner.Sign(request, s, s.Authentication, body, time.GetUtcNow());
                using var response = await http.SendAsync(request, ct).ConfigureAwait(false);
                if (response.IsSuccessStatusCode)
                {
                    Interlocked.Increment(ref _delivered);
                    return;
                }
                LogRetry(logger, s.CallbackUri, attempt, $"HTTP {(int)response.StatusCode}");
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
            {
                LogRetry(logger, s.CallbackUri, attempt, e.Message);
            }
            if (attempt < MaxAttempts)
            {
                await Task.Delay(Backoff(attempt), time, ct).ConfigureAwait(false);
            }
        }
        Interlocked.Increment(ref _dropped);
        LogGaveUp(logger, s.CallbackUri, alert.Id, MaxAttempts);
    }

    private int _disposed;

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_loop is not null)
        {
            await _loop.ConfigureAwait(false);
        }
        _stop.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "webhook {Callback}: attempt {Attempt} failed ({Reason}); retrying with backoff")]
    private static partial void LogRetry(ILogger logger, string callback, int attempt, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "webhook {Callback}: alert {AlertId} not delivered after {Attempts} attempts")]
    private static partial void LogGaveUp(ILogger logger, string callback, long alertId, int attempts);
}
