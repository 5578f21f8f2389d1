using System.Globalization;

namespace LightNfv.Backends.Vm;

/// <summary>The host's TSC rate, which a TCG guest sees as its own (QEMU's emulated RDTSC reads the host's counter).</summary>
public static class HostTsc
{
    private static readonly Lazy<long?> Cached = new(() => File.Exists("/proc/cpuinfo") ? FromCpuInfo(File.ReadAllText("/proc/cpuinfo"), File.Exists("/sys/devices/system/cpu/cpu0/cpufreq/scaling_cur_freq")) : null);

    /// <summary>kHz, or null where the host does not state it reliably (the guest then calibrates as usual).</summary>
    public static long? Khz => Cached.Value;

    /// <summary>
    /// "cpu MHz" of the first processor, trusted only for an invariant TSC (constant_tsc and nonstop_tsc) on a host
    /// without frequency scaling: there the kernel reports its TSC calibration, elsewhere the current clock (pure).
    /// </summary>
    public static long? FromCpuInfo(string cpuinfo, bool frequencyScaling)
    {
        if (frequencyScaling)
        {
            return null;
        }
        string? mhz = null;
        string[]? flags = null;
        foreach (var line in cpuinfo.Split('\n'))
        {
            if (line.Length == 0 && mhz is not null)
            {
                break; // first processor only
            }
            var colon = line.IndexOf(':');
            if (colon < 0)
            {
                continue;
            }
            var key = line[..colon].Trim();
            if (key == "cpu MHz")
            {
                mhz = line[(colon + 1)..].Trim();
            }
            else if (key == "flags")
            {
                flags = line[(colon + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            }
        }
        return mhz is not null && flags is not null && flags.Contains("constant_tsc") && flags.Contains("nonstop_tsc") &&
            decimal.TryParse(mhz, NumberStyles.Number, CultureInfo.InvariantCulture, out var value) && value > 0
            ? (long)Math.Round(value * 1000m)
            : null;
    }
}
