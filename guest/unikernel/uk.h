/* What the guest's shared parts (lib.c, net.c, tcp.c, apps.c, main.c) say to each other. */
#ifndef LNFV_UK_H
#define LNFV_UK_H

#include "platform.h"

#define MAXC 8
#define SBUF 4096
#define RBUF 4096
#define MSS 1448
/*
 * The most TCP payload one frame may carry. The KVM monitor puts every frame on the wire as is: one MSS. The process
 * binding hands larger ones to the tap with a virtio-net header asking the kernel to cut them (GSO): one system call
 * per 16 segments instead of one per segment.
 */
/*
 * The window a data stream advertises (no window scaling). Under KVM 32 KB (22 segments) keeps a sender within the
 * monitor's 48-frame tap queue; the process binding takes the whole 64 KB (the tap hands it coalesced segments).
 */
#ifdef LNFV_SPT
#define TCP_SEG_MAX (16 * MSS)
#define DATA_WND 65535
#else
#define TCP_SEG_MAX MSS
#define DATA_WND 32768
#endif

void *memcpy(void *d, const void *s, u64 n);
void *memmove(void *d, const void *s, u64 n);
void *memset(void *d, int c, u64 n);
/* The Internet checksum's running sum over n bytes in memory order (fold and complement with csum_fold). */
u64 csum_add(const void *p, u64 n, u64 sum);
u16 csum_fold(u64 sum);
/* Fills the IPv4 header checksum and the TCP or ICMP checksum of a frame given as head bytes then data bytes. */
void csum_frame(u8 *head, u64 head_len, const u8 *data, u64 data_len);

static inline u16 be16(u16 x) { return __builtin_bswap16(x); }
static inline u32 be32(u32 x) { return __builtin_bswap32(x); }
static inline u16 ld16(const u8 *p) { return be16(*(const u16 *)p); }
static inline u32 ld32(const u8 *p) { return be32(*(const u32 *)p); }
static inline void st16(u8 *p, u16 v) { *(u16 *)p = be16(v); }
static inline void st32(u8 *p, u32 v) { *(u32 *)p = be32(v); }
static inline int seq_lt(u32 a, u32 b) { return (int)(a - b) < 0; }
static inline int seq_le(u32 a, u32 b) { return (int)(a - b) <= 0; }

#define PUTS(lit) plat_console(lit, sizeof(lit) - 1)

extern struct boot_info *bi;
extern u32 my_ip; /* as loaded from the wire (network order in memory) */
extern u64 now;

/* ---- link (net.c): frames queue and go out with the next wait, or when the queue is full. */
#define TXQ 32
extern struct tx_desc txq[TXQ];
extern u64 ntx;
void flush_tx(void);
u8 *tx_header(void);
void send_frame(const u8 *head, u64 head_len, const u8 *data, u64 data_len, u64 flags);
void handle_frame(u8 *f, u32 n);

/* ---- TCP (tcp.c) */
enum { CLOSED = 0, SYN_RCVD, ESTAB, CLOSE_WAIT, LAST_ACK, FIN_WAIT1, FIN_WAIT2, CLOSING };
enum { ROLE_NEW = 0, ROLE_CTRL, ROLE_DATA, ROLE_ECHO };

struct tcb {
    u8 state, role, fin_queued, fin_sent, source, endless, retries, acks_owed, sidx;
    u8 mac[6];
    u16 rport;
    u32 rip;
    u32 iss, snd_una, snd_nxt, snd_max, snd_end, snd_wnd, rcv_nxt;
    u64 rto, rto_at;
    u32 slen, rlen;
    u8 sbuf[SBUF];
    u8 rbuf[RBUF];
};
extern struct tcb tcbs[MAXC];
/* Bit i set while tcbs[i] is not CLOSED: the per-frame scans touch only live connections (none, on a fresh guest). */
extern u32 active;
#define FOR_ACTIVE(i, m) for (u32 m = active, i; m && (i = (u32)__builtin_ctz(m), m &= m - 1, 1);)
extern int acks_owed;
extern u64 stream_bytes[8]; /* iperf3 payload per stream: received, or sent and acknowledged */

void tcp_input(const u8 *frame, const u8 *tcp, u32 seglen_total);
void tcp_output(struct tcb *t);
u32 tcp_write(struct tcb *t, const void *data, u32 len);
void tcp_close(struct tcb *t);
void tcp_abort(struct tcb *t);
void tcp_timers(void);
void send_ack(struct tcb *t);
u64 next_deadline(void);

/* ---- applications (apps.c), called by TCP */
void app_data(struct tcb *t);
void app_closed(struct tcb *t);
void app_fin(struct tcb *t);
void app_established(struct tcb *t);
void app_acked(struct tcb *t, u32 n);

#endif
