using LightNfv.Core.Backends;

namespace LightNfv.Backends.Docker;

public sealed partial class DockerBackend
{
    /// <summary>dockerd takes a few hundred milliseconds per container here.</summary>
    internal static readonly BackendProfile Known = new()
    {
        StartBound = TimeSpan.FromSeconds(30),
        Bench = new()
        {
            CreateCall = _ => "store, image (built and imported once, then cached), Engine API create and start, veth into the container's namespace",
        },
    };

    public BackendProfile Profile => Known;

    /// <summary>
    /// The container dockerd runs for the id (labelled with it, named after it), forced out with its mounts, netns pin
    /// and cgroup; the shared objects (namespace, veth, run directory) are the inventory's.
    /// </summary>
    public IReadOnlyList<string> RemoveOrphan(string id)
    {
        using var client = Daemon.FindRunning();
        if (client is null)
        {
            return [];
        }
        var labelled = client.ListContainersAsync($"{LabelInstance}={id}", CancellationToken.None).GetAwaiter().GetResult();
        var removed = new List<string>();
        foreach (var name in labelled.Select(c => c.Id).Append(ContainerName(id)).Distinct(StringComparer.Ordinal))
        {
            if (client.RemoveContainerAsync(name, force: true, CancellationToken.None).GetAwaiter().GetResult())
            {
                removed.Add($"docker container {name}");
            }
        }
        return removed;
    }
}
