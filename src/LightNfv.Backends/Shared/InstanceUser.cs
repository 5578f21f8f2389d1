using System.Security.Cryptography;
using System.Text;

namespace LightNfv.Backends.Shared;

/// <summary>
/// The unprivileged uid (and gid, the same number) an instance's own processes run as: a process VNF, a QEMU.
/// <see cref="FirstUid"/> + 24 bits of a hash of the instance id: no allocation, no state, the same across restarts and
/// daemons. Above systemd's dynamic range (61184-65519) and the usual subuid ranges (from 100000, 65536 per user),
/// below 2^31. Two instances sharing a uid by a hash collision still share no file (each sees the host's tree
/// read-only and its own writable directories) and no process (separate pid namespaces; a VMM has no shell).
/// </summary>
public static class InstanceUser
{
    public const uint FirstUid = 0x7000_0000;

    public static uint UidOf(string instanceId)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(instanceId));
        return FirstUid + (uint)(hash[0] << 16 | hash[1] << 8 | hash[2]);
    }
}
