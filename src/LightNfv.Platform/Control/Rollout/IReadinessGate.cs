using LightNfv.Platform.Store;

namespace LightNfv.Platform.Control.Rollout;

/// <summary>
/// Whether a new replica answers on its port, waited for up to a timeout: a rolling update removes an old replica only
/// after a new one passes (<see cref="TcpReadinessGate"/> on a real host).
/// </summary>
public interface IReadinessGate
{
    bool WaitAnswering(InstanceRecord replica, int port, TimeSpan timeout);
}
