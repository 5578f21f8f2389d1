/*
 * lnfv-spawn: starts one VNF process inside its own namespaces and cgroup.
 *
 * Why C: the steps between fork and exec (setns, unshare, joining the cgroup, mounting /proc in the new
 * pid namespace) cannot run in a forked .NET process. This helper does exactly those steps and nothing
 * else; all policy stays in C#. It is static so that exec costs no dynamic loading (about 0.3 ms saved).
 *
 * Process tree:  caller --posix_spawn--> S (supervisor, setsid) --fork--> V (pid 1 of its pid namespace, execs the VNF)
 * S reports V's host pid on fd 1, detaches from the caller's pipe, then waits for V and records how it ended in
 * the exit file (like conmon). Whoever ends the VNF reaps S (the caller, if still alive; else init).
 *
 * usage: lnfv-spawn [-n netns | -N] [-c cgroup.procs]... [-h hostname] [-l logfile [-t indexfile]] [-x exitfile] [-w dir] -- argv...
 *   -n PATH  join an existing network namespace (a restart)
 *   -N       make a new one; its holder's pid is reported first ("ns <pid>") so the caller can pin and wire it
 *            while the VNF execs: network setup overlaps the VNF's own start-up instead of preceding it.
 *   -t PATH  tend the log (like docker's shim, but one that outlives any daemon): V's stdout and stderr go to a pipe that
 *            S reads, appending the bytes unchanged to the log and, per line, a 16-byte record (int64 log offset of the
 *            line's first byte, int64 unix time in ns when S read it) to PATH. S reads until the pipe closes (V and
 *            everything in its pid namespace are gone), then reaps V: when the exit file appears, the log is complete.
 *   -u UID:GID  least privilege (all of the following apply only with -u): V runs as UID:GID with no supplementary groups
 *            (ports below 1024 stay open to it in its own network namespace: ip_unprivileged_port_start=0),
 *            keeps only the capabilities in -k, sets no_new_privs, sees the host's filesystem read-only (one recursive
 *            mount_setattr in its own mount namespace) with fresh tmpfs on /tmp, /run and /dev/shm and each -d DIR made,
 *            owned by UID:GID and bind-mounted writable, and execs under the seccomp filter of -s.
 *   -k MASK  capabilities V keeps, as a hex mask (bit n = capability n of capabilities(7)): bounding, permitted,
 *            effective, inheritable and ambient (ambient is how a non-root uid keeps them across exec).
 *   -d SRC:DEST  a host directory V may write (repeatable), made if missing and owned by UID:GID, bind-mounted at DEST
 *            (under /run, the VNF's tmpfs: the host path need not be reachable by UID).
 *   -s SPEC  seccomp deny-list "ARCH,ARCH:ERRNO:NAME,NAME,...": every named call fails with ERRNO on every listed
 *            architecture (libseccomp names: x86_64, x86, x32, aarch64, arm), all others are allowed. The caller
 *            derives it from the containers' OCI profile, so both get the same filter (libseccomp, like crun and runc);
 *            names this libseccomp does not know are skipped, as runc does.
 *   -S FILE  keep the compiled -s program in FILE and reuse it (the caller names it after the spec).
 * fd 1 receives "<vnf pid> <supervisor pid>" on success or "error: <message>" on failure.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_CGROUPS 16
#define MAX_DIRS 8

static void report(const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf - 1, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if (n > (int)sizeof buf - 2) n = sizeof buf - 2;
    buf[n++] = '\n';
    ssize_t w = write(1, buf, n);
    (void)w;
}

static int write_all(int fd, const void *p, size_t len)
{
    const char *c = p;
    while (len > 0) {
        ssize_t w = write(fd, c, len);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        c += w;
        len -= (size_t)w;
    }
    return 0;
}

/* S's loop for -t: one clock read per pipe read, so lines that arrive together share a time (docker's shim does the
   same per read). Index records are written before the bytes they describe: a reader that sees a line sees its time. */
