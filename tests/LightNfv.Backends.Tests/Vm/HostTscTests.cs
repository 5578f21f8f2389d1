using LightNfv.Backends.Vm;

namespace LightNfv.Backends.Tests.Vm;

public sealed class HostTscTests
{
    private const string Invariant = "fpu tsc msr constant_tsc rep_good nopl nonstop_tsc cpuid tsc_known_freq";

    private static string CpuInfo(string mhz, string flags) => $"""
        processor	: 0
        model name	: AMD EPYC
        cpu MHz		: {mhz}
        flags		: {flags}

        processor	: 1
        cpu MHz		: 1200.000
        flags		: {flags}

        """;

    [Fact]
    public void An_invariant_tsc_without_frequency_scaling_gives_the_first_processors_rate_in_khz() =>
        HostTsc.FromCpuInfo(CpuInfo("2596.120", Invariant), frequencyScaling: false).ShouldBe(2596120L);

    [Theory]
    [InlineData("fpu tsc msr constant_tsc", false)] // TSC stops in deep C-states
    [InlineData("fpu tsc msr nonstop_tsc", false)] // TSC rate follows the clock
    [InlineData(Invariant, true)] // "cpu MHz" is the current clock, not the TSC's
    public void A_rate_the_host_does_not_state_reliably_is_left_to_the_guests_calibration(string flags, bool scaling) =>
        HostTsc.FromCpuInfo(CpuInfo("2596.120", flags), scaling).ShouldBeNull();

    [Fact]
    public void Garbage_gives_null() => HostTsc.FromCpuInfo("nothing here", frequencyScaling: false).ShouldBeNull();
}
