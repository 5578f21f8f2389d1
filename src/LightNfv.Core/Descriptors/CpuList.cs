using System.Globalization;

namespace LightNfv.Core.Descriptors;

/// <summary>
/// The kernel's CPU list form (cpuset.cpus, taskset -c, docker --cpuset-cpus): comma-separated CPU numbers and
/// ranges, "0-1" or "0,2-3". Checked in the descriptor so a typo is refused before any cgroup is written; whether the
/// CPUs exist is the host's to say.
/// </summary>
public static class CpuList
{
    /// <summary>The highest CPU number taken: the kernel's NR_CPUS ceiling on common builds is 8192.</summary>
    public const int MaxCpu = 8191;

    /// <summary>The CPUs listed, or why the text is not a CPU list (phrased to follow the quoted value).</summary>
    public static (IReadOnlyList<int> Cpus, string? Error) Parse(string text)
    {
        const string form = "write CPU numbers and ranges such as \"0-1\" or \"0,2\"";
        if (string.IsNullOrWhiteSpace(text))
        {
            return ([], $"is empty; {form}, or omit the field to run on any CPU");
        }
        var cpus = new SortedSet<int>();
        foreach (var part in text.Split(','))
        {
            var bounds = part.Trim().Split('-');
            if (bounds.Length is < 1 or > 2 || !bounds.All(b => b.Length > 0 && b.All(char.IsAsciiDigit)))
            {
                return ([], $"is not a CPU list ('{part}'); {form}");
            }
            if (!int.TryParse(bounds[0], NumberStyles.None, CultureInfo.InvariantCulture, out var low)
                || !int.TryParse(bounds[^1], NumberStyles.None, CultureInfo.InvariantCulture, out var high) || high > MaxCpu)
            {
                return ([], $"names a CPU over {MaxCpu}; {form}");
            }
            if (low > high)
            {
                return ([], $"has a range that runs backwards ('{part}'); write the lower CPU first");
            }
            for (var c = low; c <= high; c++)
            {
                cpus.Add(c);
            }
        }
        return (cpus.ToList(), null);
    }
}
