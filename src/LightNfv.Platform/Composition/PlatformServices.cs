using LightNfv.Backends;
using LightNfv.Backends.Shared;
using LightNfv.Core.Configuration;
using LightNfv.Platform.Alerts;
using LightNfv.Platform.Control;
using LightNfv.Platform.Lifecycle;
using LightNfv.Platform.Monitoring;
using LightNfv.Platform.Store;
using Microsoft.Extensions.Logging;

namespace LightNfv.Platform.Composition;

/// <summary>
/// The composition root: the one place the platform's object graph is built (options, the backends' shared context,
/// the registry, the store, the lifecycle service), and the parts the daemon adds on top. The CLI's embedded mode, the
/// daemon (ServerApp registers these parts) and the tests all start here, so they run the same graph.
/// </summary>
public sealed class PlatformServices : IDisposable
{
    private bool _disposed;

    private PlatformServices(PlatformOptions options, PlatformStore store, TimeProvider time)
    {
        Options = options;
        Time = time;
        Store = store;
        Context = new BackendContext(options);
        Backends = new BackendRegistry(Context);
        Instances = new InstanceService(Store, Backends);
    }

    /// <summary>The platform named by <paramref name="options"/> (default: the LIGHTNFV_* environment), its store opened in its state directory.</summary>
    public static PlatformServices Open(PlatformOptions? options = null, TimeProvider? time = null)
    {
        options ??= new PlatformOptions();
        return new PlatformServices(options, PlatformStore.OpenIn(options.StateDirectory, time), time ?? TimeProvider.System);
    }

    /// <summary>
    /// The platform over a store opened another way (in memory when the disk is full, a fresh one after a damaged one
    /// was moved aside): the services take it over and dispose it.
    /// </summary>
    public static PlatformServices With(PlatformOptions options, PlatformStore store, TimeProvider? time = null) =>
        new(options, store, time ?? TimeProvider.System);

    public static string StorePath(PlatformOptions options) => Path.Combine(options.StateDirectory, PlatformStore.FileName);

    public PlatformOptions Options { get; }
    public TimeProvider Time { get; }
    public BackendContext Context { get; }
    public BackendRegistry Backends { get; }
    public PlatformStore Store { get; }

    /// <summary>Every lifecycle action of an instance goes through this service, whoever asks (CLI, API, reconciler, monitor).</summary>
    public InstanceService Instances { get; }

    // ---- what the daemon adds -----------------------------------------------------------------------

    /// <summary>The sampler behind /metrics, `top` and the auto-scaler.</summary>
    public InstanceMonitor CreateMonitor(ILogger<InstanceMonitor> logger) => new(Instances, Time, logger);

    /// <summary>The reconciler, with the pass interval and the warm-pool size it keeps for fast scale-out.</summary>
    public Reconciler CreateReconciler(AlertHub alerts, ILogger<Reconciler> logger, TimeSpan interval) =>
        new(Instances, alerts, Time, logger) { Interval = interval, WarmPool = Options.WarmPool };

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        Store.Dispose();
        Context.Dispose();
    }
}
