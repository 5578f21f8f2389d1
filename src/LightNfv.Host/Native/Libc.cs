using System.Runtime.InteropServices;

namespace LightNfv.Host.Native;

/// <summary>
/// Every libc call LightNFV makes, and the only [LibraryImport]s in the code (a test in LightNfv.Host.Tests keeps it
/// so): one place to see what the platform asks of the kernel. Callers outside LightNfv.Host use the public wrappers
/// beside the feature that needs them. Errno is read with Marshal.GetLastPInvokeError and raised through <see cref="Errno"/>.
/// </summary>
internal static unsafe partial class Libc
{
    private const string Lib = "libc";

    public const int CLONE_NEWNS = 0x00020000;
    public const int CLONE_NEWUTS = 0x04000000;
    public const int CLONE_NEWIPC = 0x08000000;
    public const int CLONE_NEWNET = 0x40000000;
    public const int CLONE_NEWPID = 0x20000000;
    public const int CLONE_FS = 0x00000200;

    public const int O_RDONLY = 0, O_WRONLY = 1, O_RDWR = 2, O_CREAT = 0x40, O_EXCL = 0x80, O_TRUNC = 0x200, O_APPEND = 0x400, O_CLOEXEC = 0x80000, O_NONBLOCK = 0x800;

    public const ulong MS_BIND = 4096, MS_REC = 16384, MS_SHARED = 1 << 20, MS_PRIVATE = 1 << 18, MS_SLAVE = 1 << 19;
    public const int MNT_DETACH = 2;

    public const int EPERM = 1, ENOENT = 2, ESRCH = 3, EINTR = 4, ENXIO = 6, ECHILD = 10, EAGAIN = 11, EACCES = 13, EBUSY = 16, EEXIST = 17;
    public const int ENOTDIR = 20, EINVAL = 22, ENOSPC = 28, EROFS = 30, ENOTEMPTY = 39, EOPNOTSUPP = 95;
    public const int EINPROGRESS = 115, ECONNREFUSED = 111, EALREADY = 114, EISCONN = 106, ENOBUFS = 105;

    /// <summary>A full Linux bridge's answer to one more port (the kernel's text for it is "Exchange full").</summary>
    public const int EXFULL = 54;

    public const int SIGKILL = 9, SIGTERM = 15;

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int setns(SafeHandle fd, int nstype);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int unshare(int flags);

