using LightNfv.Host.Processes;

namespace LightNfv.Cli.Startup;

/// <summary>
/// `bench` and `serve` run for minutes to days: they re-exec themselves once with tiered compilation off, so their
/// code is compiled optimized on first use. With tiering on, a benchmark of fewer than 30 runs per path measures
/// unoptimized (tier-0) code, and the JIT recompiles hot methods on a background thread while instances start, on
/// a host that may have two CPUs. The short commands keep tiering (it starts them ~60 ms sooner). A value the user
/// set for DOTNET_TieredCompilation is left alone.
/// </summary>
public static class OptimizedRuntime
{
    public const string Variable = "DOTNET_TieredCompilation";

    /// <summary>Whether this invocation should re-exec itself (pure).</summary>
    public static bool Wants(IReadOnlyList<string> args, string? current) =>
        current is null && args.Count > 0 && args[0] is "bench" or "serve" && !args.Any(a => a is "-h" or "--help" or "-?");

    public static void Apply(IReadOnlyList<string> args)
    {
        if (Wants(args, Environment.GetEnvironmentVariable(Variable)) && File.Exists("/proc/self/exe"))
        {
            SelfExec.WithVariable(Variable, "0"); // returns only if exec failed: run as we are
        }
        if (args.Count > 0 && args[0] is "bench" or "serve")
        {
            MemoryLock.KeepTouchedPagesResident();
        }
    }
}
