/*
 * lnfv-init: PID 1 of a LightNFV tinyx guest. Static, no libc beyond what -static pulls in.
 *
 * The kernel has already configured eth0 from ip= on its command line (CONFIG_IP_PNP) and opened /dev/console
 * as fds 0-2. The VNF comes from the kernel command line as one parameter per word, read from /proc/cmdline:
 *     lnfv.env=KEY=VALUE ... lnfv.arg=PROGRAM lnfv.arg=ARG ...   (a value with spaces in double quotes)
 * not after "--": QEMU's microvm appends its virtio_mmio.device= parameters at the end of the command line, and
 * after "--" the kernel would hand them to init instead of probing the devices. Dotted names are module parameters
 * to the kernel, which ignores unknown ones.
 * It mounts /proc, runs the VNF as its child with that environment, reaps every orphan (PID 1's job), and when
 * the VNF ends reports how and resets the machine (QEMU runs with -no-reboot, so the VM exits with its VNF).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static void finish(void)
{
    sync();
    reboot(RB_AUTOBOOT);
    for (;;)
        pause();
}

int main(int argc, char **argv)
{
    if (fcntl(0, F_GETFD) < 0) {
        int fd = open("/dev/console", O_RDWR);
        if (fd >= 0) {
            dup2(fd, 0);
            dup2(fd, 1);
            dup2(fd, 2);
            if (fd > 2)
                close(fd);
        }
    }
    mkdir("/proc", 0555);
    mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
    mkdir("/tmp", 01777);

    static char cmdline[8192];
    static char *args[256];
    int nargs = 0;
    int fd = open("/proc/cmdline", O_RDONLY);
    ssize_t n = fd >= 0 ? read(fd, cmdline, sizeof cmdline - 1) : -1;
    if (fd >= 0)
        close(fd);
    clearenv();
    setenv("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", 1);
    setenv("HOME", "/", 1);
    for (char *p = cmdline; n > 0 && p < cmdline + n;) {
        /* One word: up to a space outside double quotes; the quotes themselves are dropped. */
        while (p < cmdline + n && (*p == ' ' || *p == '\n'))
            p++;
        char *word = p, *out = p;
        int quoted = 0;
        for (; p < cmdline + n && (quoted || (*p != ' ' && *p != '\n')); p++) {
            if (*p == '"')
                quoted = !quoted;
            else
                *out++ = *p;
        }
        if (p < cmdline + n)
            p++;
        *out = '\0';
        if (strncmp(word, "lnfv.env=", 9) == 0)
            putenv(word + 9);
        else if (strncmp(word, "lnfv.arg=", 9) == 0 && nargs < 255)
            args[nargs++] = word + 9;
    }
    args[nargs] = NULL;
    (void)argc;
    (void)argv;
    if (nargs == 0) {
        fprintf(stderr, "lnfv-init: no program to run (the kernel command line needs lnfv.arg=PROGRAM [lnfv.arg=ARG]...)\n");
        finish();
    }
    pid_t vnf = fork();
    if (vnf < 0) {
        fprintf(stderr, "lnfv-init: fork: %s\n", strerror(errno));
        finish();
    }
    if (vnf == 0) {
        execvp(args[0], args);
        fprintf(stderr, "lnfv-init: exec %s: %s\n", args[0], strerror(errno));
        _exit(127);
    }
    fprintf(stderr, "lnfv-init: started %s (pid %d)\n", args[0], (int)vnf);
    for (;;) {
        int status;
        pid_t pid = wait(&status);
        if (pid < 0 && errno == EINTR)
            continue;
        if (pid < 0 || pid == vnf) {
            if (pid == vnf && WIFEXITED(status))
                fprintf(stderr, "lnfv-init: %s exited with status %d\n", args[0], WEXITSTATUS(status));
            else if (pid == vnf)
                fprintf(stderr, "lnfv-init: %s killed by signal %d\n", args[0], WTERMSIG(status));
            finish();
        }
    }
}
