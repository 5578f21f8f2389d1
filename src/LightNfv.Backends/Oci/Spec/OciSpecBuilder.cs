using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using LightNfv.Core.Descriptors;
using LightNfv.Core.Errors;

namespace LightNfv.Backends.Oci.Spec;

/// <summary>
/// Writes an OCI runtime-spec 1.0.2 config.json for one VNF. Generated from the descriptor rather than patched from
/// <c>crun spec</c>, so every isolation setting is the platform's choice: the lab network namespace, cgroup limits,
/// a read-only rootfs, only the declared capabilities, no new privileges, a seccomp deny-list, masked /proc and /sys.
/// </summary>
public static class OciSpecBuilder
{
    public const string OciVersion = "1.0.2";

    /// <summary>The CFS period; the quota is cpus × this, so 1.5 cpus is 150000 µs per 100000 µs.</summary>
    public const long CpuPeriodMicros = 100_000;

    /// <summary>The kernel rejects CFS quotas under 1 ms.</summary>
    private const long MinCpuQuotaMicros = 1_000;

    public const string InstanceAnnotation = "io.lightnfv.instance";

    /// <summary>Kernel interfaces that leak host details or allow host-wide actions; hidden from the VNF.</summary>
    public static IReadOnlyList<string> MaskedPaths { get; } =
    [
        "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
        "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware", "/sys/devices/virtual/powercap",
    ];

    /// <summary>Readable for diagnostics but host-wide when written (sysctls, IRQ affinity, sysrq).</summary>
    public static IReadOnlyList<string> ReadonlyPaths { get; } =
        ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"];

    /// <summary>The standard namespace types; user is left out, the platform runs VNFs as real root-owned instances.</summary>
    public static IReadOnlyList<string> NamespaceTypes { get; } = ["pid", "ipc", "uts", "mount", "network", "cgroup"];

    private static readonly JsonSerializerOptions s_json = new() { WriteIndented = true, NewLine = "\n" };

    /// <summary>config.json for <paramref name="input"/>, indented, on this host's seccomp architectures.</summary>
    public static string Build(OciSpecInput input) => Build(input, RuntimeInformation.ProcessArchitecture);

    /// <summary>config.json for a given architecture (tests pin it so the golden file is host-independent).</summary>
    public static string Build(OciSpecInput input, Architecture architecture) =>
        BuildObject(input, architecture).ToJsonString(s_json) + "\n";

    internal static JsonObject BuildObject(OciSpecInput input, Architecture architecture)
    {
        Validate(input);
        var caps = NormalizeCapabilities(input.Capabilities);
        return new JsonObject
        {
            ["ociVersion"] = OciVersion,
            ["process"] = Process(input, caps),
            ["root"] = new JsonObject { ["path"] = input.RootfsPath, ["readonly"] = input.ReadOnlyRootfs },
            ["hostname"] = string.IsNullOrEmpty(input.Hostname) ? input.Id : input.Hostname,
            ["mounts"] = Mounts(input),
            ["annotations"] = new JsonObject { [InstanceAnnotation] = input.Id },
            ["linux"] = Linux(input, caps, architecture),
        };
    }

