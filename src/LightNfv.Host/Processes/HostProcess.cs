using System.Diagnostics;
using LightNfv.Core.Errors;
using LightNfv.Host.Namespaces;

namespace LightNfv.Host.Processes;

/// <summary>
/// The one way to start a host tool through <see cref="Process"/> (debootstrap, make, gcc, dpkg, stat): always in this
/// process's own network namespace. .NET forks from the calling thread, so a tool started from a thread inside the lab
/// would inherit the lab (debootstrap found no route to the Debian mirror); from such a thread the start hops to a fresh
/// thread at home (<see cref="HostNetwork.Run{T}"/>). The returned process is used from any thread as usual.
/// </summary>
public static class HostProcess
{
    public static Process Start(ProcessStartInfo start) =>
        HostNetwork.Run(() => Process.Start(start))
        ?? throw new LightNfvException(ErrorKind.Host, $"could not start {start.FileName}");
}
