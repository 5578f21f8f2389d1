using System.Net.Sockets;
using LightNfv.Host.Native;

namespace LightNfv.Host.UnixSockets;

/// <summary>The process at the other end of a unix socket connection, as the kernel recorded it when it connected.</summary>
public readonly record struct PeerCredentials(int Pid, uint Uid, uint Gid)
{
    /// <summary>SO_PEERCRED of a connected unix socket; the kernel's word, so a client cannot claim another uid.</summary>
    public static unsafe PeerCredentials Of(Socket socket)
    {
        Libc.UCred cred;
        var len = sizeof(Libc.UCred);
        Errno.Check(Libc.getsockopt(socket.SafeHandle, Libc.SOL_SOCKET, Libc.SO_PEERCRED, &cred, &len), "getsockopt(SO_PEERCRED)");
        return new PeerCredentials(cred.Pid, cred.Uid, cred.Gid);
    }
}
