using LightNfv.Core.Descriptors;

namespace LightNfv.IntegrationTests.Infrastructure;

/// <summary>
/// Base of the integration tests: each test gets its own <see cref="LabFixture"/> (xunit makes a new instance of the
/// class per test), so a failing test cannot leave state for the next one, and leftovers are attributed to the test
/// that made them. Without root every test is skipped with the reason.
/// </summary>
public abstract class IntegrationTest : IDisposable
{
    private readonly LabFixture? _fixture;

    protected IntegrationTest(ITestOutputHelper output)
    {
        Output = output;
        if (HostState.IsRoot)
        {
            _fixture = new LabFixture(output);
            output.WriteLine($"lab {_fixture.LabName}, subnet {_fixture.Subnet}, cgroup {_fixture.CgroupParent}, state {_fixture.StateDirectory}");
        }
    }

    protected ITestOutputHelper Output { get; }

    protected LabFixture Lab => _fixture ?? throw new InvalidOperationException("no lab without root");

    /// <summary>Skips the test, with the reason, when it cannot run here (a lab needs root).</summary>
    protected void RequireRoot() => Assert.SkipWhen(_fixture is null, "needs root (network namespaces, cgroups)");

    /// <summary>Skips the test, with the probe's reason, when this host cannot run the technology.</summary>
    protected void RequireAvailable(Technology technology)
    {
        RequireRoot();
        var probe = Lab.Registry.Probe(technology);
        Assert.SkipUnless(probe.Available, $"{technology.ToName()} unavailable here: {probe.Reason}");
    }

    public void Dispose()
    {
        _fixture?.Dispose();
        GC.SuppressFinalize(this);
    }
}
