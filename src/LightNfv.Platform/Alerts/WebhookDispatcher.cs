using System.Net.Http.Json;
using System.Threading.Channels;
using LightNfv.Platform.Store;
using Microsoft.Extensions.Logging;

namespace LightNfv.Platform.Alerts;

/// <summary>
/// POSTs alerts to subscribed callbacks (SOL003-style notifications), in order per alert, with retry and exponential
/// backoff (base delay doubling per attempt, capped) so a listener that restarts briefly still gets everything.
/// One background loop; a slow listener delays others, which is acceptable at alert rates.
/// </summary>
public sealed partial class WebhookDispatcher(PlatformStore store, HttpClient http, TimeProvider time, ILogger<WebhookDispatcher> logger) : IAsyncDisposable
{
    private readonly Channel<AlertRecord> _queue = Channel.CreateBounded<AlertRecord>(new BoundedChannelOptions(4096) { FullMode = BoundedChannelFullMode.DropOldest });
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

    public void Enqueue(AlertRecord alert) => _queue.Writer.TryWrite(alert);

    /// <summary>The delay before attempt <paramref name="attempt"/> (1-based retries): base * 2^(attempt-1), capped.</summary>
    public TimeSpan Backoff(int attempt) =>
        TimeSpan.FromTicks(Math.Min(MaxDelay.Ticks, BaseDelay.Ticks * (1L << Math.Min(attempt - 1, 20))));

    private async Task RunAsync(CancellationToken ct)
    {
        try
        {
            await foreach (var alert in _queue.Reader.ReadAllAsync(ct).ConfigureAwait(false))
            {
                foreach (var s in store.Subscriptions().Where(s => s.Kinds.Count == 0 || s.Kinds.Contains(alert.Kind)))
                {
                    await DeliverAsync(s, alert, ct).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    private async Task DeliverAsync(Subscription s, AlertRecord alert, CancellationToken ct)
    {
        var body = new
        {
            id = alert.Id,
            notificationType = "VnfLcmAlertNotification",
            subscriptionId = s.Id,
            timeStamp = alert.At,
            kind = alert.Kind,
            tenant = alert.Tenant,
            vnf = alert.Deployment,
            instanceId = alert.InstanceId,
            message = alert.Message,
        };
        for (var attempt = 1; attempt <= MaxAttempts; attempt++)
        {
            try
            {
                using var response = await http.PostAsJsonAsync(s.Callback, body, ct).ConfigureAwait(false);
                if (response.IsSuccessStatusCode)
                {
                    Interlocked.Increment(ref _delivered);
                    return;
                }
                LogRetry(logger, s.Callback, attempt, $"HTTP {(int)response.StatusCode}");
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
            {
                LogRetry(logger, s.Callback, attempt, e.Message);
            }
            if (attempt < MaxAttempts)
            {
                await Task.Delay(Backoff(attempt), time, ct).ConfigureAwait(false);
            }
        }
        Interlocked.Increment(ref _dropped);
        LogGaveUp(logger, s.Callback, alert.Id, MaxAttempts);
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
