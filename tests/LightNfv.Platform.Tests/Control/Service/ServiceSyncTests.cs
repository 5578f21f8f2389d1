using System.Net;
using LightNfv.Core.Errors;
using LightNfv.Platform.Control;
using LightNfv.Platform.Control.Service;
using LightNfv.Platform.Tests.Fakes;

namespace LightNfv.Platform.Tests.Control.Service;

/// <summary>
/// Service addresses on the fake backend: one per VNF, stable across a rolling update, released with the VNF; the set
/// behind it only holds replicas that answered, never drops below the desired count during a rolling update (the new
/// replica joins before the old one leaves), and a failing replica leaves it.
/// </summary>
public sealed class ServiceSyncTests : IAsyncLifetime
{
    private readonly ControlPlane _cp = new();
    private readonly List<IReadOnlyList<ServiceBackends>> _applied = [];

    public ValueTask InitializeAsync()
    {
        _cp.Reconciler.Services.Applied += _applied.Add;
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync() => _cp.DisposeAsync();

    private async Task Instantiate(int replicas)
    {
        _cp.Lifecycle.AddDescriptor(ControlPlane.Yaml(health: "  network:\n    ports: [5201]"));
        _cp.Lifecycle.Instantiate(VnfLifecycle.DefaultTenant, "web", replicas, null);
        await _cp.ConvergeAsync();
        await _cp.Reconciler.ReconcileOnceAsync();
    }

    private ServiceBackends Web => _cp.Reconciler.Services.Current.Single(s => s.Vnf == "default/web");

    private HashSet<IPAddress> Addresses() => _cp.Replicas().Select(r => IPAddress.Parse(r.Address!)).ToHashSet();

    [Fact]
    public async Task A_vnf_gets_one_address_from_the_top_of_its_tenant_segment_with_its_replicas_behind_it()
    {
        await Instantiate(2);
        // The default tenant's segment is 10.72.0.0/20 (the lab subnet carved in 16 tenant segments).
        Web.Address.ShouldBe(IPAddress.Parse("10.72.15.254"));
        Web.Backends.ToHashSet().SetEquals(Addresses()).ShouldBeTrue();
        new ServiceAddressBook(_cp.Store).Get(VnfLifecycle.DefaultTenant, "web").ShouldBe(Web.Address);
        ServiceEndpoints.Of(_cp.Store, _cp.Store.Deployment(VnfLifecycle.DefaultTenant, "web")!).ShouldBe(["10.72.15.254:5201"]);
    }

    [Fact]
    public async Task A_rolling_update_keeps_the_address_and_never_has_fewer_replicas_behind_it_than_desired()
    {
        await Instantiate(2);
        var address = Web.Address;
        var old = _cp.Replicas().Select(r => r.Id).ToHashSet();
        _applied.Clear();
        var addressOf = _cp.Replicas().ToDictionary(r => r.Id, r => IPAddress.Parse(r.Address!));
        var stoppedWhileServing = new List<string>();
        _cp.Backend.Stopping += id =>
        {
            if (addressOf.TryGetValue(id, out var a) && _cp.Reconciler.Services.Current.Any(s => s.Backends.Contains(a)))
            {
                stoppedWhileServing.Add(id);
            }
        };
        _cp.Lifecycle.AddDescriptor(ControlPlane.Yaml(memoryMiB: 48, health: "  network:\n    ports: [5201]"));
        _cp.Lifecycle.Update(VnfLifecycle.DefaultTenant, "web", null);
        await _cp.ConvergeAsync();
        await _cp.Reconciler.ReconcileOnceAsync();

        stoppedWhileServing.ShouldBeEmpty("an old replica leaves the address's set before it is stopped");
        _applied.ShouldNotBeEmpty();
        foreach (var set in _applied)
        {
            var web = set.Single(s => s.Vnf == "default/web");
            web.Address.ShouldBe(address);
            web.Backends.Count.ShouldBeGreaterThanOrEqualTo(2, "a new replica joins before an old one leaves");
        }
        Web.Address.ShouldBe(address);
        Web.Backends.ToHashSet().SetEquals(Addresses()).ShouldBeTrue();
        _cp.Replicas().ShouldAllBe(r => !old.Contains(r.Id), "every replica was replaced (their addresses may be reused)");
    }

    [Fact]
    public async Task A_replica_that_does_not_answer_or_fails_liveness_is_not_behind_the_address()
    {
        _cp.Readiness.Answers = false;
        await Instantiate(1);
        Web.Backends.ShouldBeEmpty("it never answered on its port");
        _cp.Readiness.Answers = true;
        await _cp.Reconciler.ReconcileOnceAsync();
        Web.Backends.Count.ShouldBe(1);
    }

    [Fact]
    public async Task Terminate_releases_the_address_and_empties_the_table()
    {
        await Instantiate(2);
        _cp.Lifecycle.Terminate(VnfLifecycle.DefaultTenant, "web");
        await _cp.ConvergeAsync();
        await _cp.Reconciler.ReconcileOnceAsync();
        _cp.Reconciler.Services.Current.ShouldBeEmpty();
        new ServiceAddressBook(_cp.Store).Live().ShouldBeEmpty();
        File.Exists(Path.Combine(Path.GetDirectoryName(_cp.Store.FilePath)!, ServiceAddressBook.FileName)).ShouldBeFalse();
    }

    [Fact]
    public async Task A_replica_never_gets_a_service_address()
    {
        await Instantiate(1);
        var yaml = ControlPlane.Yaml("pinned").Replace("  resources:", "  network:\n    address: 10.72.15.254\n  resources:", StringComparison.Ordinal);
        var e = await Should.ThrowAsync<LightNfvException>(() => _cp.Instances.RunAsync(Core.Descriptors.DescriptorParser.Parse(yaml)));
        e.Kind.ShouldBe(ErrorKind.Conflict);
    }

    [Fact]
    public void The_nft_script_replaces_the_whole_table_and_rejects_a_service_without_replicas()
    {
        var script = NftServiceTable.Render([
            new ServiceBackends("default/a", IPAddress.Parse("10.9.255.254"), [IPAddress.Parse("10.9.0.2"), IPAddress.Parse("10.9.0.3")]),
            new ServiceBackends("default/b", IPAddress.Parse("10.9.255.253"), []),
        ]);
        script.ShouldStartWith("table ip lightnfv_svc\ndelete table ip lightnfv_svc\n");
        script.ShouldContain("ip daddr 10.9.255.254 dnat to numgen inc mod 2 map { 0 : 10.9.0.2, 1 : 10.9.0.3 }");
        script.ShouldNotContain("ip daddr 10.9.255.253 dnat");
        script.ShouldContain("elements = { 10.9.255.254, 10.9.255.253 }");
        script.ShouldContain("reject with tcp reset");
        NftServiceTable.Render([]).ShouldBe("table ip lightnfv_svc\ndelete table ip lightnfv_svc\n");
    }
}
