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
 * fd 1 receives "<vnf pid> <supervisor pid>" on success or "error: <message>" on failure.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_CGROUPS 16

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
    int ncg = 0, i, newnet = 0;

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
        else { report("error: unknown option %s", argv[i]); return 2; }
    }
    if (i >= argc) { report("error: no command after --"); return 2; }
    char **cmd = &argv[i];

    /* -t: the log and its index are opened here, in the caller's mount namespace, before anything is entered. */
    int logpipe[2] = {-1, -1}, logfd = -1, idxfd = -1;
    if (indexfile) {
        logfd = open(logfile, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
        idxfd = open(indexfile, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
        if (logfd < 0 || idxfd < 0) { report("error: open %s: %s", logfd < 0 ? logfile : indexfile, strerror(errno)); return 1; }
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
        if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0) child_fail(errpipe[1], "mount", "/proc");
        if (hostname && sethostname(hostname, strlen(hostname)) < 0) child_fail(errpipe[1], "sethostname", hostname);
        int in = open("/dev/null", O_RDONLY);
        int out = indexfile ? logpipe[1] : open(logfile, O_WRONLY | O_CREAT | O_APPEND, 0640);
        if (in < 0 || out < 0) child_fail(errpipe[1], "open log", logfile);
        dup2(in, 0);
        dup2(out, 1);
        dup2(out, 2);
        if (in > 2) close(in);
        if (out > 2) close(out);
        if (chdir(workdir) < 0) child_fail(errpipe[1], "chdir", workdir);
        /* Nothing of the caller's (pipes, sockets) may leak into the VNF. */
        syscall(SYS_close_range, 3U, ~0U, 4U /* CLOSE_RANGE_CLOEXEC */);
        signal(SIGPIPE, SIG_DFL);
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
        /* Written to a temporary name and renamed, so a reader never sees half a line. */
        char line[64], tmp[4096];
        if (WIFEXITED(status)) snprintf(line, sizeof line, "exited %d\n", WEXITSTATUS(status));
        else snprintf(line, sizeof line, "killed %d\n", WTERMSIG(status));
        snprintf(tmp, sizeof tmp, "%s.tmp", exitfile);
        int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd >= 0) {
            ssize_t w = write(fd, line, strlen(line));
            (void)w;
            close(fd);
            rename(tmp, exitfile);
        }
    }
    return 0;
}
