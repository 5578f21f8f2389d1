using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using LightNfv.Backends.Oci.Spec;
using LightNfv.Core.Errors;

namespace LightNfv.Backends.Tests.Oci.Spec;

public class OciSpecBuilderTests
{
    private static JsonNode Config(OciSpecInput input) =>
        JsonNode.Parse(OciSpecBuilder.Build(input, Architecture.X64))!;

    private static string[] Strings(JsonNode? array) => array!.AsArray().Select(n => n!.GetValue<string>()).ToArray();

    [Fact]
    public void Matches_the_golden_config()
    {
        var actual = OciSpecBuilder.Build(OciSpecFixtures.Iperf3(), Architecture.X64);
        var golden = OciSpecFixtures.GoldenPath("config.json");
        // LIGHTNFV_UPDATE_GOLDEN=1 rewrites the file after an intended change; review the diff before keeping it.
        if (Environment.GetEnvironmentVariable("LIGHTNFV_UPDATE_GOLDEN") == "1")
        {
            File.WriteAllText(golden, actual);
        }
        actual.ShouldBe(File.ReadAllText(golden));
    }

    [Fact]
    public void Has_the_runtime_spec_required_fields()
    {
        using var doc = JsonDocument.Parse(OciSpecBuilder.Build(OciSpecFixtures.Iperf3()));
        var root = doc.RootElement;

        var version = root.GetProperty("ociVersion").GetString()!;
        version.ShouldMatch(@"^\d+\.\d+\.\d+$"); // SemVer
        version.ShouldStartWith("1.");

        root.GetProperty("root").GetProperty("path").GetString().ShouldNotBeNullOrEmpty();

        var process = root.GetProperty("process");
        process.GetProperty("cwd").GetString()!.ShouldStartWith("/");
        process.GetProperty("args").GetArrayLength().ShouldBeGreaterThan(0);
        process.GetProperty("user").GetProperty("uid").GetUInt32().ShouldBe(0u);
        process.GetProperty("user").GetProperty("gid").GetUInt32().ShouldBe(0u);

        foreach (var mount in root.GetProperty("mounts").EnumerateArray())
        {
            mount.GetProperty("destination").GetString()!.ShouldStartWith("/");
        }

        string[] valid = ["pid", "network", "mount", "ipc", "uts", "user", "cgroup", "time"];
        var types = root.GetProperty("linux").GetProperty("namespaces").EnumerateArray()
            .Select(n => n.GetProperty("type").GetString()!).ToArray();
        types.ShouldAllBe(t => valid.Contains(t));
        types.Distinct().Count().ShouldBe(types.Length); // duplicates are an error per config-linux.md
    }

    [Fact]
    public void Joins_the_lab_network_namespace_and_creates_the_others_without_a_user_namespace()
    {
        var namespaces = Config(OciSpecFixtures.Iperf3())["linux"]!["namespaces"]!.AsArray();
        namespaces.Select(n => n!["type"]!.GetValue<string>()).ShouldBe(["pid", "ipc", "uts", "mount", "network", "cgroup"]);
        foreach (var ns in namespaces)
        {
            var path = ns!["path"]?.GetValue<string>();
            path.ShouldBe(ns["type"]!.GetValue<string>() == "network" ? "/run/netns/lightnfv-lab-0123456789ab" : null);
        }
    }

    [Fact]
    public void Memory_swap_equals_the_limit()
    {
        var memory = Config(OciSpecFixtures.Iperf3())["linux"]!["resources"]!["memory"]!;
        memory["limit"]!.GetValue<long>().ShouldBe(64L * 1024 * 1024);
        memory["swap"]!.GetValue<long>().ShouldBe(memory["limit"]!.GetValue<long>());
    }

    [Fact]
    public void Cpu_quota_for_one_and_a_half_cpus_is_150000_per_100000()
    {
        var cpu = Config(OciSpecFixtures.Iperf3())["linux"]!["resources"]!["cpu"]!;
        cpu["quota"]!.GetValue<long>().ShouldBe(150_000);
        cpu["period"]!.GetValue<long>().ShouldBe(100_000);
    }

    [Theory]
    [InlineData(0.25, 25_000)]
    [InlineData(1.0, 100_000)]
    [InlineData(2.0, 200_000)]
    [InlineData(0.333333, 33_333)]
    public void Cpu_quota_scales_with_cpus(double cpus, long quota) => OciSpecBuilder.CpuQuota(cpus).ShouldBe(quota);

    [Fact]
    public void Pids_limit_and_cgroups_path_come_from_the_input()
    {
        var linux = Config(OciSpecFixtures.Iperf3())["linux"]!;
        linux["resources"]!["pids"]!["limit"]!.GetValue<long>().ShouldBe(64);
        linux["cgroupsPath"]!.GetValue<string>().ShouldBe("/lightnfv/0123456789ab");
    }

