using System.Globalization;
using LightNfv.Core.Configuration;
using LightNfv.Platform.Alerts;
using LightNfv.Platform.Composition;
using LightNfv.Platform.Control;
using LightNfv.Platform.Lifecycle;
using LightNfv.Platform.Store;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace LightNfv.Platform.Tests.Fakes;

/// <summary>
/// The control plane on a fake backend, a virtual clock and a real SQLite store in a temp directory: no root, no lab,
/// no sleeps. The reconciler is not started; tests run its passes and probe steps themselves.
/// </summary>
public sealed class ControlPlane : IAsyncDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("lnfvp-").FullName;
    private readonly PlatformServices _platform;

    public FakeTimeProvider Time { get; } = new(DateTimeOffset.Parse("2026-12-04T00:00:00Z", CultureInfo.InvariantCulture));
    public FakeBackend Backend { get; } = new();
    public FakeWatcher Watcher { get; }
    public FakeLivenessCheck Liveness { get; } = new();
    public FakeReadinessGate Readiness { get; } = new();
    public FakeOrphanSweep Orphans { get; }
    public PlatformStore Store { get; }
    public InstanceService Instances { get; }
    public Reconciler Reconciler { get; }
    public VnfLifecycle Lifecycle { get; }

    public ControlPlane()
    {
        Watcher = new FakeWatcher(Backend);
        Orphans = new FakeOrphanSweep(Backend);
        // The composition root the CLI and the daemon use, over a lab and cgroup parent that never exist: nothing here
        // reaches the host.
        _platform = PlatformServices.With(new PlatformOptions
        {
            StateDirectory = _dir,
            LabNamespace = "lnfvp-never",
            CgroupParent = "lightnfv-ptest-never",
            Subnet = "10.72.0.0/16",
        }, new PlatformStore(Path.Combine(_dir, "lightnfv.db"), Time), Time);
        _platform.Backends.Register(Backend);
        Store = _platform.Store;
        Instances = _platform.Instances;
        var alerts = new AlertHub(Store, new WebhookDispatcher(Store, new HttpClient(), Time, NullLogger<WebhookDispatcher>.Instance), NullLogger<AlertHub>.Instance);
        Reconciler = new Reconciler(Instances, alerts, Time, NullLogger<Reconciler>.Instance, new ReconcilerSeams(Watcher, Liveness, Readiness, Orphans));
        Lifecycle = new VnfLifecycle(Store, Reconciler, _platform.Backends);
    }

    public static string Yaml(string name = "web", int memoryMiB = 64, string health = "") => $"""
        apiVersion: lightnfv/v1
        kind: Vnf
        metadata:
          name: {name}
        spec:
          technology: process
          app:
            builtin: iperf3-server
          resources:
            memoryMiB: {memoryMiB}
        {health}
        """;

    /// <summary>Passes until nothing is left processing (at most <paramref name="max"/>); returns how many it took.</summary>
    public async Task<int> ConvergeAsync(int max = 20)
    {
        for (var i = 1; i <= max; i++)
        {
            await Reconciler.ReconcileOnceAsync();
            if (Store.Operations(OperationState.Processing).Count == 0)
            {
                return i;
            }
        }
        return max;
    }

    public IReadOnlyList<InstanceRecord> Replicas(string name = "web") => Store.List().Where(r => r.Deployment == name).ToList();

    public async ValueTask DisposeAsync()
    {
        await Reconciler.DisposeAsync();
        _platform.Dispose();
        Directory.Delete(_dir, recursive: true);
    }
}
