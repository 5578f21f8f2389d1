using LightNfv.Backends.Oci.Spec;
using LightNfv.Backends.Shared;
using LightNfv.Core.Backends;
using LightNfv.Core.Descriptors;
using LightNfv.Host.Processes;

namespace LightNfv.Backends.Process;

/// <summary>
/// Least privilege for a process VNF, applied by lnfv-spawn between fork and exec: its own uid and gid, only the
/// capabilities it declares, no_new_privs, the containers' seccomp profile, the host's filesystem read-only but for
/// its private /tmp, /run and /dev/shm and its own state directory.
/// </summary>
/// <remarks>
/// A dynamic uid rather than root in a user namespace: declared capabilities such as NET_ADMIN must act on the
/// instance's network namespace, which the host's user namespace owns, and a child namespace's root holds them only
/// over namespaces it owns; a user namespace also costs an unshare and a uid_map write (a round trip with the
/// supervisor) per start, where a uid costs one setresuid.
/// </remarks>
public sealed partial class ProcessBackend
{
    /// <summary>Where the VNF sees its state directory (kept across restarts, removed with the instance); also its $HOME.</summary>
    public const string StateDirectoryInside = "/run/vnf";

    /// <inheritdoc cref="InstanceUser.UidOf"/>
    public static uint UidOf(string instanceId) => InstanceUser.UidOf(instanceId);

    /// <summary>The state directory on the host, in the instance's run directory (which only root can traverse).</summary>
    public static string StateDirectory(string runDirectory) => Path.Combine(runDirectory, "state");

    internal static Confinement ConfinementOf(InstanceSpec spec)
    {
        var caps = OciSpecBuilder.NormalizeCapabilities(spec.Capabilities);
        ulong mask = 0;
        foreach (var cap in caps)
        {
            // LinuxCapabilities.All is in the kernel's numbering (capability.h).
            mask |= 1UL << LinuxCapabilities.All.ToList().IndexOf(cap);
        }
        var uid = UidOf(spec.Id);
        return new Confinement(uid, uid, mask, [(StateDirectory(spec.RunDirectory), StateDirectoryInside)], SeccompProfiles.ForSpawnHelper(caps));
    }

    private static IReadOnlyDictionary<string, string> EnvironmentOf(InstanceSpec spec)
    {
        if (spec.Env.ContainsKey("HOME"))
        {
            return spec.Env;
        }
        return new Dictionary<string, string>(spec.Env, StringComparer.Ordinal) { ["HOME"] = StateDirectoryInside };
    }
}
