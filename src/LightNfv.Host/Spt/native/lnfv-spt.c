/*
 * lnfv-spt: runs the LightNFV unikernel guest (guest/unikernel, built with bindings/spt.c) as a sandboxed Linux
 * process, for hosts without /dev/kvm; the idea of Solo5's spt tender ("Unikernels as Processes", SoCC 2018).
 *
 *   lnfv-spt --mem=MiB --tap-fd=N --ip=A --gateway=G --mac=M --port=P --app=NAME [--cgroup-procs=FILE]... guest.elf
 *   lnfv-spt --mem=MiB --tap-fd=N --mac=M --control=FIFO [--cgroup-procs=FILE]... guest.elf      (a warm guest)
 *   lnfv-spt --mem=MiB --start-fd=N --ip=A --gateway=G --mac=M --port=P --app=NAME guest.elf         (a cold start in halves)
 *
 * --start-fd: a SOCK_SEQPACKET socket to the platform, for a cold start in two halves. The tender is spawned before its
 * tap and cgroup exist, so that its exec and libc start-up (about half a millisecond here) overlap the platform making
 * them. It reserves guest memory and its signal stack, then waits for one message: "go\n" and the cgroup.procs files
 * to join, one per line, with the tap's descriptor attached (SCM_RIGHTS). It answers "R" once the guest is loaded,
 * just before it seals itself. End of file instead of the message ends the tender (exit 1): the start was abandoned.
 *
 * A warm guest boots without an address or application and parks in its first wait (blocked in epoll_pwait, no CPU)
 * until its identity arrives: the tender makes FIFO (mode 0600; it must not exist), opens it at descriptor 5 and adds
 * it to the epoll set once (EPOLLONESHOT); the claimer writes one struct spt_claim (abi.h) to it, which the guest's
 * binding reads once.
 *
 * It joins the instance's cgroup (each --cgroup-procs file), maps guest memory at SPT_BASE (abi.h), loads the ELF's
 * PT_LOAD segments with their own protections (refusing any outside the guest range or writable and executable),
 * writes the boot info, moves the tap (made with IFF_VNET_HDR; it may pass coalesced TCP segments) to descriptor 3
 * and an epoll descriptor watching it to 4, closes every other descriptor above 2, sets no_new_privs, drops every
 * capability, installs a seccomp filter and jumps to the entry.
 *
 * The filter allows only: write/writev on the console (1, 2) or the tap, read on the tap, epoll_pwait on its epoll
 * descriptor, clock_gettime(CLOCK_MONOTONIC), exit_group; for a warm guest also read on the control FIFO (5) of
 * exactly sizeof(struct spt_claim) bytes (a cold guest's filter is unchanged: no descriptor 5 exists, none allowed). Another architecture or the x32 ABI kills the process.
 * Any other call traps (SECCOMP_RET_TRAP rather than KILL_PROCESS: the kernel then names the call in siginfo), and
 * the handler, which runs on the tender's own signal stack, writes "lnfv-spt: seccomp: forbidden system call N" to
 * the console and exits with 159 (128 + SIGSYS) through exit_group, the one call it is allowed.
 *
 * Exit codes: 2 for usage or ELF errors (one line on stderr), 1 for host failures before the guest runs, then the
 * guest's own (it has no exit call today: it runs until killed), or 159 after a forbidden system call.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "abi.h"

#define PAGE 4096UL
#define USAGE "usage: lnfv-spt --mem=MiB --tap-fd=N --mac=xx:xx:xx:xx:xx:xx (--ip=A.B.C.D --gateway=A.B.C.D --port=P --app=iperf3|echo | --control=FIFO) [--cgroup-procs=FILE]... guest.elf; or --start-fd=N in place of --tap-fd and --cgroup-procs"
#define EXIT_SIGSYS 159

_Static_assert(sizeof(struct spt_claim) == 16, "the claim is 16 bytes (SptTender.Claim writes it)");

static void usage_error(const char *fmt, const char *what)
{
    fprintf(stderr, "lnfv-spt: ");
    fprintf(stderr, fmt, what);
    fprintf(stderr, "; " USAGE "\n");
    exit(2);
}

__attribute__((format(printf, 2, 3))) static void elf_error(const char *path, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "lnfv-spt: %s: ", path);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    exit(2);
}

static void host_error(const char *what)
{
    fprintf(stderr, "lnfv-spt: %s: %s\n", what, strerror(errno));
    exit(1);
}

static long now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000L + t.tv_nsec;
}

/* The go message and the tap's descriptor with it. Spun for on a non-blocking receive for the first 10 ms (the
   platform sends it within about one): a vCPU that halts in a blocking read is woken by an IPI, which costs a few
   hundred microseconds on a nested VM. Returns the message's length (0: end of file); *fd_out is -1 if none came. */
