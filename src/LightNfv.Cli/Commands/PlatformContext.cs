using LightNfv.Backends;
using LightNfv.Backends.Shared;
using LightNfv.Core.Configuration;
using LightNfv.Platform.Composition;
using LightNfv.Platform.Lifecycle;
using LightNfv.Platform.Store;

namespace LightNfv.Cli.Commands;

/// <summary>
/// The embedded (daemonless) platform of one CLI invocation: <see cref="PlatformServices"/> over the LIGHTNFV_*
/// environment, plus the store-opening modes of the commands that must work on a full disk or a damaged store.
/// </summary>
public sealed class PlatformContext : IDisposable
{
    private PlatformContext(PlatformServices services) => Services = services;

    public PlatformServices Services { get; }
    public PlatformOptions Options => Services.Options;
    public BackendContext Host => Services.Context;
    public PlatformStore Store => Services.Store;
    public BackendRegistry Backends => Services.Backends;
    public InstanceService Instances => Services.Instances;

    public static string StorePath(PlatformOptions options) => PlatformServices.StorePath(options);

    public static PlatformContext Open() => new(PlatformServices.Open());

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
            return new(PlatformServices.Open(options));
        }
        catch (Core.Errors.LightNfvException e) when (StoreErrors.IsDiskFull(e))
        {
            return new(PlatformServices.With(options, new PlatformStore(":memory:"))) { StoreProblem = e };
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
            return new(PlatformServices.With(options, new PlatformStore(path))) { Notice = $"{e.Message.Split(';')[0]}: moved aside to {aside}; a new store was made" };
        }
    }

    /// <summary>Why the store could not be used (the command then worked from the host's names alone), or null.</summary>
    public Core.Errors.LightNfvException? StoreProblem { get; private init; }

    /// <summary>Something the command did on its own that the operator should know (see <see cref="OpenForReset"/>).</summary>
    public string? Notice { get; private init; }

    public void Dispose() => Services.Dispose();
}