    /// <summary>argv and envp: NULL-terminated arrays of NUL-terminated UTF-8 strings.</summary>
    [LibraryImport(Lib, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int execve(string path, nint* argv, nint* envp);

    [LibraryImport(Lib, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int open(string path, int flags, int mode);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int close(int fd);

    // Files and directories through libc rather than File/Directory where the exact errno matters: on cgroupfs it
    // tells EBUSY (still populated) from ENOENT (gone) from EINVAL (value rejected).
    [LibraryImport(Lib, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int mkdir(string path, uint mode);

    [LibraryImport(Lib, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int rmdir(string path);

    [LibraryImport(Lib, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int unlink(string path);

    public const uint MFD_CLOEXEC = 1, MFD_ALLOW_SEALING = 2;
    public const int F_ADD_SEALS = 1033, F_GET_SEALS = 1034;
    public const int F_SEAL_SEAL = 1, F_SEAL_SHRINK = 2, F_SEAL_GROW = 4, F_SEAL_WRITE = 8;

    [LibraryImport(Lib, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int memfd_create(string name, uint flags);

    [LibraryImport(Lib, EntryPoint = "fcntl", SetLastError = true)]
    public static partial int fcntl_int(SafeHandle fd, int command, int argument);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int ioctl(SafeHandle fd, ulong request, void* argument);

    /// <summary>For requests whose argument is a number, not a pointer (KVM_CREATE_VCPU, KVM_RUN).</summary>
    [LibraryImport(Lib, SetLastError = true)]
    public static partial int ioctl(SafeHandle fd, ulong request, nint argument);

    public const int EFD_CLOEXEC = 0x80000, EFD_NONBLOCK = 0x800;

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int eventfd(uint initval, int flags);

    public const int PROT_READ = 1, PROT_WRITE = 2, MAP_SHARED = 1, MAP_PRIVATE = 2, MAP_ANONYMOUS = 0x20, MAP_NORESERVE = 0x4000;

    [LibraryImport(Lib, SetLastError = true)]
    public static partial nint mmap(nint addr, nuint length, int prot, int flags, int fd, long offset);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int munmap(nint addr, nuint length);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int mincore(nint addr, nuint length, byte* vec);

    public const int MCL_CURRENT = 1, MCL_FUTURE = 2, MCL_ONFAULT = 4;

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int mlockall(int flags);

    [LibraryImport(Lib, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int mount(string? source, string target, string? fstype, ulong flags, string? data);

    [LibraryImport(Lib, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int umount2(string target, int flags);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int gettid();

    public const int LOCK_EX = 2;

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int flock(SafeHandle fd, int operation);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int kill(int pid, int sig);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int tgkill(int tgid, int tid, int sig);

    public const int PR_SET_TIMERSLACK = 29, PR_SET_CHILD_SUBREAPER = 36;

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int prctl(int option, nuint arg2, nuint arg3, nuint arg4, nuint arg5);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial long syscall(long number, long a1, long a2, long a3, long a4);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int socket(int domain, int type, int protocol);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int bind(SafeHandle fd, void* addr, int addrlen);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int connect(SafeHandle fd, void* addr, int addrlen);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial nint send(SafeHandle fd, void* buf, nuint len, int flags);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial nint recv(SafeHandle fd, void* buf, nuint len, int flags);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int getsockopt(SafeHandle fd, int level, int optname, void* optval, int* optlen);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int setsockopt(SafeHandle fd, int level, int optname, void* optval, int optlen);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int ppoll(PollFd* fds, nuint nfds, TimeSpec* timeout, void* sigmask);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int pipe2(int* fds, int flags);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial nint sendmsg(SafeHandle fd, MsgHdr* msg, int flags);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int sched_getcpu();

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int sched_getaffinity(int pid, nuint size, byte* mask);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int sched_setaffinity(int pid, nuint size, byte* mask);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int socketpair(int domain, int type, int protocol, int* fds);

    public const int AF_UNIX = 1, SOCK_SEQPACKET = 5, SOCK_CLOEXEC = 0x80000;

    [LibraryImport(Lib, SetLastError = true)]
    public static partial nint read(int fd, void* buf, nuint count);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial nint write(int fd, void* buf, nuint count);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int waitpid(int pid, int* status, int options);

    [LibraryImport(Lib)]
    public static partial int posix_spawn_file_actions_init(void* actions);

    [LibraryImport(Lib)]
    public static partial int posix_spawn_file_actions_destroy(void* actions);

    [LibraryImport(Lib)]
    public static partial int posix_spawn_file_actions_adddup2(void* actions, int fd, int newfd);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int posix_spawn_file_actions_addclose(void* actions, int fd);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int posix_spawn_file_actions_addopen(void* actions, int fd, string path, int oflag, int mode);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int posix_spawn(int* pid, string path, void* fileActions, void* attr, byte** argv, byte** envp);

    public const short POSIX_SPAWN_SETSID = 0x80;

    [LibraryImport(Lib)]
    public static partial int posix_spawnattr_init(void* attr);

    [LibraryImport(Lib)]
    public static partial int posix_spawnattr_destroy(void* attr);

    [LibraryImport(Lib)]
    public static partial int posix_spawnattr_setflags(void* attr, short flags);

    [StructLayout(LayoutKind.Sequential)]
    public struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    /// <summary>struct msghdr (x86-64 and arm64 glibc).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct MsgHdr
    {
        public void* Name;
        public uint NameLength;
        public IoVec* Iov;
        public nuint IovLength;
        public void* Control;
        public nuint ControlLength;
        public int Flags;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct IoVec
    {
        public void* Base;
        public nuint Length;
    }

    /// <summary>struct cmsghdr carrying one descriptor (SCM_RIGHTS): CMSG_SPACE(sizeof(int)) is 24 bytes on 64-bit Linux.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct CmsgOneFd
    {
        public nuint Length; // CMSG_LEN(sizeof(int)) = 20
        public int Level;
        public int Type;
        public int Fd;
        public int Padding;
    }

    public const int SCM_RIGHTS = 1, MSG_NOSIGNAL = 0x4000, MSG_DONTWAIT = 0x40;

    [StructLayout(LayoutKind.Sequential)]
    public struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    /// <summary>getsockopt(SOL_SOCKET, SO_PEERCRED): who is at the other end of a unix socket, as the kernel saw it at connect.</summary>
    public const int SOL_SOCKET = 1, SO_PEERCRED = 17;

    [StructLayout(LayoutKind.Sequential)]
    public struct UCred
    {
        public int Pid;
        public uint Uid;
        public uint Gid;
    }

    public const short POLLIN = 1, POLLOUT = 4, POLLERR = 8, POLLHUP = 16;

    public const long SYS_pidfd_open = 434, SYS_pidfd_send_signal = 424;
}
