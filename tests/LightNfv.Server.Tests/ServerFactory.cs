using System.Security.Cryptography;
using LightNfv.Core.Configuration;
using LightNfv.Platform.Composition;
using LightNfv.Server.Daemon;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace LightNfv.Server.Tests;

/// <summary>
/// The daemon in-process (TestServer instead of Kestrel) with a private state directory and host names nobody else
/// uses, so its start-up sweep and loops can never touch another lab. Disposing runs `down` on its lab (the daemon makes
/// the lab namespace as it starts) and removes the state directory.
/// </summary>
public sealed class ServerFactory : WebApplicationFactory<Program>
{
    /// <param name="rateLimit">The per-caller limit (default: the daemon's); a sweep of answers turns it off.</param>
    public ServerFactory(CallerRateLimit? rateLimit = null)
    {
        var tag = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3));
        StateDirectory = Path.Combine(Path.GetTempPath(), $"lnfvs-state-{tag}");
        Options = new DaemonOptions
        {
            Host = new PlatformOptions
            {
                StateDirectory = StateDirectory,
                LabNamespace = $"lnfvs-{tag}",
                CgroupParent = $"lightnfv-stest-{tag}",
                Subnet = "10.71.0.0/16",
            },
            UnixSocket = "",
            ReconcileInterval = TimeSpan.FromMilliseconds(100),
            RateLimit = rateLimit ?? CallerRateLimit.Default,
        };
    }

    public string StateDirectory { get; }
    public DaemonOptions Options { get; }

    protected override void ConfigureWebHost(IWebHostBuilder builder) =>
        builder.ConfigureTestServices(services =>
        {
            services.AddSingleton(Options);
            services.AddSingleton(Options.Host);
        });

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing && Directory.Exists(StateDirectory))
        {
            using (var platform = PlatformServices.Open(Options.Host))
            {
                platform.Instances.DownAsync().GetAwaiter().GetResult();
            }
            if (File.Exists(Path.Combine("/run/netns", Options.Host.LabNamespace)))
            {
                throw new InvalidOperationException($"lab namespace {Options.Host.LabNamespace} survived down");
            }
            Directory.Delete(StateDirectory, recursive: true);
        }
    }
}