    /// <summary>
    /// "net_admin", "NET_ADMIN" and "CAP_NET_ADMIN" all become CAP_NET_ADMIN; duplicates collapse and the result is
    /// sorted so the same descriptor always gives the same config.json.
    /// </summary>
    public static IReadOnlyList<string> NormalizeCapabilities(IEnumerable<string> declared)
    {
        var result = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var raw in declared)
        {
            result.Add(LinuxCapabilities.Normalize(raw) ?? throw new LightNfvException(ErrorKind.Invalid,
                $"spec.app.capabilities: '{raw}' is not a Linux capability; use names from capabilities(7) such as " +
                "NET_ADMIN, NET_RAW, NET_BIND_SERVICE or SYS_TIME"));
        }
        return result.ToArray();
    }

    private static JsonObject Process(OciSpecInput input, IReadOnlyList<string> caps)
    {
        var env = new Dictionary<string, string>(input.Env, StringComparer.Ordinal);
        env.TryAdd("PATH", OciSpecInput.DefaultPath);

        // Root gets its permitted and effective sets from the bounding set on exec. Any other uid loses them on
        // exec unless they are ambient, and the kernel only keeps ambient capabilities that are also inheritable;
        // root keeps inheritable empty so file capabilities cannot use it (CVE-2022-24769).
        var carried = input.Uid == 0 ? [] : caps;
        return new JsonObject
        {
            ["terminal"] = false,
            ["user"] = new JsonObject { ["uid"] = input.Uid, ["gid"] = input.Gid },
            ["args"] = Strings(input.Args),
            ["env"] = Strings(env.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}={kv.Value}")),
            ["cwd"] = input.Cwd,
            ["capabilities"] = new JsonObject
            {
                ["bounding"] = Strings(caps),
                ["effective"] = Strings(caps),
                ["inheritable"] = Strings(carried),
                ["permitted"] = Strings(caps),
                ["ambient"] = Strings(carried),
            },
            ["rlimits"] = new JsonArray(new JsonObject { ["type"] = "RLIMIT_NOFILE", ["hard"] = 1024, ["soft"] = 1024 }),
            ["noNewPrivileges"] = true,
            ["oomScoreAdj"] = 0,
        };
    }

    private static JsonArray Mounts(OciSpecInput input)
    {
        var mounts = new JsonArray
        {
            Mount("/proc", "proc", "proc", "nosuid", "noexec", "nodev"),
            Mount("/dev", "tmpfs", "tmpfs", "nosuid", "strictatime", "mode=755", "size=65536k"),
            Mount("/dev/pts", "devpts", "devpts", "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"),
            Mount("/dev/shm", "tmpfs", "shm", "nosuid", "noexec", "nodev", "mode=1777", "size=64m"),
            Mount("/dev/mqueue", "mqueue", "mqueue", "nosuid", "noexec", "nodev"),
            Mount("/sys", "sysfs", "sysfs", "nosuid", "noexec", "nodev", "ro"),
            // No /sys/fs/cgroup: a VNF has no use for cgroupfs, and on cgroup v1 the runtime would mount every
            // hierarchy (a dozen mounts) on each start: about 4 ms with runc here.
            // A read-only root still needs somewhere to write: iperf3 and friends create temporary files in /tmp,
            // daemons put pid files and sockets in /run. Both are small and in memory, charged to the cgroup.
            Mount("/tmp", "tmpfs", "tmpfs", "nosuid", "nodev", "mode=1777", "size=16m"),
            Mount("/run", "tmpfs", "tmpfs", "nosuid", "nodev", "mode=755", "size=4m"),
        };
        foreach (var (source, destination, readOnly) in input.BindMounts)
        {
            mounts.Add(readOnly
                ? Mount(destination, "bind", source, "rbind", "ro")
                : Mount(destination, "bind", source, "rbind"));
        }
        return mounts;
    }

    private static JsonObject Mount(string destination, string type, string source, params string[] options) => new()
    {
        ["destination"] = destination,
        ["type"] = type,
        ["source"] = source,
        ["options"] = Strings(options),
    };

    private static JsonObject Linux(OciSpecInput input, IReadOnlyList<string> caps, Architecture architecture)
    {
        var namespaces = new JsonArray();
        foreach (var type in NamespaceTypes)
        {
            // Joining the lab's namespace instead of creating one is what puts the VNF on the lab network.
            namespaces.Add(type == "network"
                ? new JsonObject { ["type"] = type, ["path"] = input.NetworkNamespacePath }
                : new JsonObject { ["type"] = type });
        }
        var memory = input.MemoryBytes;
        return new JsonObject
        {
            ["namespaces"] = namespaces,
            ["resources"] = new JsonObject
            {
                // swap is memory+swap, so equal to the limit means swap cannot stretch the VNF past it.
                ["memory"] = new JsonObject { ["limit"] = memory, ["swap"] = memory },
                ["cpu"] = CpuOf(input),
                ["pids"] = new JsonObject { ["limit"] = input.Pids },
                ["devices"] = Devices(),
            },
            ["cgroupsPath"] = input.CgroupsPath,
            ["maskedPaths"] = Strings(MaskedPaths),
            ["readonlyPaths"] = Strings(ReadonlyPaths),
            ["seccomp"] = SeccompProfiles.Default(caps, architecture),
        };
    }

    private static JsonObject CpuOf(OciSpecInput input)
    {
        var cpu = new JsonObject { ["quota"] = CpuQuota(input.Cpus), ["period"] = CpuPeriodMicros };
        if (input.CpuSet is { } set)
        {
            cpu["cpus"] = set;
        }
        return cpu;
    }

    /// <summary>The CFS quota in µs per <see cref="CpuPeriodMicros"/> for a fractional CPU count.</summary>
    public static long CpuQuota(double cpus) => (long)Math.Round(cpus * CpuPeriodMicros, MidpointRounding.AwayFromZero);

    /// <summary>Deny every device, then allow the runtime-spec's default devices (which runtimes create themselves).</summary>
    private static JsonArray Devices()
    {
        var devices = new JsonArray(new JsonObject { ["allow"] = false, ["access"] = "rwm" });
        (long Major, long? Minor)[] allowed = [(1, 3), (1, 5), (1, 7), (1, 8), (1, 9), (5, 0), (5, 2), (136, null)];
        foreach (var (major, minor) in allowed)
        {
            var device = new JsonObject { ["allow"] = true, ["type"] = "c", ["major"] = major };
            if (minor is { } m)
            {
                device["minor"] = m;
            }
            device["access"] = "rwm";
            devices.Add(device);
        }
        return devices;
    }

    private static void Validate(OciSpecInput input)
    {
        if (string.IsNullOrWhiteSpace(input.Id))
        {
            throw Invalid("id", "is empty");
        }
        if (input.Args.Count == 0)
        {
            throw Invalid("args", "is empty; the container needs a program to run");
        }
        // Runtimes exec argv[0] inside the rootfs without a shell, so a bare name is ambiguous.
        if (!input.Args[0].StartsWith('/'))
        {
            throw Invalid("args[0]", $"'{input.Args[0]}' must be an absolute path inside the rootfs");
        }
        RequireAbsolute("cwd", input.Cwd);
        RequireAbsolute("rootfsPath", input.RootfsPath);
        RequireAbsolute("networkNamespacePath", input.NetworkNamespacePath);
        // Relative or "slice:prefix:name" values are runtime- or systemd-driver-specific; the platform owns its subtree.
        if (!input.CgroupsPath.StartsWith('/') || input.CgroupsPath.Contains(':'))
        {
            throw Invalid("cgroupsPath", $"'{input.CgroupsPath}' must be an absolute cgroupfs path such as /lightnfv/<id>");
        }
        if (input.MemoryBytes <= 0)
        {
            throw Invalid("memoryBytes", $"{input.MemoryBytes} must be positive");
        }
        if (!double.IsFinite(input.Cpus) || CpuQuota(input.Cpus) < MinCpuQuotaMicros)
        {
            throw Invalid("cpus", $"{input.Cpus.ToString(CultureInfo.InvariantCulture)} must be at least 0.01 (the kernel's 1 ms CFS quota)");
        }
        if (input.Pids <= 0)
        {
            throw Invalid("pids", $"{input.Pids} must be positive");
        }
        foreach (var key in input.Env.Keys)
        {
            if (key.Length == 0 || key.Contains('=') || key.Contains('\0'))
            {
                throw Invalid("env", $"'{key}' is not a valid environment variable name");
            }
        }
        foreach (var (source, destination, _) in input.BindMounts)
        {
            RequireAbsolute("bindMounts.source", source);
            RequireAbsolute("bindMounts.destination", destination);
        }
    }

    private static void RequireAbsolute(string field, string path)
    {
        if (!path.StartsWith('/'))
        {
            throw Invalid(field, $"'{path}' must be an absolute path");
        }
    }

    private static LightNfvException Invalid(string field, string problem) =>
        new(ErrorKind.Invalid, $"OCI config {field}: {problem}");

    private static JsonArray Strings(IEnumerable<string> values) => new(values.Select(v => (JsonNode?)JsonValue.Create(v)).ToArray());
}
