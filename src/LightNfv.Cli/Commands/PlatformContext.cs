using LightNfv.Backends;
using LightNfv.Backends.Hosting;
using LightNfv.Platform.Lifecycle;
using LightNfv.Platform.Store;

namespace LightNfv.Cli.Commands;

/// <summary>The embedded (daemonless) platform one CLI invocation works with: options from the environment, the store, the backends.</summary>
public sealed class PlatformContext : IDisposable
{
    private PlatformContext(HostOptions options)
    {
        Options = options;
        Host = new BackendHost(options);
        Store = new PlatformStore(Path.Combine(options.StateDirectory, "lightnfv.db"));
        Backends = new BackendRegistry(Host);
        Instances = new InstanceService(Store, Backends);
    }

    public HostOptions Options { get; }
    public BackendHost Host { get; }
    public PlatformStore Store { get; }
    public BackendRegistry Backends { get; }
    public InstanceService Instances { get; }

    public static PlatformContext Open() => new(new HostOptions());

    public void Dispose()
    {
        Store.Dispose();
        Host.Dispose();
    }
}
