using LightNfv.Backends;
using LightNfv.Backends.Shared;
using LightNfv.Core.Backends;
using LightNfv.Core.Configuration;
using LightNfv.Core.Descriptors;
using LightNfv.Platform.Lifecycle;

namespace LightNfv.Server.Tests.Lifecycle;

/// <summary>An orphan's removal asks every backend for the objects only it makes (a container under dockerd, a monitor's guest).</summary>
public sealed class HostInventoryTests : IDisposable
{
    private readonly string _state = Directory.CreateTempSubdirectory("lnfv-inventory-").FullName;

    public void Dispose() => Directory.Delete(_state, recursive: true);

    [Fact]
    public void Sweep_removes_an_orphans_run_directory_and_asks_its_backend_for_the_rest()
    {
        var host = new BackendContext(new PlatformOptions { StateDirectory = _state, LabNamespace = "lnfvi-never", CgroupParent = "lightnfv-itest-never", Subnet = "10.72.0.0/16" });
        var registry = new BackendRegistry(host);
        var docker = new OrphanRecordingBackend(Technology.Docker);
        registry.Register(docker);
        const string orphan = "0123456789ab", known = "ba9876543210";
        Directory.CreateDirectory(host.RunDirectory(orphan));
        Directory.CreateDirectory(host.RunDirectory(known));
        var inventory = new HostInventory(host, registry);
        var removed = new List<string>();
        var failed = new List<string>();

        inventory.Sweep([known], removed.Add, (id, error) => failed.Add($"{id}: {error}")).ShouldBe(1);

        failed.ShouldBeEmpty();
        removed.ShouldBe([orphan]);
        docker.Asked.ShouldBe([orphan]);
        Directory.Exists(host.RunDirectory(orphan)).ShouldBeFalse();
        Directory.Exists(host.RunDirectory(known)).ShouldBeTrue();
    }

    private sealed class OrphanRecordingBackend(Technology technology) : IBackend
    {
        public List<string> Asked { get; } = [];

        public Technology Technology => technology;

        public IReadOnlyList<string> RemoveOrphan(string id)
        {
            Asked.Add(id);
            return [$"container of {id}"];
        }

        public BackendProbe Probe() => BackendProbe.Missing("a test double");
        public Task<BackendInstance> CreateAsync(InstanceSpec spec, CancellationToken cancellationToken) => throw new NotSupportedException();
        public Task<BackendInstance> StartAsync(InstanceSpec spec, BackendInstance instance, CancellationToken cancellationToken) => throw new NotSupportedException();
        public Task<BackendInstance> StopAsync(BackendInstance instance, TimeSpan grace, CancellationToken cancellationToken) => throw new NotSupportedException();
        public Task DestroyAsync(BackendInstance instance, CancellationToken cancellationToken) => throw new NotSupportedException();
        public InstanceObservation Inspect(BackendInstance instance) => throw new NotSupportedException();
        public InstanceStats Stats(BackendInstance instance) => throw new NotSupportedException();
    }
}