static ssize_t recv_go(int fd, char *buf, size_t len, int *fd_out)
{
    union { struct cmsghdr h; char space[CMSG_SPACE(sizeof(int))]; } control;
    struct iovec iov = { .iov_base = buf, .iov_len = len };
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = &control, .msg_controllen = sizeof control };
    long until = now_ns() + 10000000L;
    int flags = MSG_DONTWAIT | MSG_CMSG_CLOEXEC;
    ssize_t n;
    for (unsigned i = 0;; i++) {
        n = recvmsg(fd, &msg, flags);
        if (n >= 0 || (errno != EAGAIN && errno != EINTR)) break;
        if (flags & MSG_DONTWAIT && (i & 63) == 0 && now_ns() > until) flags &= ~MSG_DONTWAIT;
        if (flags & MSG_DONTWAIT) __builtin_ia32_pause();
    }
    *fd_out = -1;
    if (n > 0 && !(msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC))) {
        struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
        if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS && c->cmsg_len == CMSG_LEN(sizeof(int)))
            memcpy(fd_out, CMSG_DATA(c), sizeof(int));
    }
    return n;
}

static int parse_ip(const char *s, u8 out[4])
{
    unsigned a, b, c, d;
    char end;
    if (sscanf(s, "%u.%u.%u.%u%c", &a, &b, &c, &d, &end) != 4 || a > 255 || b > 255 || c > 255 || d > 255) return -1;
    out[0] = (u8)a; out[1] = (u8)b; out[2] = (u8)c; out[3] = (u8)d;
    return 0;
}

static int parse_mac(const char *s, u8 out[6])
{
    unsigned m[6];
    char end;
    if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5], &end) != 6) return -1;
    for (int i = 0; i < 6; i++) out[i] = (u8)m[i];
    return 0;
}

static long parse_number(const char *s, long min, long max, const char *name)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < min || v > max) usage_error("%s is not a number in range", name);
    return v;
}

/* ---------------------------------------------------------------- ELF */

struct segment { unsigned long start, end; int prot; };