static void tend(int in, int logfd, int idxfd)
{
    static char buf[65536];
    static long long recs[2 * 1024];
    int at_line_start = 1;
    for (;;) {
        ssize_t n = read(in, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        long long ns = (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
        long long off = (long long)lseek(logfd, 0, SEEK_END);
        int nrec = 0;
        for (ssize_t i = 0; i < n; i++) {
            if (at_line_start) {
                recs[2 * nrec] = off + i;
                recs[2 * nrec + 1] = ns;
                if (++nrec == 1024) { (void)write_all(idxfd, recs, sizeof recs); nrec = 0; }
            }
            at_line_start = buf[i] == '\n';
        }
        if (nrec > 0) (void)write_all(idxfd, recs, (size_t)nrec * 16);
        (void)write_all(logfd, buf, (size_t)n);
    }
}

static int write_file(const char *path, const char *value)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t len = (ssize_t)strlen(value);
    ssize_t w = write(fd, value, len);
    int saved = errno;
    close(fd);
    errno = saved;
    return w == len ? 0 : -1;
}

/* -s: the deny-list compiled by libseccomp (like crun and runc), by S before anything is entered. libseccomp takes
   about 1.2 ms for the containers' list on three architectures here, so with -S the program is kept in a file and
   later spawns only read it; V loads it last (it blocks mount and friends that the steps before need). */
static int read_filter(int fd, struct sock_fprog *fp)
{
    static struct sock_filter prog[BPF_MAXINSNS];
    ssize_t n = pread(fd, prog, sizeof prog, 0);
    if (n <= 0 || n % sizeof prog[0]) { errno = EINVAL; return -1; }
    fp->len = (unsigned short)(n / sizeof prog[0]);
    fp->filter = prog;
    return 0;
}

static int compile_seccomp(char *spec, const char *cache, struct sock_fprog *fp, const char **what)
{
    if (cache) {
        int fd = open(cache, O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
            int rc = read_filter(fd, fp);
            close(fd);
            if (rc == 0) return 0;
        }
    }
    char *arches = spec, *code = strchr(spec, ':'), *names;
    if (!code || !(names = strchr(code + 1, ':'))) { *what = "seccomp spec (ARCHES:ERRNO:NAMES)"; errno = EINVAL; return -1; }
    *code++ = 0;
    *names++ = 0;
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
    if (!ctx) { *what = "seccomp_init"; errno = ENOMEM; return -1; }
    int rc = 0;
    for (char *a = strtok(arches, ","); a && rc == 0; a = strtok(NULL, ",")) {
        uint32_t arch = seccomp_arch_resolve_name(a);
        if (arch == 0) { *what = a; rc = -EINVAL; break; }
        rc = seccomp_arch_add(ctx, arch);
        if (rc == -EEXIST) rc = 0; /* the native one is there from seccomp_init */
        if (rc < 0) *what = a;
    }
    int err = atoi(code);
    for (char *n = strtok(names, ","); n && rc == 0; n = strtok(NULL, ",")) {
        int nr = seccomp_syscall_resolve_name(n);
        if (nr == __NR_SCMP_ERROR) continue;
        rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(err), nr, 0);
        if (rc < 0) *what = n;
    }
    /* Exported to a memory file, then copied to the cache under a temporary name and renamed: readers see all or none. */
    int fd = -1;
    if (rc == 0) {
        fd = memfd_create("lnfv-seccomp", MFD_CLOEXEC);
        if (fd < 0) rc = -errno;
        else if ((rc = seccomp_export_bpf(ctx, fd)) < 0) *what = "seccomp_export_bpf";
    }
    seccomp_release(ctx);
    if (rc == 0 && read_filter(fd, fp) < 0) { rc = -errno; *what = "seccomp_export_bpf"; }
    if (fd >= 0) close(fd);
    if (rc < 0) { errno = -rc; return -1; }
    if (cache) {
        char tmp[4096];
        snprintf(tmp, sizeof tmp, "%s.%d", cache, (int)getpid());
        int out = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (out >= 0) {
            int ok = write_all(out, fp->filter, fp->len * sizeof fp->filter[0]) == 0;
            close(out);
            if (!ok || rename(tmp, cache) < 0) unlink(tmp); /* only a cache: the next spawn compiles again */
        }
    }
    return 0;
}

