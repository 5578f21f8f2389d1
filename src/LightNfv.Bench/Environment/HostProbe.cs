using System.Runtime.InteropServices;
using LightNfv.Bench.Reports;

namespace LightNfv.Bench.Environment;

/// <summary>Describes this machine for the report's host line.</summary>
public static class HostProbe
{
    public static HostDescription Describe(string cgroups, string tuning, string command, DateTimeOffset now)
    {
        var cpu = ReadFirst("/proc/cpuinfo", "model name") ?? RuntimeInformation.ProcessArchitecture.ToString();
        var memKb = ReadFirst("/proc/meminfo", "MemTotal")?.Split(' ', StringSplitOptions.RemoveEmptyEntries)[0];
        var os = File.Exists("/etc/os-release")
            ? File.ReadLines("/etc/os-release").FirstOrDefault(l => l.StartsWith("PRETTY_NAME=", StringComparison.Ordinal))?[12..].Trim('"') ?? "Linux"
            : RuntimeInformation.OSDescription;
        return new HostDescription(
            cpu,
            System.Environment.ProcessorCount,
            memKb is null ? 0 : Math.Round(double.Parse(memKb, System.Globalization.CultureInfo.InvariantCulture) / 1024 / 1024, 1),
            File.Exists("/proc/sys/kernel/osrelease") ? File.ReadAllText("/proc/sys/kernel/osrelease").Trim() : RuntimeInformation.OSDescription,
            os,
            Accelerators(),
            cgroups,
            tuning,
            $".NET {System.Environment.Version}",
            now,
            command);
    }

    private static IReadOnlyList<string> Accelerators()
    {
        var list = new List<string>();
        if (File.Exists("/dev/kvm"))
        {
            // PVM (a software nested-virtualization module) serves /dev/kvm on some cloud VMs; it cannot boot stock Linux guests.
            var pvm = Directory.Exists("/sys/module/kvm_pvm");
            list.Add(pvm ? "kvm (pvm)" : "kvm");
        }
        if (File.Exists("/usr/bin/qemu-system-x86_64"))
        {
            list.Add("tcg");
        }
        return list;
    }

    private static string? ReadFirst(string path, string key)
    {
        if (!File.Exists(path))
        {
            return null;
        }
        foreach (var line in File.ReadLines(path))
        {
            if (line.StartsWith(key, StringComparison.Ordinal))
            {
                var colon = line.IndexOf(':');
                return colon >= 0 ? line[(colon + 1)..].Trim() : null;
            }
        }
        return null;
    }
}
