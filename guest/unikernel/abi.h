/*
 * The contract between the LightNFV unikernel monitor (src/LightNfv.Host/Kvm, src/LightNfv.Backends/Unikernel) and
 * the guest. Mirrored in C# by LightNfv.Host.Kvm.GuestLayout and Hypercall: change both together.
 *
 * The monitor enters the guest directly in 64-bit long mode (no firmware): paging on with an identity map of guest
 * memory in 2 MiB pages, flat code and data segments, RIP = ELF entry, RSP = STACK_TOP - 8, RDI = &boot_info.
 * A hypercall is one `outl` of the guest-physical address of its argument block to the hypercall's port; the
 * monitor reads and writes the block in guest memory, then resumes the guest after the instruction.
 */
#ifndef LNFV_UK_ABI_H
#define LNFV_UK_ABI_H

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long u64;

#define BOOT_INFO_ADDR 0x5000UL
#define STACK_TOP 0x100000UL
#define BOOT_MAGIC 0x31304b55564e4c4cUL /* "LLNVUK01" little-endian */

enum { APP_IPERF3 = 1, APP_ECHO = 2, APP_CLAIM_READ_TEST = 97, APP_SYSCALL_TEST = 98 /* spt fault-test build only */, APP_SPIN_TEST = 99 /* fault-test builds only */ };

struct boot_info {
    u64 magic;
    u64 mem_size;
    u8 ip[4];       /* network order */
    u8 gateway[4];
    u8 mac[6];
    u16 port;       /* host order */
    u16 app;
    u16 reserved[3];
};

/* Ports. */
#define HC_CONSOLE 0x500 /* struct hc_console */
#define HC_SEND 0x501    /* struct hc_send: send frames now */
#define HC_WAIT 0x502    /* struct hc_wait: send queued frames, wait for a frame or a deadline, receive at most one */
#define HC_EXIT 0x503    /* struct hc_exit */

struct hc_console { u64 buf, len; };

#define SEND_CSUM 1 /* the monitor fills the IPv4 header checksum and the TCP or ICMP checksum */
/* One frame: head bytes then data bytes (so payload is never copied into a frame buffer by the guest). */
struct tx_desc { u64 head, head_len, data, data_len, flags; };
#define MAX_TX 64
struct hc_send { u64 descs, count; };

#define WAIT_FOREVER (~0UL)
struct hc_wait {
    u64 buf, cap;
    u64 deadline; /* monitor clock (ns since the guest started); WAIT_FOREVER, or <= now to poll */
    u64 len;      /* out: frame length, 0 if none */
    u64 now;      /* out: monitor clock */
    u64 descs, count; /* frames to send first: one exit per loop instead of one per frame */
};

struct hc_exit { u64 code; };

/*
 * The same guest as a sandboxed process (bindings/spt.c under the lnfv-spt tender, src/LightNfv.Host/Spt): the tender
 * maps guest memory at SPT_BASE and lays it out as the monitor does,
 * offset by SPT_BASE: boot_info at SPT_BASE + BOOT_INFO_ADDR, RSP = SPT_BASE + STACK_TOP - 8, RDI = &boot_info, and
 * the ELF linked at SPT_BASE + 1 MiB (link-spt.ld). The guest makes its own system calls on fixed descriptors; the
 * tender's seccomp filter allows only these: write/writev on the console, read/write/writev on the tap, epoll_pwait
 * on its epoll descriptor (which watches the tap), clock_gettime(CLOCK_MONOTONIC), exit_group; a warm guest also
 * reads its claim once (below).
 */
/* Above the tender's heap (x86-64 Linux randomizes a static binary's brk over 1 GiB past its image at 0x400000), and
   low enough for the guest's code and data to stay in the small code model's 2 GiB. */
#define SPT_BASE 0x60000000UL
#define SPT_LOAD_MIN (SPT_BASE + STACK_TOP)
#define SPT_CONSOLE_FD 1
#define SPT_TAP_FD 3
#define SPT_EPOLL_FD 4

/*
 * A warm guest (lnfv-spt --control=FIFO): booted with app 0 and no address (boot_info's MAC and memory are set), it
 * parks in its first wait. The claim is one write of struct spt_claim to the FIFO, which the tender opened at
 * SPT_CONTROL_FD and added to the epoll set once (EPOLLONESHOT); the guest reads it once, and the filter allows that
 * read only on this descriptor with exactly this size.
 */
#define SPT_CONTROL_FD 5
#define SPT_CLAIM_MAGIC 0x4d4c4355U /* "UCLM" little-endian */
struct spt_claim {
    u32 magic;
    u8 ip[4];      /* network order */
    u8 gateway[4];
    u16 port;      /* host order */
    u16 app;       /* APP_*, never 0 */
};

#endif
