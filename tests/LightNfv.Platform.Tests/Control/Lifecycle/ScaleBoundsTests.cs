using LightNfv.Core.Errors;
using LightNfv.Platform.Control;
using LightNfv.Platform.Tests.Fakes;

namespace LightNfv.Platform.Tests.Control.Lifecycle;

/// <summary>A scale request outside the descriptor's scaling policy is refused with the bounds, not accepted and pulled back later.</summary>
public sealed class ScaleBoundsTests : IAsyncLifetime
{
    private const string Scaling = """
          scaling:
            metric: cpu
            scaleOutThreshold: 70
            scaleInThreshold: 10
            minReplicas: 1
            maxReplicas: 4
        """;

    private readonly ControlPlane _cp = new();

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => _cp.DisposeAsync();

    [Fact]
    public async Task Scale_above_maxReplicas_is_refused_naming_the_bounds_and_the_field()
    {
        _cp.Lifecycle.AddDescriptor(ControlPlane.Yaml(health: Scaling));
        _cp.Lifecycle.Instantiate(VnfLifecycle.DefaultTenant, "web", 2, null);
        await _cp.ConvergeAsync();
        var before = _cp.Store.Operations().Count;

        var e = Should.Throw<LightNfvException>(() => _cp.Lifecycle.Scale(VnfLifecycle.DefaultTenant, "web", 5));
        e.Kind.ShouldBe(ErrorKind.Invalid);
        e.Message.ShouldStartWith("replicas: 5");
        e.Message.ShouldContain("minReplicas 1, maxReplicas 4");
        _cp.Store.Operations().Count.ShouldBe(before, "a refused request leaves no operation behind");
        _cp.Store.Deployment(VnfLifecycle.DefaultTenant, "web")!.Replicas.ShouldBe(2);

        Should.Throw<LightNfvException>(() => _cp.Lifecycle.Scale(VnfLifecycle.DefaultTenant, "web", 0)).Kind.ShouldBe(ErrorKind.Invalid);
        _cp.Lifecycle.Scale(VnfLifecycle.DefaultTenant, "web", 4).State.ShouldBe(Platform.Store.OperationState.Processing);
    }

    [Fact]
    public void Instantiate_outside_the_bounds_is_refused_too()
    {
        _cp.Lifecycle.AddDescriptor(ControlPlane.Yaml(health: Scaling));
        var e = Should.Throw<LightNfvException>(() => _cp.Lifecycle.Instantiate(VnfLifecycle.DefaultTenant, "web", 9, null));
        e.Kind.ShouldBe(ErrorKind.Invalid);
        e.Message.ShouldContain("maxReplicas 4");
        _cp.Store.Deployment(VnfLifecycle.DefaultTenant, "web").ShouldBeNull();
    }

    [Fact]
    public void Not_instantiated_hint_names_the_cli_command()
    {
        _cp.Lifecycle.AddDescriptor(ControlPlane.Yaml());
        Should.Throw<LightNfvException>(() => _cp.Lifecycle.Scale(VnfLifecycle.DefaultTenant, "web", 2))
            .Message.ShouldContain("run 'lightnfv vnf instantiate web' first");
    }
}
