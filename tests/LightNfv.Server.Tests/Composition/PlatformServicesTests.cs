using System.Security.Cryptography;
using LightNfv.Core.Configuration;
using LightNfv.Platform.Composition;
using LightNfv.Platform.Store;
using LightNfv.Server.Daemon;
using Microsoft.Extensions.DependencyInjection;

namespace LightNfv.Server.Tests.Composition;

/// <summary>The composition root builds the platform without root and without touching the host (no lab, no cgroup).</summary>
public sealed class PlatformServicesTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"lnfvs-comp-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3))}");

    private PlatformOptions Options => new()
    {
        StateDirectory = _dir,
        LabNamespace = "lnfvs-never",
        CgroupParent = "lightnfv-stest-never",
        Subnet = "10.71.0.0/16",
        WarmPool = 3,
    };

    [Fact]
    public void Open_builds_one_graph_over_the_options_store()
    {
        using var platform = PlatformServices.Open(Options);
        platform.Context.Options.ShouldBeSameAs(platform.Options);
        platform.Backends.Host.ShouldBeSameAs(platform.Context);
        platform.Instances.Store.ShouldBeSameAs(platform.Store);
        platform.Instances.Backends.ShouldBeSameAs(platform.Backends);
        platform.Store.FilePath.ShouldBe(PlatformServices.StorePath(platform.Options));
        File.Exists(PlatformServices.StorePath(platform.Options)).ShouldBeTrue();
        // Nothing on the host: the lab is made on first use only.
        platform.Context.LabOpened.ShouldBeFalse();
        platform.Instances.List().ShouldBeEmpty();
    }

    [Fact]
    public void With_takes_over_a_store_opened_another_way()
    {
        var store = new PlatformStore(":memory:");
        var platform = PlatformServices.With(Options, store);
        platform.Store.ShouldBeSameAs(store);
        platform.Instances.Store.ShouldBeSameAs(store);
        platform.Dispose();
        platform.Dispose(); // idempotent: the daemon's container disposes the parts too
        Directory.Exists(_dir).ShouldBeFalse("a store in memory makes no state directory");
    }

    [Fact]
    public void The_daemon_parts_are_built_from_it()
    {
        using var platform = PlatformServices.Open(Options);
        var monitor = platform.CreateMonitor(Microsoft.Extensions.Logging.Abstractions.NullLogger<Platform.Monitoring.InstanceMonitor>.Instance);
        monitor.SampleOnce(); // no running instances: nothing asked of any backend
        monitor.Latest("none").ShouldBeNull();
    }

    [Fact]
    public async Task The_daemon_registers_the_parts_of_one_PlatformServices()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        ServerApp.AddPlatform(services, new DaemonOptions { Host = Options, UnixSocket = "", RunLoops = false });
        await using var provider = services.BuildServiceProvider();
        var platform = provider.GetRequiredService<PlatformServices>();
        provider.GetRequiredService<PlatformStore>().ShouldBeSameAs(platform.Store);
        provider.GetRequiredService<Backends.BackendRegistry>().ShouldBeSameAs(platform.Backends);
        provider.GetRequiredService<Platform.Lifecycle.InstanceService>().ShouldBeSameAs(platform.Instances);
        var reconciler = provider.GetRequiredService<Platform.Control.Reconciler>();
        reconciler.WarmPool.ShouldBe(3);
        platform.Options.StateDirectory.ShouldBe(_dir);
    }

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }
}
