using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using LightNfv.Host.Processes;

namespace LightNfv.Backends.Oci.Spec;

/// <summary>
/// The default seccomp profile for container VNFs: a deny-list. A network function needs the ordinary syscall
/// surface (sockets, files, threads), so everything is allowed except syscalls that reach past the container —
/// namespaces and mounts, the kernel itself, other processes' memory, keyrings and host clocks. Blocked calls fail
/// with EPERM, which programs already handle as "not allowed here", rather than killing the VNF.
/// </summary>
public static class SeccompProfiles
{
    /// <summary>EPERM, returned by every blocked syscall.</summary>
    public const int Eperm = 1;

    /// <summary>Every syscall the default profile blocks when the VNF declares no capability that unlocks it.</summary>
    public static IReadOnlyList<string> Blocked { get; } =
    [
        // Leaving or reshaping the container's namespaces and mounts: the lab network must stay the only network.
        // (clone/clone3 with namespace flags would need argument filtering; dropped CAP_SYS_ADMIN already stops those.)
        "unshare", "setns", "mount", "umount", "umount2", "pivot_root", "mount_setattr",
        "move_mount", "open_tree", "fsopen", "fsconfig", "fsmount", "fspick",
        // The host kernel: modules, reboot, kexec, swap.
        "init_module", "finit_module", "delete_module", "create_module", "get_kernel_syms", "query_module",
        "reboot", "kexec_load", "kexec_file_load", "swapon", "swapoff",
        // Other processes and kernel introspection.
        "ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "perf_event_open", "bpf", "userfaultfd",
        "lookup_dcookie",
        // Kernel keyrings are not namespaced.
        "keyctl", "add_key", "request_key",
        // Host clocks are shared by every instance.
        "clock_settime", "clock_adjtime", "settimeofday", "stime",
        // Host-wide accounting, quotas and file handles that bypass path checks (the "shocker" escape).
        "acct", "quotactl", "open_by_handle_at",
        // Obsolete or raw-hardware interfaces no VNF needs.
        "iopl", "ioperm", "uselib", "nfsservctl", "_sysctl", "vm86", "vm86old",
    ];

    /// <summary>
    /// Syscalls a declared capability unlocks, as Docker's profile does: declaring CAP_SYS_TIME is pointless if
    /// clock_settime still fails. CAP_SYS_ADMIN unlocks nothing — namespaces and mounts stay blocked regardless.
    /// </summary>
    public static IReadOnlyDictionary<string, IReadOnlyList<string>> UnlockedBy { get; } = new Dictionary<string, IReadOnlyList<string>>
    {
        ["CAP_SYS_PTRACE"] = ["ptrace", "process_vm_readv", "process_vm_writev", "kcmp"],
        ["CAP_SYS_TIME"] = ["clock_settime", "clock_adjtime", "settimeofday", "stime"],
        ["CAP_BPF"] = ["bpf"],
        ["CAP_PERFMON"] = ["perf_event_open"],
        ["CAP_SYS_BOOT"] = ["reboot"],
        ["CAP_SYS_PACCT"] = ["acct"],
        ["CAP_SYS_MODULE"] = ["init_module", "finit_module", "delete_module"],
    };

    /// <summary>
    /// The seccomp architectures for a host. The compat ABIs (x86, x32 on x86-64; arm on arm64) are listed so the
    /// deny-list applies to them by name too, instead of depending on each runtime's bad-architecture action.
    /// Empty for other hosts: the runtime then filters the native architecture only.
    /// </summary>
    public static IReadOnlyList<string> Architectures(Architecture architecture) => architecture switch
    {
        Architecture.X64 => ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
        Architecture.Arm64 => ["SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"],
        Architecture.X86 => ["SCMP_ARCH_X86"],
        Architecture.Arm => ["SCMP_ARCH_ARM"],
        _ => [],
    };

    /// <summary>The syscalls blocked for a VNF declaring <paramref name="capabilities"/> (CAP_ form), sorted.</summary>
    public static IReadOnlyList<string> BlockedFor(IEnumerable<string> capabilities)
    {
        var unlocked = new HashSet<string>(StringComparer.Ordinal);
        foreach (var cap in capabilities)
        {
            if (UnlockedBy.TryGetValue(cap, out var calls))
            {
                unlocked.UnionWith(calls);
            }
        }
        return Blocked.Where(s => !unlocked.Contains(s)).Order(StringComparer.Ordinal).ToArray();
    }

    /// <summary>The profile for this host's architecture, as the runtime-spec's linux.seccomp object.</summary>
    public static JsonObject Default(IEnumerable<string> capabilities) =>
        Default(capabilities, RuntimeInformation.ProcessArchitecture);

    /// <summary>The profile for <paramref name="architecture"/> (fixed in tests so golden files do not vary by host).</summary>
    public static JsonObject Default(IEnumerable<string> capabilities, Architecture architecture)
    {
        var profile = new JsonObject { ["defaultAction"] = "SCMP_ACT_ALLOW" };
        var arches = Architectures(architecture);
        if (arches.Count > 0)
        {
            profile["architectures"] = Strings(arches);
        }
        profile["syscalls"] = new JsonArray(new JsonObject
        {
            ["names"] = Strings(BlockedFor(capabilities)),
            ["action"] = "SCMP_ACT_ERRNO",
            ["errnoRet"] = Eperm,
        });
        return profile;
    }

    /// <summary>
    /// The same profile for a process VNF: <see cref="Default(IEnumerable{string})"/> itself, translated for lnfv-spawn
    /// (which loads it with libseccomp, as crun and runc do), so the two backends cannot drift apart.
    /// </summary>
    public static SeccompDenyList ForSpawnHelper(IEnumerable<string> capabilities) =>
        ForSpawnHelper(Default(capabilities));

    /// <summary>Translates a runtime-spec linux.seccomp object of the shape <see cref="Default(IEnumerable{string})"/> builds.</summary>
    /// <exception cref="InvalidOperationException">The profile uses what the helper cannot express (a default other than
    /// allow, another action, or two errno values): change the helper with the profile.</exception>
    public static SeccompDenyList ForSpawnHelper(JsonObject profile)
    {
        if ((string?)profile["defaultAction"] != "SCMP_ACT_ALLOW")
        {
            throw new InvalidOperationException($"lnfv-spawn takes a deny-list; the profile's defaultAction is {profile["defaultAction"]}");
        }
        // "SCMP_ARCH_X86_64" is libseccomp's "x86_64".
        var arches = (profile["architectures"]?.AsArray() ?? []).Select(a => ((string)a!)["SCMP_ARCH_".Length..].ToLowerInvariant()).ToArray();
        int? errno = null;
        var names = new List<string>();
        foreach (var rule in profile["syscalls"]?.AsArray() ?? [])
        {
            var ret = (int?)rule!["errnoRet"] ?? Eperm;
            if ((string?)rule["action"] != "SCMP_ACT_ERRNO" || (errno is { } e && e != ret))
            {
                throw new InvalidOperationException($"lnfv-spawn takes one SCMP_ACT_ERRNO list; the profile has {rule.ToJsonString()}");
            }
            errno = ret;
            names.AddRange(rule["names"]!.AsArray().Select(n => (string)n!));
        }
        return new SeccompDenyList(arches, errno ?? Eperm, names);
    }

    private static JsonArray Strings(IEnumerable<string> values) => new(values.Select(v => (JsonNode?)JsonValue.Create(v)).ToArray());
}
