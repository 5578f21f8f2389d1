using System.Net;
using LightNfv.Backends;
using LightNfv.Backends.Shared;
using LightNfv.Core.Backends;
using LightNfv.Core.Configuration;
using LightNfv.Core.Descriptors;
using LightNfv.Core.Instances;
using LightNfv.Core.Tenants;
using LightNfv.Platform.Alerts;
using LightNfv.Platform.Control;
using LightNfv.Platform.Lifecycle;
using LightNfv.Platform.Monitoring;
using LightNfv.Platform.Scaling;
using LightNfv.Platform.Store;
using Microsoft.Extensions.Logging.Abstractions;

namespace LightNfv.Server.Tests.Scaling;

/// <summary>The scaling policy on a virtual clock: thresholds, bounds, cooldown after any change, no action while an operation runs.</summary>
public sealed class AutoScalerTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"lnfvs-scaler-{Guid.NewGuid():N}");
    private readonly ManualClock _time = new(DateTimeOffset.Parse("2026-11-22T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
    private readonly PlatformStore _store;
    private readonly Reconciler _reconciler;
    private readonly InstanceMonitor _monitor;
    private readonly VnfLifecycle _lifecycle;
    private readonly AutoScaler _scaler;

    private const string Yaml = """
        apiVersion: lightnfv/v1
        kind: Vnf
        metadata:
          name: web
        spec:
          technology: process
          app:
            builtin: iperf3-server
          scaling:
            metric: cpu
            scaleOutThreshold: 50
            scaleInThreshold: 10
            minReplicas: 1
            maxReplicas: 2
            cooldown: 30s
        """;

    public AutoScalerTests()
    {
        _store = new PlatformStore(Path.Combine(_dir, "lightnfv.db"), _time);
        var host = new BackendContext(new PlatformOptions { StateDirectory = _dir, LabNamespace = "lnfvs-never", CgroupParent = "lightnfv-stest-never", Subnet = "10.71.0.0/16" });
        var instances = new InstanceService(_store, new BackendRegistry(host));
        var alerts = new AlertHub(_store, new WebhookDispatcher(_store, new HttpClient(), _time, NullLogger<WebhookDispatcher>.Instance), NullLogger<AlertHub>.Instance);
        _reconciler = new Reconciler(instances, alerts, _time, NullLogger<Reconciler>.Instance); // not started: no host work
        _monitor = new InstanceMonitor(instances, _time, NullLogger<InstanceMonitor>.Instance);
        _lifecycle = new VnfLifecycle(_store, _reconciler, instances.Backends);
        _scaler = new AutoScaler(_store, _monitor, _lifecycle, _time, NullLogger<AutoScaler>.Instance, alerts);
    }

    private string Setup()
    {
        _lifecycle.AddDescriptor(Yaml);
        var op = _lifecycle.Instantiate("default", "web", 1, null);
        _store.FinishOperation(op.Id, OperationState.Completed);
        var d = DescriptorParser.Parse(Yaml);
        var r = _store.Reserve("0123456789ab", d with { Metadata = d.Metadata with { Name = "web-1" } }, _ => IPAddress.Parse("10.71.0.2"), new ReplicaOf("web", 1));
        _store.Update(r.Id, InstanceState.Running);
        return r.Id;
    }

    private void Cpu(string id, double percent) =>
        _monitor.Record(id, new MetricSample(_time.GetUtcNow(), new InstanceStats(_time.GetUtcNow(), 0, 0, null, 1, 0, 0, 0, 0), percent, 0, 0));

    private void FinishProcessing()
    {
        foreach (var op in _store.Operations(OperationState.Processing))
        {
            _store.FinishOperation(op.Id, OperationState.Completed);
        }
    }

    [Fact]
    public void Scales_out_and_in_within_bounds_and_cooldown()
    {
        var id = Setup();
        Cpu(id, 90);
        _scaler.Evaluate().ShouldBeEmpty("instantiate just changed the VNF: cooldown");
        _time.Advance(TimeSpan.FromSeconds(31));
        _scaler.Evaluate().Single().To.ShouldBe(2);
        _store.Deployment("default", "web")!.Replicas.ShouldBe(2);
        _store.Operations(OperationState.Processing).Single().Parameters["policy"].ShouldContain("cpu 90 > 50");

        _time.Advance(TimeSpan.FromSeconds(60));
        _scaler.Evaluate().ShouldBeEmpty("the scale operation is still processing");
        FinishProcessing();
        _scaler.Evaluate().ShouldBeEmpty("already at maxReplicas");

        Cpu(id, 5);
        _scaler.Evaluate().Single().To.ShouldBe(1);
        FinishProcessing();
        _time.Advance(TimeSpan.FromSeconds(31));
        _scaler.Evaluate().ShouldBeEmpty("already at minReplicas");
    }

    [Fact]
    public void Between_thresholds_nothing_happens()
    {
        var id = Setup();
        _time.Advance(TimeSpan.FromMinutes(5));
        Cpu(id, 30);
        _scaler.Evaluate().ShouldBeEmpty();
        _store.Deployment("default", "web")!.Replicas.ShouldBe(1);
    }

    [Fact]
    public void A_scale_out_the_quota_refuses_stops_there_and_alerts_once_until_use_drops()
    {
        var id = Setup();
        _store.SetQuota("default", new TenantQuota(Instances: 1));
        Cpu(id, 90);
        for (var round = 0; round < 3; round++)
        {
            _time.Advance(TimeSpan.FromSeconds(31));
            _scaler.Evaluate().ShouldBeEmpty("the quota holds the VNF at one replica");
        }
        _store.Deployment("default", "web")!.Replicas.ShouldBe(1);
        _store.Operations(OperationState.Processing).ShouldBeEmpty("a refused scale starts no operation");
        var alert = _store.Alerts().Where(a => a.Kind == AlertKinds.QuotaReached).ShouldHaveSingleItem();
        alert.Message.ShouldContain("is limited to 1 instances (maxInstances) and uses 1");
        alert.Vnf.ShouldBe("web");

        // Use drops (the replica is gone): the next refusal is news again.
        _store.Delete(id);
        var d = DescriptorParser.Parse(Yaml);
        var other = _store.Reserve("0123456789ac", d with { Metadata = d.Metadata with { Name = "web-2" } }, _ => IPAddress.Parse("10.71.0.3"), new ReplicaOf("web", 1)).Id;
        _store.Update(other, InstanceState.Running);
        _store.SetQuota("default", new TenantQuota(Instances: 1));
        Cpu(other, 90);
        _time.Advance(TimeSpan.FromSeconds(31));
        _scaler.Evaluate().ShouldBeEmpty();
        _store.Alerts().Count(a => a.Kind == AlertKinds.QuotaReached).ShouldBe(1, "use is back where it was: no new alert");

        _store.SetQuota("default", new TenantQuota(Instances: 2));
        _time.Advance(TimeSpan.FromSeconds(31));
        _scaler.Evaluate().Single().To.ShouldBe(2);
    }

    public void Dispose()
    {
        _reconciler.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _store.Dispose();
        Directory.Delete(_dir, recursive: true);
    }
}

/// <summary>A virtual clock: time moves only when the test advances it (the mirror lacks Microsoft.Extensions.TimeProvider.Testing).</summary>
internal sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset _now = start;

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}