/* Loads the guest's PT_LOAD segments into the mapped range [SPT_LOAD_MIN, SPT_BASE + mem) and returns its entry. */
static unsigned long load_elf(const char *path, unsigned long mem)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) { fprintf(stderr, "lnfv-spt: %s: %s\n", path, strerror(errno)); exit(2); }
    off_t size = lseek(fd, 0, SEEK_END);
    Elf64_Ehdr eh;
    if (size < (off_t)sizeof eh || pread(fd, &eh, sizeof eh, 0) != (ssize_t)sizeof eh) elf_error(path, "too short for an ELF header");
    if (memcmp(eh.e_ident, ELFMAG, SELFMAG) || eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB)
        elf_error(path, "not a 64-bit little-endian ELF");
    if (eh.e_machine != EM_X86_64 || eh.e_type != ET_EXEC)
        elf_error(path, "not a static x86-64 executable (machine %u, type %u)", eh.e_machine, eh.e_type);
    if (eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum == 0 || eh.e_phnum > 16)
        elf_error(path, "unexpected program headers (%u of %u bytes)", eh.e_phnum, eh.e_phentsize);
    Elf64_Phdr ph[16];
    size_t phbytes = (size_t)eh.e_phnum * sizeof(Elf64_Phdr);
    if (eh.e_phoff > (unsigned long)size || pread(fd, ph, phbytes, (off_t)eh.e_phoff) != (ssize_t)phbytes)
        elf_error(path, "program headers past the end of the file");

    const unsigned long lo = SPT_LOAD_MIN, hi = SPT_BASE + mem;
    struct segment segs[16];
    int nsegs = 0, entry_ok = 0;
    for (int i = 0; i < eh.e_phnum; i++) {
        const Elf64_Phdr *p = &ph[i];
        if (p->p_type != PT_LOAD || p->p_memsz == 0) continue;
        if (p->p_vaddr < lo || p->p_memsz > hi - lo || p->p_vaddr > hi - p->p_memsz)
            elf_error(path, "the segment at 0x%lx (%lu bytes) falls outside the guest range 0x%lx-0x%lx", p->p_vaddr, p->p_memsz, lo, hi);
        if (p->p_filesz > p->p_memsz || p->p_offset > (unsigned long)size || p->p_filesz > (unsigned long)size - p->p_offset)
            elf_error(path, "the segment at 0x%lx is larger than the file (%lu bytes)", p->p_vaddr, p->p_filesz);
        if ((p->p_flags & PF_W) && (p->p_flags & PF_X))
            elf_error(path, "the segment at 0x%lx is writable and executable", p->p_vaddr);
        struct segment s = { p->p_vaddr & ~(PAGE - 1), (p->p_vaddr + p->p_memsz + PAGE - 1) & ~(PAGE - 1),
            ((p->p_flags & PF_R) ? PROT_READ : 0) | ((p->p_flags & PF_W) ? PROT_WRITE : 0) | ((p->p_flags & PF_X) ? PROT_EXEC : 0) };
        for (int j = 0; j < nsegs; j++)
            if (s.start < segs[j].end && segs[j].start < s.end)
                elf_error(path, "segments share a page at 0x%lx (and 0x%lx): their protections would clash", p->p_vaddr, segs[j].start);
        if (pread(fd, (void *)p->p_vaddr, p->p_filesz, (off_t)p->p_offset) != (ssize_t)p->p_filesz)
            host_error("reading the guest ELF");
        if ((p->p_flags & PF_X) && eh.e_entry >= p->p_vaddr && eh.e_entry < p->p_vaddr + p->p_memsz) entry_ok = 1;
        segs[nsegs++] = s;
    }
    if (!nsegs) elf_error(path, "no loadable segment");
    if (!entry_ok) elf_error(path, "the entry point 0x%lx is not in an executable segment", eh.e_entry);
    close(fd);
    /* Everything else stays read+write (stack, boot info, bss beyond the segments): never executable. */
    for (int i = 0; i < nsegs; i++)
        if (mprotect((void *)segs[i].start, segs[i].end - segs[i].start, segs[i].prot)) host_error("mprotect");
    return eh.e_entry;
}

/* ---------------------------------------------------------------- sandbox */

static void on_sigsys(int sig, siginfo_t *si, void *uc)
{
    (void)sig; (void)uc;
    /* Raw calls only (no libc state that the guest's memory writes could have disturbed): write and exit_group. */
    char msg[64] = "lnfv-spt: seccomp: forbidden system call ";
    size_t n = strlen(msg);
    char digits[12];
    int k = 0;
    unsigned v = (unsigned)si->si_syscall;
    do { digits[k++] = (char)('0' + v % 10); v /= 10; } while (v && k < 11);
    while (k) msg[n++] = digits[--k];
    msg[n++] = '\n';
    syscall(SYS_write, SPT_CONSOLE_FD, msg, n);
    syscall(SYS_exit_group, EXIT_SIGSYS);
}

