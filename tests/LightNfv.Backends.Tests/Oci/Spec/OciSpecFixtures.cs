using LightNfv.Backends.Oci.Spec;

namespace LightNfv.Backends.Tests.Oci.Spec;

/// <summary>The fixed input behind golden/config.json, and how to find that file from the test's bin directory.</summary>
internal static class OciSpecFixtures
{
    public static OciSpecInput Iperf3() => new()
    {
        Id = "0123456789ab",
        Hostname = "iperf3",
        Args = ["/usr/bin/iperf3", "--server", "--port", "5201"],
        Env = new Dictionary<string, string> { ["LANG"] = "C.UTF-8" },
        RootfsPath = "/var/lib/lightnfv/images/iperf3/rootfs",
        NetworkNamespacePath = "/run/netns/lightnfv-lab-0123456789ab",
        CgroupsPath = "/lightnfv/0123456789ab",
        MemoryBytes = 64L * 1024 * 1024,
        Cpus = 1.5,
        Pids = 64,
        Capabilities = ["NET_BIND_SERVICE"],
    };

    /// <summary>The golden file lives in the source tree (the csproj does not copy it), found by walking up to LightNfv.slnx.</summary>
    public static string GoldenPath(string name)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "LightNfv.slnx")))
            {
                return Path.Combine(dir.FullName, "tests", "LightNfv.Backends.Tests", "Oci", "Spec", "golden", name);
            }
        }
        throw new InvalidOperationException($"LightNfv.slnx not found above {AppContext.BaseDirectory}");
    }
}
