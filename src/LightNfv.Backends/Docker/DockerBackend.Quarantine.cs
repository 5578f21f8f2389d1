using LightNfv.Core.Backends;
using LightNfv.Core.Errors;

namespace LightNfv.Backends.Docker;

public sealed partial class DockerBackend
{
    /// <summary>
    /// `docker pause` through the Engine API rather than our own write to its cgroup's freezer: dockerd does the same
    /// freeze, and then knows the container is paused (`docker ps` says so, and dockerd's own stop/kill unpause first).
    /// </summary>
    public async Task<string> FreezeAsync(BackendInstance instance, CancellationToken cancellationToken)
    {
        var state = DockerState.Of(instance);
        using var client = Connect(state, cancellationToken);
        await client.PauseContainerAsync(state.Container ?? ContainerName(instance.Id), cancellationToken).ConfigureAwait(false);
        return "docker pause";
    }

    public async Task ThawAsync(BackendInstance instance, CancellationToken cancellationToken)
    {
        var state = DockerState.Of(instance);
        using var client = Connect(state, cancellationToken);
        await client.UnpauseContainerAsync(state.Container ?? ContainerName(instance.Id), cancellationToken).ConfigureAwait(false);
    }

    private EngineClient Connect(DockerState state, CancellationToken cancellationToken) =>
        state.DockerSocket is { } socket && Daemon.TryConnect(socket, cancellationToken) is { } client
            ? client
            : throw new LightNfvException(ErrorKind.Unavailable,
                "the docker daemon that runs this container does not answer, so it cannot be paused or unpaused; start the platform's dockerd again ('lightnfv serve' restarts it) or remove the instance");
}
