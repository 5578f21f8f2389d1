namespace LightNfv.IntegrationTests.Infrastructure;

/// <summary>
/// Base of the integration tests: each test gets its own <see cref="LabFixture"/> (xunit makes a new instance of the
/// class per test), so a failing test cannot leave state for the next one, and leftovers are attributed to the test
/// that made them. Without root every test returns early after saying so (xunit 2 has no dynamic skip).
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

    /// <summary>True (and says so in the test output) when the tests cannot run here.</summary>
    protected bool NeedsRoot()
    {
        if (_fixture is not null)
        {
            return false;
        }
        Output.WriteLine("skipped: needs root");
        return true;
    }

    public void Dispose()
    {
        _fixture?.Dispose();
        GC.SuppressFinalize(this);
    }
}
