using LightNfv.Core.Configuration;
using LightNfv.Backends;
using LightNfv.Backends.Shared;
using LightNfv.Platform.Lifecycle;
using LightNfv.Platform.Store;

namespace LightNfv.Cli.Commands;

/// <summary>The embedded (daemonless) platform one CLI invocation works with: options from the environment, the store, the backends.</summary>
public sealed class PlatformContext : IDisposable
{
    private PlatformContext(PlatformOptions options, PlatformStore store)
    {
        Options = options;
        Host = new BackendContext(options);
        Store = store;
        Backends = new BackendRegistry(Host);
        Instances = new InstanceService(Store, Backends);
    }

    public static string StorePath(PlatformOptions options) => Path.Combine(options.StateDirectory, PlatformStore.FileName);

    public PlatformOptions Options { get; }
    public BackendContext Host { get; }
    public PlatformStore Store { get; }
    public BackendRegistry Backends { get; }
    public InstanceService Instances { get; }

    public static PlatformContext Open()
    {
        var options = new PlatformOptions();
        return new(options, PlatformStore.OpenIn(options.StateDirectory));
    }

    /// <summary>
    /// For `down`, which must reset the platform from any state: a store that is not a database or is damaged is
    /// moved aside (kept for inspection, named in <see cref="Notice"/>) and a fresh one made, so the host's objects
    /// are removed by their names.
    /// </summary>
    public static PlatformContext OpenForReset() => OpenForRemoval(moveDamagedAside: true);

    /// <summary>
    /// For `rm` and `down`, which remove host objects even when the store cannot be written: on a full disk the
    /// store is replaced by an empty one in memory (every host object is then found by its name, as an orphan), and
    /// <see cref="StoreProblem"/> says why the records could not be touched.
    /// </summary>
    public static PlatformContext OpenForRemoval(bool moveDamagedAside = false)
    {
        var options = new PlatformOptions();
        var path = StorePath(options);
        try
        {
            return new(options, PlatformStore.OpenIn(options.StateDirectory));
        }
        catch (Core.Errors.LightNfvException e) when (StoreErrors.IsDiskFull(e))
        {
            return new(options, new PlatformStore(":memory:")) { StoreProblem = e };
        }
        catch (Core.Errors.LightNfvException e) when (moveDamagedAside && e.InnerException is Microsoft.Data.Sqlite.SqliteException s && StoreErrors.IsDamaged(s))
        {
            var aside = $"{path}.damaged-{DateTime.UtcNow:yyyyMMddTHHmmssZ}";
            foreach (var suffix in new[] { "", "-wal", "-shm" })
            {
                if (File.Exists(path + suffix))
                {
                    File.Move(path + suffix, aside + suffix);
                }
            }
            return new(options, new PlatformStore(path)) { Notice = $"{e.Message.Split(';')[0]}: moved aside to {aside}; a new store was made" };
        }
    }

    /// <summary>Why the store could not be used (the command then worked from the host's names alone), or null.</summary>
    public Core.Errors.LightNfvException? StoreProblem { get; private init; }

    /// <summary>Something the command did on its own that the operator should know (see <see cref="OpenForReset"/>).</summary>
    public string? Notice { get; private init; }

    public void Dispose()
    {
        Store.Dispose();
        Host.Dispose();
    }
}
