using System.Text.Json.Nodes;

namespace LightNfv.Backends.Docker;

/// <summary>
/// What LightNFV asks dockerd to create: the VNF's argv on an image imported from its rootfs, with no network of
/// docker's own (the platform plugs the container's namespace into the lab itself), the descriptor's limits, no
/// capabilities but the declared ones, no new privileges and a read-only root filesystem.
/// </summary>
public sealed record ContainerRequest
{
    public required string Image { get; init; }

    /// <summary>The VNF's argv, argv[0] an absolute path inside the image (an imported image has no PATH or entrypoint).</summary>
    public required IReadOnlyList<string> Cmd { get; init; }

    public IReadOnlyDictionary<string, string> Env { get; init; } = new Dictionary<string, string>();

    public required string Hostname { get; init; }

    public long MemoryBytes { get; init; }

    public double Cpus { get; init; }

    public long Pids { get; init; }

    /// <summary>CPUs to pin to (CpusetCpus, "0-1"); null: any.</summary>
    public string? CpuSet { get; init; }

    /// <summary>Capabilities kept (CAP_ form); every other one is dropped.</summary>
    public IReadOnlyList<string> Capabilities { get; init; } = [];

    /// <summary>Absolute cgroup parent (cgroupfs driver), or null to leave docker's default (systemd driver).</summary>
    public string? CgroupParent { get; init; }

    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();

    /// <summary>The body of POST /containers/{id}/update for <paramref name="r"/>: the same limits as at create ("" unpins).</summary>
    public static JsonObject Resources(Core.Descriptors.ResourceSpec r)
    {
        var memory = (long)r.MemoryMiB * 1024 * 1024;
        return new JsonObject
        {
            ["Memory"] = memory,
            ["MemorySwap"] = memory,
            ["NanoCpus"] = (long)r.Vcpus * 1_000_000_000,
            ["PidsLimit"] = r.Pids,
            ["CpusetCpus"] = r.CpuSet ?? "",
        };
    }

    /// <summary>The body of POST /containers/create (Engine API 1.41 names).</summary>
    public JsonObject ToJson()
    {
        var hostConfig = new JsonObject
        {
            // "none": a loopback-only namespace that LightNFV wires to the lab bridge itself (no docker network driver,
            // no iptables, no userland proxy).
            ["NetworkMode"] = "none",
            ["Memory"] = MemoryBytes,
            // Equal to Memory: no swap on top of the limit, as in the other backends.
            ["MemorySwap"] = MemoryBytes,
            ["NanoCpus"] = (long)Math.Round(Cpus * 1e9),
            ["PidsLimit"] = Pids,
            ["CapDrop"] = new JsonArray("ALL"),
            ["CapAdd"] = Strings(Capabilities),
            ["SecurityOpt"] = new JsonArray("no-new-privileges"),
            ["ReadonlyRootfs"] = true,
            // The only writable places, small and in the container's memory limit.
            ["Tmpfs"] = new JsonObject
            {
                ["/tmp"] = "rw,nosuid,nodev,size=16m",
                ["/run"] = "rw,nosuid,nodev,size=4m",
            },
            // Bounded: the VNF's output stays in dockerd's data root, which `down` removes.
            ["LogConfig"] = new JsonObject
            {
                ["Type"] = "json-file",
                ["Config"] = new JsonObject { ["max-size"] = "1m", ["max-file"] = "1" },
            },
            ["RestartPolicy"] = new JsonObject { ["Name"] = "no" },
            ["AutoRemove"] = false,
        };
        if (CgroupParent is not null)
        {
            hostConfig["CgroupParent"] = CgroupParent;
        }
        if (CpuSet is not null)
        {
            hostConfig["CpusetCpus"] = CpuSet;
        }
        return new JsonObject
        {
            ["Image"] = Image,
            ["Cmd"] = Strings(Cmd),
            // An empty entrypoint: Cmd is the whole command line.
            ["Entrypoint"] = new JsonArray(),
            ["Env"] = Strings(Env.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}={kv.Value}")),
            ["Hostname"] = Hostname,
            ["WorkingDir"] = "/",
            ["Labels"] = new JsonObject(Labels.OrderBy(kv => kv.Key, StringComparer.Ordinal)
                .Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)JsonValue.Create(kv.Value)))),
            ["AttachStdin"] = false,
            ["AttachStdout"] = false,
            ["AttachStderr"] = false,
            ["Tty"] = false,
            ["OpenStdin"] = false,
            ["NetworkDisabled"] = false,
            ["StopSignal"] = "SIGTERM",
            ["HostConfig"] = hostConfig,
        };
    }

    private static JsonArray Strings(IEnumerable<string> values) => new(values.Select(v => (JsonNode?)JsonValue.Create(v)).ToArray());

    public override string ToString() => ToJson().ToJsonString();
}