/* -u: everything that needs root (mounts, chown) happens first; then the uid, capabilities and no_new_privs. */
static int drop_privileges(uid_t uid, gid_t gid, unsigned long long keep, const char **what)
{
    int last = 63;
    while (last > 0 && prctl(PR_CAPBSET_READ, last, 0, 0, 0) < 0) last--;
    for (int c = 0; c <= last; c++)
        if (!(keep >> c & 1) && prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0) { *what = "drop capability from the bounding set"; return -1; }
    /* Keep the permitted set across setuid, or the declared capabilities would be gone before capset. */
    if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0) { *what = "keepcaps"; return -1; }
    if (setgroups(0, NULL) < 0) { *what = "setgroups"; return -1; }
    if (setresgid(gid, gid, gid) < 0) { *what = "setresgid"; return -1; }
    if (setresuid(uid, uid, uid) < 0) { *what = "setresuid"; return -1; }
    struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
    struct __user_cap_data_struct d[2];
    for (int i = 0; i < 2; i++) {
        d[i].effective = d[i].permitted = d[i].inheritable = (uint32_t)(keep >> (32 * i));
    }
    if (syscall(SYS_capset, &h, d) < 0) { *what = "capset"; return -1; }
    for (int c = 0; c <= last; c++)
        if ((keep >> c & 1) && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) < 0) { *what = "raise ambient capability"; return -1; }
    if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0) { *what = "keepcaps"; return -1; }
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) { *what = "no_new_privs"; return -1; }
    return 0;
}

/* -u: the host's tree read-only, private writable tmpfs where programs expect them, and the instance's own dirs. */
static int confine_filesystem(uid_t uid, gid_t gid, char **dirs, int ndirs, const char **what)
{
    /* Made on the host first (the state directory is root's only: the VNF reaches its dir through the bind below), and
       cloned as detached mounts now: the source may lie under /tmp or /run, which the tmpfs below hide. */
    int trees[MAX_DIRS];
    for (int i = 0; i < ndirs; i++) {
        *what = dirs[i];
        char *dest = strchr(dirs[i], ':');
        if (!dest || strncmp(dest + 1, "/run/", 5) != 0) { errno = EINVAL; return -1; }
        *dest = 0;
        if (mkdir(dirs[i], 0700) < 0 && errno != EEXIST) return -1;
        if (lchown(dirs[i], uid, gid) < 0) return -1;
        if ((trees[i] = open_tree(AT_FDCWD, dirs[i], OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC)) < 0) return -1;
        *dest = ':';
    }
    struct mount_attr ro = { .attr_set = MOUNT_ATTR_RDONLY };
    *what = "/ (read-only)";
    if (mount_setattr(AT_FDCWD, "/", AT_RECURSIVE, &ro, sizeof ro) < 0) return -1;
    /* Sized like the containers' mounts; what the VNF writes there is charged to its memory cgroup. */
    static const struct { const char *path, *opts; } tmp[] = {
        { "/tmp", "mode=1777,size=16m" }, { "/run", "mode=755,size=4m" }, { "/dev/shm", "mode=1777,size=64m" },
    };
    for (size_t i = 0; i < sizeof tmp / sizeof tmp[0]; i++) {
        char opts[128];
        snprintf(opts, sizeof opts, "%s,uid=%u,gid=%u", tmp[i].opts, (unsigned)uid, (unsigned)gid);
        *what = tmp[i].path;
        if (mount("tmpfs", tmp[i].path, "tmpfs", MS_NOSUID | MS_NODEV, opts) < 0) return -1;
    }
    /* The clones were detached during the read-only pass; clearing the flag anyway costs one call and no doubt. */
    struct mount_attr rw = { .attr_set = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, .attr_clr = MOUNT_ATTR_RDONLY };
    for (int i = 0; i < ndirs; i++) {
        char *dest = strchr(dirs[i], ':');
        *dest++ = 0;
        *what = dest;
        if (mkdir(dest, 0700) < 0 && errno != EEXIST) return -1;
        if (lchown(dest, uid, gid) < 0) return -1;
        if (move_mount(trees[i], "", AT_FDCWD, dest, MOVE_MOUNT_F_EMPTY_PATH) < 0) return -1;
        close(trees[i]);
        if (mount_setattr(AT_FDCWD, dest, 0, &rw, sizeof rw) < 0) return -1;
    }
    return 0;
}

