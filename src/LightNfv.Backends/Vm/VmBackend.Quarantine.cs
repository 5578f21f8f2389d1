using LightNfv.Core.Backends;
using LightNfv.Core.Errors;

namespace LightNfv.Backends.Vm;

public abstract partial class VmBackend
{
    /// <summary>
    /// QMP stop rather than a freezer: QEMU runs in no cgroup of the instance's own here, and a frozen QEMU would not
    /// answer its monitor either. `stop` halts the vCPUs only, so the guest runs no instruction and its memory stays as
    /// it was, while QMP still answers for forensics (dump-guest-memory, info registers) and for `cont` at release.
    /// </summary>
    public Task<string> FreezeAsync(BackendInstance instance, CancellationToken cancellationToken)
    {
        using var qmp = Connect(instance);
        qmp.Execute("stop");
        var status = qmp.Status();
        if (status != "paused")
        {
            throw new LightNfvException(ErrorKind.Host, $"instance {instance.Id}: QMP stop left the guest {status}, not paused");
        }
        return Task.FromResult("QMP stop");
    }

    public Task ThawAsync(BackendInstance instance, CancellationToken cancellationToken)
    {
        using var qmp = Connect(instance);
        qmp.Execute("cont");
        return Task.CompletedTask;
    }

    private static QmpClient Connect(BackendInstance instance) => instance.Facts.RunDirectory is { } dir
        ? QmpClient.Connect(QmpPath(dir), TimeSpan.FromSeconds(2))
        : throw new LightNfvException(ErrorKind.State, $"instance {instance.Id} has no run directory, so no QMP socket: it is not running");
}
