using LightNfv.Bench.Experiments;
using LightNfv.Core.Descriptors;

namespace LightNfv.IntegrationTests.Infrastructure;

/// <summary>Bench options for a test: two runs after one warm-up, one short data-path run, short settles.</summary>
public static class ShortBench
{
    public static BenchOptions Options(params Technology[] technologies) => new()
    {
        Technologies = technologies,
        Runs = 2,
        WarmupRuns = 1,
        NetworkRuns = 1,
        ThroughputDuration = TimeSpan.FromSeconds(1),
        PingCount = 20,
        Settle = TimeSpan.FromMilliseconds(50),
        MemorySettle = TimeSpan.FromMilliseconds(50),
    };
}