/* A small BPF builder: each allowed call is one block that tests the number, then its first argument. */
static struct sock_filter prog[96];
static unsigned short plen;

static void emit(unsigned short code, unsigned char jt, unsigned char jf, unsigned k)
{
    prog[plen++] = (struct sock_filter){ code, jt, jf, k };
}

#define LD(off) emit(BPF_LD | BPF_W | BPF_ABS, 0, 0, (unsigned)(off))
#define RET(v) emit(BPF_RET | BPF_K, 0, 0, (v))

/* Allows call nr when args[0] (a descriptor, or a clock id) is one of values[0..n): high word zero, low word in set. */
static void allow_arg0_in(unsigned nr, const unsigned *values, unsigned char n)
{
    LD(offsetof(struct seccomp_data, nr));
    emit(BPF_JMP | BPF_JEQ | BPF_K, 0, (unsigned char)(5 + n), nr);          /* not this call: skip the block */
    LD(offsetof(struct seccomp_data, args[0]) + 4);
    emit(BPF_JMP | BPF_JEQ | BPF_K, 0, (unsigned char)(n + 1), 0);           /* high word set: trap */
    LD(offsetof(struct seccomp_data, args[0]));
    for (unsigned char k = 0; k < n; k++) emit(BPF_JMP | BPF_JEQ | BPF_K, (unsigned char)(n - k), 0, values[k]);
    RET(SECCOMP_RET_TRAP);
    RET(SECCOMP_RET_ALLOW);
}

/*
 * A warm guest's read: on the tap (any size, as a cold guest's), or on the control FIFO with exactly one claim's size
 * (the one read its binding makes); anything else traps.
 */
static void allow_read_tap_or_claim(void)
{
    LD(offsetof(struct seccomp_data, nr));
    emit(BPF_JMP | BPF_JEQ | BPF_K, 0, 11, SYS_read);                       /* not read: skip the block (13) */
    LD(offsetof(struct seccomp_data, args[0]) + 4);
    emit(BPF_JMP | BPF_JEQ | BPF_K, 0, 7, 0);                               /* descriptor's high word set: trap */
    LD(offsetof(struct seccomp_data, args[0]));
    emit(BPF_JMP | BPF_JEQ | BPF_K, 6, 0, SPT_TAP_FD);                      /* the tap: allow */
    emit(BPF_JMP | BPF_JEQ | BPF_K, 0, 4, SPT_CONTROL_FD);                  /* neither: trap */
    LD(offsetof(struct seccomp_data, args[2]) + 4);
    emit(BPF_JMP | BPF_JEQ | BPF_K, 0, 2, 0);                               /* count's high word set: trap */
    LD(offsetof(struct seccomp_data, args[2]));
    emit(BPF_JMP | BPF_JEQ | BPF_K, 1, 0, (unsigned)sizeof(struct spt_claim)); /* one claim: allow */
    RET(SECCOMP_RET_TRAP);
    RET(SECCOMP_RET_ALLOW);
}

static void install_filter(int warm)
{
    static const unsigned out[] = { 1, 2, SPT_TAP_FD }, tap[] = { SPT_TAP_FD }, ep[] = { SPT_EPOLL_FD }, mono[] = { CLOCK_MONOTONIC };
    LD(offsetof(struct seccomp_data, arch));
    emit(BPF_JMP | BPF_JEQ | BPF_K, 1, 0, AUDIT_ARCH_X86_64);
    RET(SECCOMP_RET_KILL_PROCESS);
    LD(offsetof(struct seccomp_data, nr));
    emit(BPF_JMP | BPF_JGE | BPF_K, 0, 1, 0x40000000 /* __X32_SYSCALL_BIT */);
    RET(SECCOMP_RET_KILL_PROCESS);
    allow_arg0_in(SYS_write, out, 3);
    allow_arg0_in(SYS_writev, out, 3);
    if (warm) allow_read_tap_or_claim();
    else allow_arg0_in(SYS_read, tap, 1);
    allow_arg0_in(SYS_epoll_pwait, ep, 1);
    allow_arg0_in(SYS_clock_gettime, mono, 1);
    LD(offsetof(struct seccomp_data, nr));
    emit(BPF_JMP | BPF_JEQ | BPF_K, 0, 1, SYS_exit_group);
    RET(SECCOMP_RET_ALLOW);
    RET(SECCOMP_RET_TRAP);
    struct sock_fprog fp = { plen, prog };
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fp)) host_error("seccomp");
}

