using LightNfv.Cli.Startup;

namespace LightNfv.IntegrationTests.Cli.Startup;

/// <summary>Which invocations re-exec themselves with tiered compilation off (the decision alone: no exec here).</summary>
public sealed class OptimizedRuntimeTests
{
    [Theory]
    [InlineData(new[] { "bench", "--quick" }, null, true)]
    [InlineData(new[] { "bench", "scale", "--tech", "process" }, null, true)]
    [InlineData(new[] { "serve" }, null, true)]
    [InlineData(new[] { "run", "-f", "x.yaml" }, null, false)] // short commands keep tiering: faster start
    [InlineData(new[] { "ps" }, null, false)]
    [InlineData(new[] { "bench", "--help" }, null, false)]
    [InlineData(new[] { "serve" }, "0", false)] // already re-executed (or the user chose): never a loop
    [InlineData(new[] { "bench" }, "1", false)]
    [InlineData(new string[0], null, false)]
    public void Long_running_commands_only_and_once(string[] args, string? current, bool wanted) =>
        OptimizedRuntime.Wants(args, current).ShouldBe(wanted);
}
