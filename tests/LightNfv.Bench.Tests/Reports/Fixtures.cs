using LightNfv.Bench.Reports;

namespace LightNfv.Bench.Tests.Reports;

/// <summary>Fixed inputs shared by the report writer tests, so golden files never depend on the machine or the clock.</summary>
internal static class Fixtures
{
    public static HostDescription Host { get; } = new(
        Cpu: "Intel(R) Xeon(R) CPU @ 2.20GHz",
        Cores: 2,
        MemoryGiB: 23.5,
        Kernel: "6.18.0",
        Os: "Debian GNU/Linux 12 (bookworm)",
        Accelerators: ["kvm (pvm)", "tcg"],
        Cgroups: "v1",
        Tuning: "favordynmods on (/sys/fs/cgroup/unified)",
        Runtime: ".NET 10.0.0",
        Date: new DateTimeOffset(2026, 11, 20, 14, 30, 5, TimeSpan.Zero),
        Command: "lightnfv bench --quick");
}