/* In V: failures go to the error pipe, then V exits; S turns them into the report line. */
static void child_fail(int errfd, const char *what, const char *arg)
{
    char buf[512];
    int n = snprintf(buf, sizeof buf, "%s %s: %s", what, arg, strerror(errno));
    if (n > 0) { ssize_t w = write(errfd, buf, n > (int)sizeof buf ? (int)sizeof buf : n); (void)w; }
    _exit(127);
}

int main(int argc, char **argv)
{
    const char *netns = NULL, *mntns = NULL, *hostname = NULL, *logfile = "/dev/null", *exitfile = NULL, *workdir = "/", *indexfile = NULL;
    const char *cgroups[MAX_CGROUPS];
    char *dirs[MAX_DIRS];
    int ncg = 0, ndirs = 0, i, newnet = 0, confine = 0;
    uid_t uid = 0;
    gid_t gid = 0;
    unsigned long long keep = 0;
    char *seccomp = NULL;
    const char *seccomp_cache = NULL;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0) { i++; break; }
        if (strcmp(argv[i], "-N") == 0) { newnet = 1; continue; }
        if (i + 1 >= argc) { report("error: option %s needs a value", argv[i]); return 2; }
        if (strcmp(argv[i], "-n") == 0) netns = argv[++i];
        else if (strcmp(argv[i], "-m") == 0) mntns = argv[++i];
        else if (strcmp(argv[i], "-c") == 0) { if (ncg == MAX_CGROUPS) { report("error: too many -c"); return 2; } cgroups[ncg++] = argv[++i]; }
        else if (strcmp(argv[i], "-h") == 0) hostname = argv[++i];
        else if (strcmp(argv[i], "-l") == 0) logfile = argv[++i];
        else if (strcmp(argv[i], "-x") == 0) exitfile = argv[++i];
        else if (strcmp(argv[i], "-t") == 0) indexfile = argv[++i];
        else if (strcmp(argv[i], "-w") == 0) workdir = argv[++i];
        else if (strcmp(argv[i], "-u") == 0) {
            unsigned u, g;
            char end;
            if (sscanf(argv[++i], "%u:%u%c", &u, &g, &end) != 2 || u == 0) { report("error: -u wants UID:GID with a non-zero UID, got %s", argv[i]); return 2; }
            uid = u;
            gid = g;
            confine = 1;
        }
        else if (strcmp(argv[i], "-k") == 0) keep = strtoull(argv[++i], NULL, 16);
        else if (strcmp(argv[i], "-d") == 0) { if (ndirs == MAX_DIRS) { report("error: too many -d"); return 2; } dirs[ndirs++] = argv[++i]; }
        else if (strcmp(argv[i], "-s") == 0) seccomp = argv[++i];
        else if (strcmp(argv[i], "-S") == 0) seccomp_cache = argv[++i];
        else { report("error: unknown option %s", argv[i]); return 2; }
    }
    if (i >= argc) { report("error: no command after --"); return 2; }
    if (!confine && (keep || ndirs || seccomp)) { report("error: -k, -d and -s need -u"); return 2; }
    struct sock_fprog filter = { 0, NULL };
    if (seccomp) {
        const char *what = "";
        if (compile_seccomp(seccomp, seccomp_cache, &filter, &what) < 0) { report("error: seccomp: %s: %s", what, strerror(errno)); return 1; }
    }
    char **cmd = &argv[i];

    /* -t: the log and its index are opened here, in the caller's mount namespace, before anything is entered.
       Without -t too: a file opened for writing inside V's mount namespace would make the read-only pass (-u) fail
       with EBUSY. */
    int logpipe[2] = {-1, -1}, idxfd = -1, exitdir = AT_FDCWD;
    if (exitfile && strrchr(exitfile, '/')) {
        char dir[4096];
        snprintf(dir, sizeof dir, "%.*s", (int)(strrchr(exitfile, '/') - exitfile), exitfile);
        exitdir = open(dir[0] ? dir : "/", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (exitdir < 0) { report("error: open %s: %s", dir, strerror(errno)); return 1; }
    }
    int logfd = open(logfile, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (logfd < 0) { report("error: open %s: %s", logfile, strerror(errno)); return 1; }
    if (indexfile) {
        idxfd = open(indexfile, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
        if (idxfd < 0) { report("error: open %s: %s", indexfile, strerror(errno)); return 1; }
        if (pipe2(logpipe, O_CLOEXEC) < 0) { report("error: pipe: %s", strerror(errno)); return 1; }
    }

    /* S: its own session, so the caller's terminal signals (Ctrl-C) never reach the VNF. */
    setsid();
    if (netns) {
        int fd = open(netns, O_RDONLY | O_CLOEXEC);
        if (fd < 0) { report("error: open %s: %s", netns, strerror(errno)); _exit(1); }
        if (setns(fd, CLONE_NEWNET) < 0) { report("error: setns %s: %s", netns, strerror(errno)); _exit(1); }
        close(fd);
    }
    /* Start from a lean mount namespace: unshare copies every mount of the one it leaves, and the host's holds one
       netns pin per instance. Only an optimisation: if the template is gone (a concurrent `down`), copy the host's. */
    if (mntns) {
        int fd = open(mntns, O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
            (void)setns(fd, CLONE_NEWNS); /* on failure the namespace is unchanged */
            close(fd);
        }
    }
    if (unshare(CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | (newnet ? CLONE_NEWNET : 0)) < 0) {
        report("error: unshare: %s", strerror(errno));
        _exit(1);
    }
    if (newnet) report("ns %d", (int)getpid());
    int errpipe[2];
    if (pipe2(errpipe, O_CLOEXEC) < 0) { report("error: pipe: %s", strerror(errno)); _exit(1); }

    pid_t v = fork();
    if (v < 0) { report("error: fork: %s", strerror(errno)); _exit(1); }
    if (v == 0) {
        /* V: pid 1 of the new pid namespace. Join the cgroup first, so every byte and pid is accounted. */
        close(errpipe[0]);
        for (int c = 0; c < ncg; c++)
            if (write_file(cgroups[c], "0") < 0) child_fail(errpipe[1], "join cgroup", cgroups[c]);
        /* Slave propagation: host unmounts still reach us; our mounts never reach the host. */
        if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0) child_fail(errpipe[1], "make mounts slave", "/");
        /* Drop our copies of other instances' netns pins, or they would keep those namespaces alive. */
        umount2("/run/netns", MNT_DETACH);
        int in = open("/dev/null", O_RDONLY);
        int out = indexfile ? logpipe[1] : logfd;
        if (in < 0 || out < 0) child_fail(errpipe[1], "open log", logfile);
        const char *what = "";
        /* The program is opened now: a path under the host's /tmp or /run must still run once those are private. */
        int prog = confine && strchr(cmd[0], '/') ? open(cmd[0], O_PATH | O_CLOEXEC) : -1;
        if (confine && confine_filesystem(uid, gid, dirs, ndirs, &what) < 0) child_fail(errpipe[1], "confine filesystem", what);
        /* After the read-only pass: the VNF's own /proc stays writable where procfs allows it (its own oom_score_adj). */
        if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0) child_fail(errpipe[1], "mount", "/proc");
        /* Any port in its own network namespace, as docker does: a VNF on port 7 or 53 needs no NET_BIND_SERVICE. */
        if (confine && write_file("/proc/sys/net/ipv4/ip_unprivileged_port_start", "0") < 0)
            child_fail(errpipe[1], "write", "/proc/sys/net/ipv4/ip_unprivileged_port_start");
        if (hostname && sethostname(hostname, strlen(hostname)) < 0) child_fail(errpipe[1], "sethostname", hostname);
        dup2(in, 0);
        dup2(out, 1);
        dup2(out, 2);
        if (in > 2) close(in);
        if (out > 2) close(out);
        if (chdir(workdir) < 0) child_fail(errpipe[1], "chdir", workdir);
        /* Nothing of the caller's (pipes, sockets) may leak into the VNF. */
        syscall(SYS_close_range, 3U, ~0U, 4U /* CLOSE_RANGE_CLOEXEC */);
        signal(SIGPIPE, SIG_DFL);
        if (confine && drop_privileges(uid, gid, keep, &what) < 0) child_fail(errpipe[1], "drop privileges:", what);
        if (seccomp && syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &filter) < 0) child_fail(errpipe[1], "seccomp:", "load");
        /* A script run through /dev/fd/N would find its descriptor closed on exec (ENOENT): then by path. */
        if (prog >= 0 && (execveat(prog, "", cmd, environ, AT_EMPTY_PATH) == 0 || errno != ENOENT)) child_fail(errpipe[1], "exec", cmd[0]);
        execvp(cmd[0], cmd);
        child_fail(errpipe[1], "exec", cmd[0]);
    }

    close(errpipe[1]);
    if (indexfile) close(logpipe[1]);
    char err[512];
    ssize_t n;
    do { n = read(errpipe[0], err, sizeof err - 1); } while (n < 0 && errno == EINTR);
    close(errpipe[0]);
    if (n > 0) {
        err[n] = 0;
        report("error: %s", err);
        waitpid(v, NULL, 0);
        _exit(1);
    }
    report("%d %d", (int)v, (int)getpid());

    /* Detach from the caller's pipe: it waits for EOF only until the line above. */
    int devnull = open("/dev/null", O_RDWR);
    if (devnull >= 0) { dup2(devnull, 0); dup2(devnull, 1); dup2(devnull, 2); if (devnull > 2) close(devnull); }
    signal(SIGINT, SIG_IGN);
    signal(SIGHUP, SIG_IGN);

    if (indexfile) {
        tend(logpipe[0], logfd, idxfd);
        close(logpipe[0]);
        close(logfd);
        close(idxfd);
    }

    int status;
    while (waitpid(v, &status, 0) < 0 && errno == EINTR) {}
    if (exitfile) {
        /* Written to a temporary name and renamed, so a reader never sees half a line; relative to the directory opened
           before the unshare, whose mount stays writable when V's copy of it turned read-only (-u). */
        char line[64], tmp[4096];
        if (WIFEXITED(status)) snprintf(line, sizeof line, "exited %d\n", WEXITSTATUS(status));
        else snprintf(line, sizeof line, "killed %d\n", WTERMSIG(status));
        const char *base = strrchr(exitfile, '/') ? strrchr(exitfile, '/') + 1 : exitfile;
        snprintf(tmp, sizeof tmp, "%s.tmp", base);
        int fd = openat(exitdir, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd >= 0) {
            ssize_t w = write(fd, line, strlen(line));
            (void)w;
            close(fd);
            renameat(exitdir, tmp, exitdir, base);
        }
    }
    return 0;
}