static void drop_capabilities(void)
{
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) && errno != EINVAL) host_error("clearing ambient capabilities");
    /* The bounding set, while CAP_SETPCAP is still held: no exec could regain anything (no_new_privs also forbids it). */
    for (int cap = 0; cap < 64; cap++)
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) && errno != EINVAL) host_error("dropping the capability bounding set");
    struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
    struct __user_cap_data_struct d[2];
    memset(d, 0, sizeof d);
    if (syscall(SYS_capset, &h, d)) host_error("capset");
}

int main(int argc, char **argv)
{
    long mem_mib = -1, tap = -1, port = -1;
    int app = 0, have_ip = 0, have_gw = 0, have_mac = 0;
    struct boot_info info;
    memset(&info, 0, sizeof info);
    const char *elf = NULL, *tap_arg = NULL, *control = NULL;
    const char *cgroups[8];
    int ncgroups = 0;
    long start_fd = -1;
    static char go[4096];
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = strchr(a, '=');
        if (strncmp(a, "--", 2) != 0) {
            if (elf) usage_error("one guest ELF only, not also '%s'", a);
            elf = a;
            continue;
        }
        if (!v) usage_error("%s needs a value (--name=value)", a);
        v++;
        if (!strncmp(a, "--mem=", 6)) mem_mib = parse_number(v, 2, 1024, "--mem (MiB, 2 to 1024)");
        else if (!strncmp(a, "--tap-fd=", 9)) { tap = parse_number(v, 3, 1 << 20, "--tap-fd (3 or above)"); tap_arg = v; }
        else if (!strncmp(a, "--port=", 7)) port = parse_number(v, 1, 65535, "--port");
        else if (!strncmp(a, "--ip=", 5)) { if (parse_ip(v, info.ip)) usage_error("--ip=%s is not an IPv4 address", v); have_ip = 1; }
        else if (!strncmp(a, "--gateway=", 10)) { if (parse_ip(v, info.gateway)) usage_error("--gateway=%s is not an IPv4 address", v); have_gw = 1; }
        else if (!strncmp(a, "--mac=", 6)) { if (parse_mac(v, info.mac)) usage_error("--mac=%s is not a MAC address", v); have_mac = 1; }
        else if (!strncmp(a, "--app=", 6)) {
            if (!strcmp(v, "iperf3")) app = APP_IPERF3;
            else if (!strcmp(v, "echo")) app = APP_ECHO;
            else if (!strcmp(v, "test-syscall")) app = APP_SYSCALL_TEST; /* the fault-test guest only */
            else if (!strcmp(v, "test-spin")) app = APP_SPIN_TEST;
            else usage_error("--app=%s is not a compiled-in application (iperf3, echo)", v);
        }
        else if (!strncmp(a, "--control=", 10)) control = v;
        else if (!strncmp(a, "--start-fd=", 11)) start_fd = parse_number(v, 3, 1 << 20, "--start-fd (3 or above)");
        else if (!strncmp(a, "--cgroup-procs=", 15)) {
            if (ncgroups == 8) usage_error("%s: at most 8 cgroup files", a);
            cgroups[ncgroups++] = v;
        }
        else usage_error("unknown option %s", a);
    }
    if (mem_mib < 0) usage_error("--mem is missing%s", "");
    if ((tap < 0) == (start_fd < 0)) usage_error("give one of --tap-fd and --start-fd%s", "");
    if (start_fd >= 0 && ncgroups) usage_error("--cgroup-procs%s: with --start-fd the cgroup files come with the go", "");
    if (!have_mac) usage_error("--mac is required%s", "");
    if (control) {
        /* A warm guest learns its identity at the claim: giving part of it now would be ignored, so it is refused. */
        if (have_ip || have_gw || port >= 0 || app) usage_error("--control=%s takes the identity at the claim: no --ip, --gateway, --port or --app", control);
    } else {
        if (!have_ip || !have_gw) usage_error("--ip and --gateway are required (or --control for a warm guest)%s", "");
        if (port < 0) usage_error("--port is missing%s", "");
        if (!app) usage_error("--app is missing%s", "");
    }
    if (!elf) usage_error("the guest ELF is missing%s", "");

    /* Reserved now, touched only once in the cgroup (below): nothing is charged yet. */
    unsigned long mem = (unsigned long)mem_mib << 20;
    void *base = mmap((void *)SPT_BASE, mem, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1, 0);
    if (base == MAP_FAILED) host_error("mapping guest memory");
    if (base != (void *)SPT_BASE) { errno = EEXIST; host_error("mapping guest memory at its fixed address"); }

    /* SIGSYS on the tender's own stack (the guest's may be anything), outside guest memory. */
    static char altstack[16384] __attribute__((aligned(16)));
    stack_t ss = { .ss_sp = altstack, .ss_flags = 0, .ss_size = sizeof altstack };
    if (sigaltstack(&ss, NULL)) host_error("sigaltstack");
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_sigsys;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    if (sigaction(SIGSYS, &sa, NULL)) host_error("sigaction");

    /* No privilege from here on (before the go: off a cold start's critical path). What follows needs none: the
       cgroup files and the guest ELF are root's own (uid 0 is their owner, no DAC override needed), the tap's
       offload and flags are its holder's to set. */
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) host_error("PR_SET_NO_NEW_PRIVS");
    drop_capabilities();

    if (start_fd >= 0) {
        /* The platform's go: it has made the tap and the cgroup meanwhile. One message (SOCK_SEQPACKET). */
        int received;
        ssize_t n = recv_go((int)start_fd, go, sizeof go - 1, &received);
        if (n < 0) host_error("--start-fd");
        if (n == 0) { fprintf(stderr, "lnfv-spt: the platform abandoned the start (no go message)\n"); exit(1); }
        go[n] = 0;
        if (strncmp(go, "go\n", 3)) usage_error("--start-fd: the first message must be \"go\", not '%s'", go);
        if (received < 0) usage_error("--start-fd: the go message carries no descriptor%s", "");
        for (char *line = go + 3, *nl; *line; line = nl + 1) {
            nl = strchr(line, '\n');
            if (!nl) usage_error("--start-fd: an unterminated line '%s'", line);
            *nl = 0;
            if (ncgroups == 8) usage_error("%s: at most 8 cgroup files", line);
            cgroups[ncgroups++] = line;
        }
        /* Descriptor 3 is the tap's below: the start socket moves out of its way. */
        if (start_fd == SPT_TAP_FD) {
            int moved = fcntl((int)start_fd, F_DUPFD_CLOEXEC, 10);
            if (moved < 0) host_error("--start-fd");
            close((int)start_fd);
            start_fd = moved;
        }
        tap = received;
        tap_arg = "(the go's)";
    }

    /* Join the instance's cgroup before touching guest memory, so every page is charged to it. */
    for (int i = 0; i < ncgroups; i++) {
        int fd = open(cgroups[i], O_WRONLY | O_CLOEXEC);
        if (fd < 0 || write(fd, "0", 1) != 1) host_error(cgroups[i]);
        close(fd);
    }

    unsigned long entry = load_elf(elf, mem);
    if (fcntl((int)tap, F_GETFD) < 0) usage_error("--tap-fd=%s is not an open descriptor (the caller passes the tap)", tap_arg);

    info.magic = BOOT_MAGIC;
    info.mem_size = mem;
    info.port = control ? 0 : (u16)port;
    info.app = (u16)app; /* 0 for a warm guest: its binding waits for the claim */
    struct boot_info *bi = (struct boot_info *)(SPT_BASE + BOOT_INFO_ADDR);
    memcpy(bi, &info, sizeof info);

    /* Descriptors: the tap at 3 (non-blocking: the guest drains it), its epoll at 4, a warm guest's control FIFO at 5
       (opened below), nothing else above 2. */
    if (tap != SPT_TAP_FD) {
        if (dup2((int)tap, SPT_TAP_FD) < 0) host_error("dup2 tap");
        close((int)tap);
    }
    /* The guest's binding speaks the virtio-net header (checksum and segmentation offload, bindings/spt.c) and takes
       coalesced TCP segments of up to 64 KB from the kernel: one read per 64 KB instead of one per frame. */
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    if (ioctl(SPT_TAP_FD, TUNGETIFF, &ifr)) usage_error("--tap-fd=%s is not a tap", tap_arg);
    if (!(ifr.ifr_flags & IFF_VNET_HDR)) usage_error("--tap-fd=%s: the tap must be made with IFF_VNET_HDR", tap_arg);
    if (ioctl(SPT_TAP_FD, TUNSETOFFLOAD, TUN_F_CSUM | TUN_F_TSO4)) host_error("TUNSETOFFLOAD");
    int fl = fcntl(SPT_TAP_FD, F_GETFL);
    if (fl < 0 || fcntl(SPT_TAP_FD, F_SETFL, fl | O_NONBLOCK) < 0 || fcntl(SPT_TAP_FD, F_SETFD, 0) < 0) host_error("tap flags");
    /* Loaded: the platform may stop waiting (it still checks the seal). The descriptor goes with close_range. */
    if (start_fd >= 0 && write((int)start_fd, "R", 1) != 1) host_error("--start-fd");
    if (syscall(SYS_close_range, SPT_TAP_FD + 1, ~0U, 0)) host_error("close_range");
    int ep = epoll_create1(0);
    if (ep < 0) host_error("epoll_create1");
    if (ep != SPT_EPOLL_FD) { errno = EBADF; host_error("epoll descriptor is not 4"); }
    struct epoll_event ev = { .events = EPOLLIN, .data = { .u64 = 0 } };
    if (epoll_ctl(ep, EPOLL_CTL_ADD, SPT_TAP_FD, &ev)) host_error("epoll_ctl");
    if (control) {
        /* O_RDWR: the FIFO always has a writer (this process), so it never reports a hang-up; a claimer's open for
           writing succeeds while the tender lives and fails with ENXIO once it is gone. */
        if (mkfifo(control, 0600)) host_error(control);
        int c = open(control, O_RDWR | O_NONBLOCK);
        if (c < 0) host_error(control);
        if (c != SPT_CONTROL_FD) { errno = EBADF; host_error("control descriptor is not 5"); }
        struct epoll_event cev = { .events = EPOLLIN | EPOLLONESHOT, .data = { .u64 = 1 } };
        if (epoll_ctl(ep, EPOLL_CTL_ADD, SPT_CONTROL_FD, &cev)) host_error("epoll_ctl control");
    }

    fflush(NULL);
    install_filter(control != NULL);

    /* Enter the guest as the KVM monitor does: RSP = top - 8 (as after a call), RDI = &boot_info, nothing else. The
       entry is pinned to RCX: in a free register the compiler may pick RBP, which the xor zeroes before the jump. */
    __asm__ volatile(
        "mov %0, %%rsp\n\t"
        "xor %%ebp, %%ebp\n\t"
        "jmp *%2\n\t"
        :: "S"(SPT_BASE + STACK_TOP - 8), "D"(bi), "c"(entry) : "memory");
    __builtin_unreachable();
}
