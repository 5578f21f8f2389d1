using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using LightNfv.Backends.Oci.Spec;

namespace LightNfv.Backends.Tests.Oci.Spec;

public class SeccompProfilesTests
{
    /// <summary>What the integration tests rely on being blocked with EPERM when no capability is declared.</summary>
    public static TheoryData<string> MustBlock => new(
        "unshare", "mount", "reboot", "swapon", "kexec_load", "init_module", "bpf", "ptrace", "keyctl", "add_key",
        "request_key", "perf_event_open", "pivot_root", "setns", "clock_settime", "settimeofday", "acct", "quotactl",
        "open_by_handle_at", "userfaultfd");

    private static JsonNode Seccomp(params string[] caps) =>
        JsonNode.Parse(OciSpecBuilder.Build(OciSpecFixtures.Iperf3() with { Capabilities = caps }, Architecture.X64))!["linux"]!["seccomp"]!;

    private static IEnumerable<string> ErrnoNames(JsonNode seccomp) =>
        seccomp["syscalls"]!.AsArray()
            .Where(r => r!["action"]!.GetValue<string>() == "SCMP_ACT_ERRNO" && r["errnoRet"]!.GetValue<int>() == 1)
            .SelectMany(r => r!["names"]!.AsArray().Select(n => n!.GetValue<string>()));

    [Theory]
    [MemberData(nameof(MustBlock))]
    public void Blocks_with_eperm(string syscall)
    {
        SeccompProfiles.Blocked.ShouldContain(syscall);
        ErrnoNames(Seccomp()).ShouldContain(syscall);
    }

    [Fact]
    public void Is_a_deny_list_that_allows_by_default()
    {
        var seccomp = Seccomp().AsObject();
        seccomp["defaultAction"]!.GetValue<string>().ShouldBe("SCMP_ACT_ALLOW");
        seccomp.ContainsKey("defaultErrnoRet").ShouldBeFalse();
        seccomp["syscalls"]!.AsArray().ShouldAllBe(r => r!["action"]!.GetValue<string>() == "SCMP_ACT_ERRNO");
    }

    [Fact]
    public void Every_blocked_syscall_is_in_the_profile_once()
    {
        SeccompProfiles.Blocked.Distinct().Count().ShouldBe(SeccompProfiles.Blocked.Count);
        ErrnoNames(Seccomp()).Order(StringComparer.Ordinal).ShouldBe(SeccompProfiles.Blocked.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Architectures_include_the_compat_abis()
    {
        SeccompProfiles.Architectures(Architecture.X64).ShouldBe(["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"]);
        SeccompProfiles.Architectures(Architecture.Arm64).ShouldBe(["SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"]);
        SeccompProfiles.Default([], Architecture.Arm64)["architectures"]!.AsArray().Count.ShouldBe(2);
    }

    [Fact]
    public void The_host_profile_uses_the_host_architecture()
    {
        var expected = SeccompProfiles.Architectures(RuntimeInformation.ProcessArchitecture);
        var profile = SeccompProfiles.Default([]);
        (profile["architectures"]?.AsArray().Select(a => a!.GetValue<string>()).ToArray() ?? []).ShouldBe(expected);
    }

    [Fact]
    public void An_unknown_architecture_filters_the_native_one_only() =>
        SeccompProfiles.Default([], Architecture.Wasm).ContainsKey("architectures").ShouldBeFalse();

    [Fact]
    public void A_declared_capability_unlocks_the_syscalls_it_exists_for()
    {
        var names = ErrnoNames(Seccomp("SYS_TIME")).ToArray();
        names.ShouldNotContain("clock_settime");
        names.ShouldNotContain("settimeofday");
        names.ShouldContain("ptrace");
        ErrnoNames(Seccomp("CAP_SYS_PTRACE")).ShouldNotContain("ptrace");
        ErrnoNames(Seccomp("BPF")).ShouldNotContain("bpf");
    }

    [Fact]
    public void Namespaces_and_mounts_stay_blocked_even_with_every_capability()
    {
        var names = ErrnoNames(Seccomp([.. LightNfv.Core.Descriptors.LinuxCapabilities.All])).ToArray();
        foreach (var syscall in new[] { "unshare", "setns", "mount", "pivot_root", "keyctl", "kexec_load", "open_by_handle_at" })
        {
            names.ShouldContain(syscall);
        }
    }

    [Fact]
    public void Process_vnfs_get_the_same_list_translated_for_the_spawn_helper()
    {
        var profile = SeccompProfiles.Default(["CAP_SYS_TIME"], Architecture.X64);
        var helper = SeccompProfiles.ForSpawnHelper(profile);
        helper.Architectures.ShouldBe(["x86_64", "x86", "x32"]);
        helper.Errno.ShouldBe(SeccompProfiles.Eperm);
        helper.Names.ShouldBe(ErrnoNames(profile));
        helper.Names.ShouldContain("unshare");
        helper.Names.ShouldNotContain("clock_settime", "CAP_SYS_TIME unlocks it, for processes as for containers");
        helper.ToArgument().ShouldStartWith("x86_64,x86,x32:1:");
    }

    [Fact]
    public void A_profile_the_helper_cannot_express_is_refused_not_approximated()
    {
        var profile = SeccompProfiles.Default([], Architecture.X64);
        profile["syscalls"]!.AsArray().Add(new JsonObject { ["names"] = new JsonArray("chmod"), ["action"] = "SCMP_ACT_KILL" });
        Should.Throw<InvalidOperationException>(() => SeccompProfiles.ForSpawnHelper(profile)).Message.ShouldContain("SCMP_ACT_KILL");
        var allowList = new JsonObject { ["defaultAction"] = "SCMP_ACT_ERRNO" };
        Should.Throw<InvalidOperationException>(() => SeccompProfiles.ForSpawnHelper(allowList)).Message.ShouldContain("deny-list");
    }
}
