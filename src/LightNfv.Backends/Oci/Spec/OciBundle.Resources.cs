using System.Text.Json.Nodes;
using LightNfv.Core.Errors;

namespace LightNfv.Backends.Oci.Spec;

/// <summary>A live resize's new size written into an existing bundle, so the runtime applies it at the next start too.</summary>
public static partial class OciBundle
{
    /// <summary>
    /// Sets linux.resources (memory and swap, CPU quota and cpus, pids) of <paramref name="bundleDirectory"/>'s config.json
    /// as <see cref="OciSpecBuilder"/> writes them, leaving the rest as it is; replaced atomically, owner-only as written.
    /// </summary>
    public static void RewriteResources(string bundleDirectory, long memoryBytes, double cpus, long pids, string? cpuset)
    {
        var path = Path.Combine(Path.GetFullPath(bundleDirectory), ConfigFileName);
        var temp = path + $".{Guid.NewGuid():N}.tmp";
        try
        {
            var config = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
            var resources = config["linux"]!["resources"]!.AsObject();
            resources["memory"] = new JsonObject { ["limit"] = memoryBytes, ["swap"] = memoryBytes };
            var cpu = new JsonObject { ["quota"] = OciSpecBuilder.CpuQuota(cpus), ["period"] = OciSpecBuilder.CpuPeriodMicros };
            if (cpuset is not null)
            {
                cpu["cpus"] = cpuset;
            }
            resources["cpu"] = cpu;
            resources["pids"] = new JsonObject { ["limit"] = pids };
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }
            using (var stream = new FileStream(temp, options))
            using (var writer = new StreamWriter(stream))
            {
                writer.Write(config.ToJsonString());
            }
            File.Move(temp, path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NullReferenceException or InvalidOperationException or System.Text.Json.JsonException)
        {
            TryDelete(temp);
            throw new LightNfvException(ErrorKind.Host, $"could not write the new size into the OCI bundle config {path}: {e.Message}", e);
        }
    }
}
