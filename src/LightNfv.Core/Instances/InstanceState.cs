using LightNfv.Core.Errors;

namespace LightNfv.Core.Instances;

/// <summary>Where an instance is in its lifecycle, as the control plane records it.</summary>
public enum InstanceState
{
    /// <summary>Desired state stored; host resources being made.</summary>
    Creating,
    /// <summary>Resources exist (namespace, cgroup, image); nothing runs yet.</summary>
    Created,
    Running,
    Stopping,
    /// <summary>Stopped by the operator; resources kept, can start again.</summary>
    Stopped,
    /// <summary>The workload ended on its own (crash, kill -9, OOM).</summary>
    Exited,
    /// <summary>A lifecycle step failed; only removal (or a heal) is allowed.</summary>
    Failed,
    Destroying,
    /// <summary>
    /// Frozen with its port cut from its segment (a suspect instance), memory kept for inspection; no longer serving, so
    /// its VNF gets a replacement. Neither healed nor restarted: only release (thaw, rejoin) or removal end it.
    /// </summary>
    Quarantined,
}

/// <summary>Typed lifecycle actions: the CLI and API parse, the control plane checks and applies.</summary>
public enum LifecycleAction
{
    Start,
    Stop,
    Restart,
    Destroy,
    /// <summary>Freeze the instance and cut its port (see <see cref="InstanceState.Quarantined"/>).</summary>
    Quarantine,
    /// <summary>Thaw a quarantined instance and rejoin its port.</summary>
    Release,
}

/// <summary>Which actions each state allows; one table so the API, the CLI and the reconciler agree.</summary>
public static class InstanceStateMachine
{
    public static bool IsAllowed(InstanceState state, LifecycleAction action) => (state, action) switch
    {
        (InstanceState.Created or InstanceState.Stopped or InstanceState.Exited, LifecycleAction.Start) => true,
        (InstanceState.Running, LifecycleAction.Stop) => true,
        (InstanceState.Running or InstanceState.Stopped or InstanceState.Exited or InstanceState.Failed, LifecycleAction.Restart) => true,
        (InstanceState.Running, LifecycleAction.Quarantine) => true,
        (InstanceState.Quarantined, LifecycleAction.Release) => true,
        // Destroy is allowed from every state: a half-created or failed instance must always be removable.
        (_, LifecycleAction.Destroy) => true,
        _ => false,
    };

    /// <summary>Throws an error that names the state and the way out when the action is not allowed.</summary>
    public static void EnsureAllowed(string instance, InstanceState state, LifecycleAction action)
    {
        if (IsAllowed(state, action))
        {
            return;
        }
        var hint = (state, action) switch
        {
            (InstanceState.Running, LifecycleAction.Start) => "it is already running",
            (InstanceState.Stopped or InstanceState.Exited or InstanceState.Created, LifecycleAction.Stop) => "it is not running",
            (InstanceState.Creating or InstanceState.Stopping or InstanceState.Destroying, _) => "another operation is in progress; retry when it ends",
            (InstanceState.Failed, _) => "it failed; remove it with 'lightnfv rm' or restart it",
            (InstanceState.Quarantined, LifecycleAction.Quarantine) => "it is already quarantined",
            (InstanceState.Quarantined, _) => "it is quarantined; end that first with 'lightnfv release' or remove it with 'lightnfv rm'",
            (_, LifecycleAction.Release) => "it is not quarantined",
            (_, LifecycleAction.Quarantine) => "only a running instance can be quarantined",
            _ => "the action does not apply in this state",
        };
        throw new LightNfvException(ErrorKind.State,
            $"cannot {action.ToString().ToLowerInvariant()} instance '{instance}' in state {state.ToString().ToLowerInvariant()}: {hint}");
    }

    /// <summary>Whether the workload is expected to be running (used to tell a crash from a stop).</summary>
    public static bool ExpectsRunning(InstanceState state) => state == InstanceState.Running;
}