    [Fact]
    public void Devices_are_denied_then_the_default_ones_allowed()
    {
        var devices = Config(OciSpecFixtures.Iperf3())["linux"]!["resources"]!["devices"]!.AsArray();
        devices[0]!["allow"]!.GetValue<bool>().ShouldBeFalse();
        devices[0]!["access"]!.GetValue<string>().ShouldBe("rwm");
        devices[0]!.AsObject().ContainsKey("type").ShouldBeFalse();
        var allowed = devices.Skip(1).Select(d => $"{d!["major"]}:{d["minor"]?.ToString() ?? "*"}").ToArray();
        allowed.ShouldBe(["1:3", "1:5", "1:7", "1:8", "1:9", "5:0", "5:2", "136:*"]);
        devices.Skip(1).ShouldAllBe(d => d!["allow"]!.GetValue<bool>() && d["type"]!.GetValue<string>() == "c");
        // The runtime creates the default device nodes itself; listing them in linux.devices is not wanted.
        Config(OciSpecFixtures.Iperf3())["linux"]!.AsObject().ContainsKey("devices").ShouldBeFalse();
    }

    [Fact]
    public void Root_is_read_only_by_default_and_can_be_made_writable()
    {
        Config(OciSpecFixtures.Iperf3())["root"]!["readonly"]!.GetValue<bool>().ShouldBeTrue();
        Config(OciSpecFixtures.Iperf3() with { ReadOnlyRootfs = false })["root"]!["readonly"]!.GetValue<bool>().ShouldBeFalse();
    }

    [Fact]
    public void Process_is_hardened()
    {
        var process = Config(OciSpecFixtures.Iperf3())["process"]!;
        process["noNewPrivileges"]!.GetValue<bool>().ShouldBeTrue();
        process["terminal"]!.GetValue<bool>().ShouldBeFalse();
        process["oomScoreAdj"]!.GetValue<int>().ShouldBe(0);
        var nofile = process["rlimits"]!.AsArray().Single()!;
        nofile["type"]!.GetValue<string>().ShouldBe("RLIMIT_NOFILE");
        nofile["soft"]!.GetValue<long>().ShouldBe(1024);
        nofile["hard"]!.GetValue<long>().ShouldBe(1024);
    }

    [Fact]
    public void Writable_tmp_and_run_exist_beside_a_read_only_root()
    {
        var mounts = Config(OciSpecFixtures.Iperf3())["mounts"]!.AsArray();
        mounts.Select(m => m!["destination"]!.GetValue<string>()).ShouldBe(
            ["/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue", "/sys", "/tmp", "/run"]);
        var tmp = mounts.Single(m => m!["destination"]!.GetValue<string>() == "/tmp")!;
        tmp["type"]!.GetValue<string>().ShouldBe("tmpfs");
        Strings(tmp["options"]).ShouldNotContain("ro");
        Strings(tmp["options"]).ShouldContain("mode=1777");
        var sys = mounts.Single(m => m!["destination"]!.GetValue<string>() == "/sys")!;
        Strings(sys["options"]).ShouldContain("ro");
    }

    [Fact]
    public void Masked_and_read_only_paths_hide_the_host()
    {
        var linux = Config(OciSpecFixtures.Iperf3())["linux"]!;
        Strings(linux["maskedPaths"]).ShouldContain("/proc/kcore");
        Strings(linux["maskedPaths"]).ShouldContain("/sys/firmware");
        Strings(linux["readonlyPaths"]).ShouldContain("/proc/sys");
        Strings(linux["readonlyPaths"]).ShouldContain("/proc/sysrq-trigger");
    }

    [Fact]
    public void Bind_mounts_follow_the_standard_mounts()
    {
        var input = OciSpecFixtures.Iperf3() with
        {
            BindMounts = [("/srv/lightnfv/conf", "/etc/vnf", true), ("/srv/lightnfv/data", "/var/lib/vnf", false)],
        };
        var mounts = Config(input)["mounts"]!.AsArray();
        var conf = mounts[^2]!;
        conf["destination"]!.GetValue<string>().ShouldBe("/etc/vnf");
        conf["source"]!.GetValue<string>().ShouldBe("/srv/lightnfv/conf");
        conf["type"]!.GetValue<string>().ShouldBe("bind");
        Strings(conf["options"]).ShouldBe(["rbind", "ro"]);
        Strings(mounts[^1]!["options"]).ShouldBe(["rbind"]);
    }

    [Fact]
    public void Env_is_sorted_and_gets_a_default_path()
    {
        var input = OciSpecFixtures.Iperf3() with { Env = new Dictionary<string, string> { ["ZED"] = "1", ["ALPHA"] = "a=b" } };
        Strings(Config(input)["process"]!["env"]).ShouldBe(
            ["ALPHA=a=b", $"PATH={OciSpecInput.DefaultPath}", "ZED=1"]);
    }

