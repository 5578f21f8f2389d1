/*
 * The process binding: the guest runs as a Linux process under lnfv-spt and makes its few system calls itself (the
 * tender's seccomp filter allows exactly these; see abi.h). Frames are read in batches: every frame the tap has
 * ready goes into a small ring per wait, so a burst costs one clock read and one readiness wait, not one per frame.
 * The tap carries a virtio-net header on every frame (IFF_VNET_HDR). Sent TCP segments ask the kernel for their
 * checksum (NEEDS_CSUM) and, when longer than the MSS, to cut them into MSS-sized frames (GSO): one system call moves
 * up to TCP_SEG_MAX bytes. ICMP checksums (the KVM monitor fills them under SEND_CSUM) are computed here, natively.
 * The tender lets the kernel hand over coalesced TCP segments of up to 64 KB (TUNSETOFFLOAD TSO4): one read per
 * 64 KB instead of one per frame; the header's flags are ignored (the guest does not verify received checksums:
 * frames come from the host's own stack, and the ICMP it turns around gets a full checksum).
 * A warm guest (lnfv-spt --control) boots without an identity and reads it once from the control FIFO (abi.h).
 */
#include "../uk.h"

enum { NR_READ = 0, NR_WRITE = 1, NR_WRITEV = 20, NR_CLOCK_GETTIME = 228, NR_EPOLL_PWAIT = 281 };
#define CLOCK_MONOTONIC 1

static inline long sys6(long nr, long a, long b, long c, long d, long e, long f)
{
    register long r10 __asm__("r10") = d, r8 __asm__("r8") = e, r9 __asm__("r9") = f;
    long r;
    __asm__ volatile("syscall" : "=a"(r) : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9) : "rcx", "r11", "memory");
    return r;
}
#define sys3(nr, a, b, c) sys6(nr, (long)(a), (long)(b), (long)(c), 0, 0, 0)

struct iovec { u64 base, len; };
struct timespec { long sec, nsec; };
struct epoll_event { u32 events; u64 data; } __attribute__((packed));
/* struct virtio_net_hdr (linux/virtio_net.h), the tap's default 10-byte header. */
struct vnet_hdr { u8 flags, gso_type; u16 hdr_len, gso_size, csum_start, csum_offset; };
#define VNET_NEEDS_CSUM 1
#define VNET_GSO_TCPV4 1
#define VNET 10

/*
 * Frames up to 64 KB (a coalesced TCP segment) after their header. In .lbss, which the link script places after the
 * .bss that main.c touches at boot: these pages are faulted in only when traffic needs them, so an idle guest stays
 * small (a small frame touches only the first page or two of its slot).
 */
#define RING 8
#define FRAME 65536
static u8 ring[RING][VNET + FRAME] __attribute__((aligned(64), section(".lbss.rxring")));
static u32 ring_len[RING];
static u32 ring_head, ring_count;
static u64 clock;

void plat_console(const char *s, u64 n) { sys3(NR_WRITE, SPT_CONSOLE_FD, s, n); }

/*
 * A TCP segment's offloads: the IPv4 header checksum here (20 bytes), the TCP checksum field seeded with the
 * pseudo-header sum over the whole segment as a NIC driver leaves it (the kernel, or its GSO per frame, finishes it).
 */
static void tcp_offload(struct vnet_hdr *v, u8 *h, u64 head_len, u64 data_len)
{
    u8 *ip = h + 14;
    u32 ihl = (ip[0] & 15) * 4u;
    u32 l4_len = ld16(ip + 2) - ihl;
    ip[10] = ip[11] = 0;
    *(u16 *)(ip + 10) = csum_fold(csum_add(ip, ihl, 0));
    u8 *tcp = ip + ihl;
    *(u16 *)(tcp + 16) = (u16)~csum_fold(csum_add(ip + 12, 8, 0) + be16(6) + be16((u16)l4_len));
    v->flags = VNET_NEEDS_CSUM;
    v->csum_start = (u16)(14 + ihl);
    v->csum_offset = 16;
    if (data_len > MSS) {
        v->gso_type = VNET_GSO_TCPV4;
        v->gso_size = MSS;
        v->hdr_len = (u16)head_len;
    }
}

void plat_send(const struct tx_desc *d, u64 n)
{
    for (u64 i = 0; i < n; i++) {
        u8 *h = (u8 *)d[i].head;
        struct vnet_hdr v = { 0, 0, 0, 0, 0, 0 };
        if (d[i].flags & SEND_CSUM) {
            if (d[i].head_len >= 54 && ld16(h + 12) == 0x0800 && h[23] == 6) tcp_offload(&v, h, d[i].head_len, d[i].data_len);
            else csum_frame(h, d[i].head_len, (const u8 *)d[i].data, d[i].data_len);
        }
        struct iovec iov[3] = { { (u64)&v, VNET }, { d[i].head, d[i].head_len }, { d[i].data, d[i].data_len } };
        /* A full tap queue drops the frame, as a NIC would; TCP retransmits. */
        sys3(NR_WRITEV, SPT_TAP_FD, iov, d[i].data_len ? 3 : 2);
    }
}

static u64 read_clock(void)
{
    struct timespec ts;
    sys3(NR_CLOCK_GETTIME, CLOCK_MONOTONIC, &ts, 0);
    return clock = (u64)ts.sec * 1000000000UL + (u64)ts.nsec;
}

/* Reads every frame the tap has ready (it is non-blocking), up to the ring's room. */
static void fill(void)
{
    while (ring_count < RING) {
        u32 slot = (ring_head + ring_count) % RING;
        long r = sys3(NR_READ, SPT_TAP_FD, ring[slot], VNET + FRAME);
        if (r <= VNET) break; /* -EAGAIN: drained (or a runt, dropped) */
        ring_len[slot] = (u32)(r - VNET);
        ring_count++;
    }
}

/*
 * A warm guest (app 0 in its boot info) takes its identity from the control FIFO: one read, tried after each wait
 * until the claim is there (the tender's epoll wakes the parked guest for it once). main.c reads the address after
 * every wait, so the guest answers on its port from the wait that brought the claim.
 */
static void take_claim(void)
{
    struct spt_claim c;
    if (sys3(NR_READ, SPT_CONTROL_FD, &c, sizeof c) != (long)sizeof c || c.magic != SPT_CLAIM_MAGIC || !c.app) return;
    memcpy(bi->ip, c.ip, 4);
    memcpy(bi->gateway, c.gateway, 4);
    bi->port = c.port;
    bi->app = c.app;
}

u64 plat_wait(const struct tx_desc *d, u64 n, u64 deadline, u8 **frame, u64 *now)
{
    plat_send(d, n);
    if (!ring_count) {
        fill();
        read_clock();
        if (!ring_count && deadline > clock) {
            u64 ms = deadline == WAIT_FOREVER ? ~0UL : (deadline - clock + 999999) / 1000000;
            struct epoll_event ev;
            sys6(NR_EPOLL_PWAIT, SPT_EPOLL_FD, (long)&ev, 1, ms > 0x7fffffff ? -1 : (long)ms, 0, 8);
            fill();
            read_clock();
        }
    }
    if (!bi->app) take_claim();
    *now = clock;
    if (!ring_count) return 0;
    /* The slot is free again at once but only refilled once the ring is empty, i.e. in a later wait. */
    u32 len = ring_len[ring_head];
    *frame = ring[ring_head] + VNET;
    ring_head = (ring_head + 1) % RING;
    ring_count--;
    return len;
}
