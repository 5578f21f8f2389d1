namespace LightNfv.Host.Processes;

/// <summary>The one root check: whether this process may make namespaces, veths, cgroups and taps on the host.</summary>
public static class Privileges
{
    /// <summary>
    /// Effective uid 0, which is what the kernel checks (under sudo too); a login name of "root" or the real uid is not
    /// what decides.
    /// </summary>
    public static bool IsRoot => Environment.IsPrivilegedProcess;
}