    [Fact]
    public void A_declared_path_is_kept()
    {
        var input = OciSpecFixtures.Iperf3() with { Env = new Dictionary<string, string> { ["PATH"] = "/opt/vnf/bin" } };
        Strings(Config(input)["process"]!["env"]).ShouldBe(["PATH=/opt/vnf/bin"]);
    }

    [Fact]
    public void Hostname_defaults_to_the_id()
    {
        Config(OciSpecFixtures.Iperf3() with { Hostname = null })["hostname"]!.GetValue<string>().ShouldBe("0123456789ab");
    }

    [Fact]
    public void Capabilities_are_exactly_the_declared_ones()
    {
        var caps = Config(OciSpecFixtures.Iperf3())["process"]!["capabilities"]!;
        foreach (var set in new[] { "bounding", "effective", "permitted" })
        {
            Strings(caps[set]).ShouldBe(["CAP_NET_BIND_SERVICE"], set);
        }
        Strings(caps["inheritable"]).ShouldBeEmpty();
        Strings(caps["ambient"]).ShouldBeEmpty();
    }

    [Fact]
    public void No_declared_capabilities_means_empty_sets()
    {
        var caps = Config(OciSpecFixtures.Iperf3() with { Capabilities = [] })["process"]!["capabilities"]!.AsObject();
        caps.Select(kv => kv.Key).ShouldBe(["bounding", "effective", "inheritable", "permitted", "ambient"]);
        caps.ShouldAllBe(kv => kv.Value!.AsArray().Count == 0);
    }

    [Fact]
    public void A_non_root_user_keeps_its_capabilities_across_exec_through_the_ambient_set()
    {
        var process = Config(OciSpecFixtures.Iperf3() with { Uid = 1000, Gid = 1000 })["process"]!;
        process["user"]!["uid"]!.GetValue<uint>().ShouldBe(1000u);
        Strings(process["capabilities"]!["ambient"]).ShouldBe(["CAP_NET_BIND_SERVICE"]);
        Strings(process["capabilities"]!["inheritable"]).ShouldBe(["CAP_NET_BIND_SERVICE"]);
    }

    [Fact]
    public void Capability_names_are_normalized_deduplicated_and_sorted() =>
        OciSpecBuilder.NormalizeCapabilities(["net_raw", "CAP_NET_ADMIN", "NET_ADMIN", " net_bind_service "])
            .ShouldBe(["CAP_NET_ADMIN", "CAP_NET_BIND_SERVICE", "CAP_NET_RAW"]);

    [Fact]
    public void An_unknown_capability_is_invalid_and_names_valid_ones()
    {
        var e = Should.Throw<LightNfvException>(() => OciSpecBuilder.Build(OciSpecFixtures.Iperf3() with { Capabilities = ["NET_FLY"] }));
        e.Kind.ShouldBe(ErrorKind.Invalid);
        e.Message.ShouldStartWith("spec.app.capabilities: 'NET_FLY' is not a Linux capability;");
        e.Message.ShouldContain("NET_ADMIN");
    }

    public static TheoryData<string, Func<OciSpecInput, OciSpecInput>> InvalidInputs => new()
    {
        { "args", i => i with { Args = [] } },
        { "args[0]", i => i with { Args = ["iperf3", "-s"] } },
        { "rootfsPath", i => i with { RootfsPath = "rootfs" } },
        { "cwd", i => i with { Cwd = "work" } },
        { "networkNamespacePath", i => i with { NetworkNamespacePath = "lightnfv-lab-0123456789ab" } },
        { "cgroupsPath", i => i with { CgroupsPath = "lightnfv.slice:lnfv:0123456789ab" } },
        { "cgroupsPath", i => i with { CgroupsPath = "lightnfv/0123456789ab" } },
        { "memoryBytes", i => i with { MemoryBytes = 0 } },
        { "cpus", i => i with { Cpus = 0.001 } },
        { "cpus", i => i with { Cpus = double.NaN } },
        { "pids", i => i with { Pids = -1 } },
        { "env", i => i with { Env = new Dictionary<string, string> { ["A=B"] = "x" } } },
        { "bindMounts.source", i => i with { BindMounts = [("conf", "/etc/vnf", true)] } },
        { "bindMounts.destination", i => i with { BindMounts = [("/srv/conf", "etc/vnf", true)] } },
    };

    [Theory]
    [MemberData(nameof(InvalidInputs))]
    public void Invalid_input_is_rejected_naming_the_field(string field, Func<OciSpecInput, OciSpecInput> change)
    {
        var e = Should.Throw<LightNfvException>(() => OciSpecBuilder.Build(change(OciSpecFixtures.Iperf3())));
        e.Kind.ShouldBe(ErrorKind.Invalid);
        e.Message.ShouldContain($"OCI config {field}:");
    }

    [Fact]
    public void Output_is_deterministic() =>
        OciSpecBuilder.Build(OciSpecFixtures.Iperf3()).ShouldBe(OciSpecBuilder.Build(OciSpecFixtures.Iperf3()));
}
