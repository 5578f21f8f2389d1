/*
 * LightNFV unikernel guest: one application (iperf3 server or TCP echo) with its own ARP, ICMP echo and TCP.
 *
 * Written for a host where every guest instruction may be emulated (~1 us each): the boot path is a handful of
 * instructions (no memset, no page-table work: the monitor pre-builds everything), checksums are offloaded to the
 * monitor (SEND_CSUM), received checksums are not re-verified (frames come from the host's own stack over a tap),
 * and iperf3 payload is never copied (counted on receive, sent from a zero page).
 *
 * TCP: passive open only; in-order receive with cumulative ACKs (every second segment, and before the guest blocks)
 * and an advertised window; send with go-back-N retransmission on a doubling timeout; FIN in both directions and RST.
 * No options beyond MSS, no window scaling, no TIME_WAIT.
 */
#include "abi.h"

#define MAXC 8
#define SBUF 4096
#define RBUF 4096
#define MSS 1448
#define RTO_MIN 200000000UL  /* 200 ms */
#define RTO_MAX 3000000000UL
#define MAX_RETRIES 8

void *memcpy(void *d, const void *s, u64 n) { void *r = d; __asm__ volatile("rep movsb" : "+D"(d), "+S"(s), "+c"(n) :: "memory"); return r; }
void *memmove(void *d, const void *s, u64 n)
{
    u8 *dp = d; const u8 *sp = s;
    if (dp <= sp) return memcpy(d, s, n);
    while (n--) dp[n] = sp[n];
    return d;
}
void *memset(void *d, int c, u64 n) { void *r = d; __asm__ volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(c) : "memory"); return r; }

static inline void hypercall(u16 port, void *arg) { __asm__ volatile("outl %0, %1" :: "a"((u32)(u64)arg), "Nd"(port) : "memory"); }
static inline u16 be16(u16 x) { return __builtin_bswap16(x); }
static inline u32 be32(u32 x) { return __builtin_bswap32(x); }
static inline u16 ld16(const u8 *p) { return be16(*(const u16 *)p); }
static inline u32 ld32(const u8 *p) { return be32(*(const u32 *)p); }
static inline void st16(u8 *p, u16 v) { *(u16 *)p = be16(v); }
static inline void st32(u8 *p, u32 v) { *(u32 *)p = be32(v); }
static inline int seq_lt(u32 a, u32 b) { return (int)(a - b) < 0; }
static inline int seq_le(u32 a, u32 b) { return (int)(a - b) <= 0; }

__attribute__((unused)) static void console(const char *s, u64 n) { struct hc_console c = { (u64)s, n }; hypercall(HC_CONSOLE, &c); }
#define PUTS(lit) console(lit, sizeof(lit) - 1)

static struct boot_info *bi;
static u32 my_ip;            /* as loaded from the wire (network order in memory) */
static u64 now;
static u8 rx[2048] __attribute__((aligned(16)));
static const u8 zeros[MSS];

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
static struct tcb tcbs[MAXC];
/* Bit i set while tcbs[i] is not CLOSED: the per-frame scans touch only live connections (none, on a fresh guest). */
static u32 active;
#define FOR_ACTIVE(i, m) for (u32 m = active, i; m && (i = (u32)__builtin_ctz(m), m &= m - 1, 1);)
static u32 iss_seed = 0x4c4e4656;
static u16 ip_id;
static int acks_owed;
u64 stream_bytes[8]; /* iperf3 payload per stream: received, or sent and acknowledged */

/* ---------------------------------------------------------------- link and IP */

/*
 * Frames are queued and go out with the next HC_WAIT (or HC_SEND when the queue is full): each exit costs far more
 * than a few instructions here. A queued frame points at its bytes, so they must not change until it is sent.
 */
#define TXQ 32
static struct tx_desc txq[TXQ];
static u8 txhdr[TXQ][64] __attribute__((aligned(16)));
static u64 ntx;

static void flush_tx(void)
{
    if (!ntx) return;
    struct hc_send s = { (u64)txq, ntx };
    hypercall(HC_SEND, &s);
    ntx = 0;
}

static u8 *tx_header(void)
{
    if (ntx == TXQ) flush_tx();
    return txhdr[ntx];
}

static void send_frame(const u8 *head, u64 head_len, const u8 *data, u64 data_len, u64 flags)
{
    if (ntx == TXQ) flush_tx();
    struct tx_desc *d = &txq[ntx++];
    d->head = (u64)head;
    d->head_len = head_len;
    d->data = (u64)data;
    d->data_len = data_len;
    d->flags = flags;
}

/* Ethernet + IPv4 + TCP header for one segment; the monitor fills both checksums. */
static void tcp_send(struct tcb *t, u32 seq, u8 flags, const u8 *data, u32 len)
{
    u8 *h = tx_header();
    u32 thl = (flags & 0x02) ? 24 : 20;
    *(u32 *)h = *(const u32 *)t->mac;
    *(u16 *)(h + 4) = *(const u16 *)(t->mac + 4);
    *(u32 *)(h + 6) = *(const u32 *)bi->mac;
    *(u16 *)(h + 10) = *(const u16 *)(bi->mac + 4);
    st16(h + 12, 0x0800);
    h[14] = 0x45; h[15] = 0;
    st16(h + 16, (u16)(20 + thl + len));
    st16(h + 18, ip_id++);
    st16(h + 20, 0x4000);
    h[22] = 64; h[23] = 6;
    *(u32 *)(h + 26) = my_ip;
    *(u32 *)(h + 30) = t->rip;
    u8 *p = h + 34;
    st16(p, bi->port);
    st16(p + 2, t->rport);
    st32(p + 4, seq);
    st32(p + 8, t->rcv_nxt);
    p[12] = (u8)(thl << 2);
    p[13] = flags;
    /* Data streams are consumed at once; 32 KB (22 segments) keeps a sender within the monitor's 48-frame tap queue. */
    u32 wnd = t->role == ROLE_DATA ? 32768 : RBUF - t->rlen;
    st16(p + 14, (u16)wnd);
    *(u32 *)(p + 16) = 0; /* checksum, urgent pointer */
    if (thl == 24) { p[20] = 2; p[21] = 4; st16(p + 22, 1460); }
    send_frame(h, 34 + thl, data, len, SEND_CSUM);
    if (flags & 0x10) { acks_owed -= t->acks_owed; t->acks_owed = 0; }
}

#define F_FIN 0x01
#define F_SYN 0x02
#define F_RST 0x04
#define F_PSH 0x08
#define F_ACK 0x10

static void send_ack(struct tcb *t) { tcp_send(t, t->snd_nxt, F_ACK, 0, 0); }

/* ---------------------------------------------------------------- applications (below TCP's callbacks) */

static void app_data(struct tcb *t);
static void app_closed(struct tcb *t);
static void app_fin(struct tcb *t);
static void app_established(struct tcb *t);
static void app_acked(struct tcb *t, u32 n);

/* ---------------------------------------------------------------- TCP */

static void arm(struct tcb *t) { if (!t->rto_at) t->rto_at = now + t->rto; }

static void tcb_free(struct tcb *t)
{
    acks_owed -= t->acks_owed;
    t->acks_owed = 0;
    t->state = CLOSED;
    active &= ~(1u << (t - tcbs));
    app_closed(t);
}

static void tcp_output(struct tcb *t)
{
    if (t->state == SYN_RCVD || t->state == CLOSED) return;
    u32 wnd_end = t->snd_una + t->snd_wnd;
    for (;;) {
        if (seq_le(wnd_end, t->snd_nxt)) break;
        u32 room = wnd_end - t->snd_nxt;
        u32 n = MSS;
        if (!t->endless) {
            if (!seq_lt(t->snd_nxt, t->snd_end)) break;
            u32 left = t->snd_end - t->snd_nxt;
            if (n > left) n = left;
        }
        if (n > room) n = room;
        const u8 *d = t->source ? zeros : t->sbuf + (t->snd_nxt - t->snd_una);
        tcp_send(t, t->snd_nxt, F_ACK | F_PSH, d, n);
        t->snd_nxt += n;
        if (seq_lt(t->snd_max, t->snd_nxt)) t->snd_max = t->snd_nxt;
        arm(t);
    }
    if (t->fin_queued && !t->endless && t->snd_nxt == t->snd_end) {
        tcp_send(t, t->snd_end, F_FIN | F_ACK, 0, 0);
        t->snd_nxt = t->snd_end + 1;
        if (seq_lt(t->snd_max, t->snd_nxt)) t->snd_max = t->snd_nxt;
        t->fin_sent = 1;
        arm(t);
    }
}

/* Queue bytes for sending (control and echo connections); returns how many fit. */
static u32 tcp_write(struct tcb *t, const void *data, u32 len)
{
    if (t->state != ESTAB && t->state != CLOSE_WAIT) return 0;
    u32 room = SBUF - t->slen;
    if (len > room) len = room;
    memcpy(t->sbuf + t->slen, data, len);
    t->slen += len;
    t->snd_end += len;
    tcp_output(t);
    return len;
}

static void tcp_close(struct tcb *t)
{
    if (t->fin_queued) return;
    if (t->endless) { t->endless = 0; t->snd_end = t->snd_max; }
    t->fin_queued = 1;
    if (t->state == ESTAB) t->state = FIN_WAIT1;
    else if (t->state == CLOSE_WAIT) t->state = LAST_ACK;
    tcp_output(t);
}

static void tcp_abort(struct tcb *t)
{
    if (t->state == CLOSED) return;
    tcp_send(t, t->snd_nxt, F_RST | F_ACK, 0, 0);
    tcb_free(t);
}

static void send_rst(const u8 *frame, const u8 *tcp, u32 seglen)
{
    struct tcb tmp;
    u8 flags = tcp[13];
    if (flags & F_RST) return;
    memcpy(tmp.mac, frame + 6, 6);
    tmp.rip = *(const u32 *)(frame + 26);
    tmp.rport = ld16(tcp);
    tmp.role = ROLE_DATA;
    tmp.rlen = 0;
    tmp.acks_owed = 0;
    u16 lport = bi->port;
    bi->port = ld16(tcp + 2); /* answer from the port that was asked */
    if (flags & F_ACK) {
        tmp.rcv_nxt = 0;
        tcp_send(&tmp, ld32(tcp + 8), F_RST, 0, 0);
    } else {
        tmp.rcv_nxt = ld32(tcp + 4) + seglen + ((flags & F_SYN) ? 1 : 0) + ((flags & F_FIN) ? 1 : 0);
        tcp_send(&tmp, 0, F_RST | F_ACK, 0, 0);
    }
    bi->port = lport;
}

static void tcp_input(const u8 *frame, const u8 *tcp, u32 seglen_total)
{
    u32 src = *(const u32 *)(frame + 26);
    u16 sport = ld16(tcp), dport = ld16(tcp + 2);
    u32 seq = ld32(tcp + 4), ack = ld32(tcp + 8);
    u32 off = (tcp[12] >> 4) * 4;
    u8 flags = tcp[13];
    u32 wnd = ld16(tcp + 14);
    const u8 *data = tcp + off;
    u32 len = seglen_total - off;

    struct tcb *t = 0;
    FOR_ACTIVE(i, m) {
        struct tcb *c = &tcbs[i];
        if (c->rport == sport && c->rip == src) { t = c; break; }
    }
    if (!t) {
        u32 free_bits = ~active & ((1u << MAXC) - 1);
        if ((flags & (F_SYN | F_ACK | F_RST)) == F_SYN && dport == bi->port && !free_bits) {
            /* Full: give a half-open connection's slot to the new SYN, as a SYN queue drops its oldest entry. A
               prober's SYNs whose RSTs were lost would otherwise hold every slot until their retransmits give up. */
            u64 oldest = ~0ull;
            struct tcb *victim = 0;
            FOR_ACTIVE(i, m) {
                struct tcb *c = &tcbs[i];
                if (c->state == SYN_RCVD && c->rto_at - c->rto < oldest) { oldest = c->rto_at - c->rto; victim = c; }
            }
            if (victim) { tcb_free(victim); free_bits = ~active & ((1u << MAXC) - 1); }
        }
        if ((flags & (F_SYN | F_ACK | F_RST)) == F_SYN && dport == bi->port && free_bits) {
            u32 slot = (u32)__builtin_ctz(free_bits);
            t = &tcbs[slot];
            active |= 1u << slot;
            t->state = SYN_RCVD;
            t->role = ROLE_NEW;
            t->fin_queued = t->fin_sent = t->source = t->endless = t->retries = t->acks_owed = 0;
            memcpy(t->mac, frame + 6, 6);
            t->rip = src;
            t->rport = sport;
            t->rcv_nxt = seq + 1;
            iss_seed = iss_seed * 1103515245u + 12345u + (u32)now;
            t->iss = iss_seed;
            t->snd_una = t->iss;
            t->snd_nxt = t->snd_max = t->snd_end = t->iss + 1;
            t->snd_wnd = wnd;
            t->slen = t->rlen = 0;
            t->rto = RTO_MIN;
            t->rto_at = 0;
            tcp_send(t, t->iss, F_SYN | F_ACK, 0, 0);
            arm(t);
            return;
        }
        send_rst(frame, tcp, len);
        return;
    }
    if (flags & F_RST) {
        tcb_free(t);
        return;
    }
    if (flags & F_SYN) {
        if (t->state == SYN_RCVD && seq + 1 == t->rcv_nxt) tcp_send(t, t->iss, F_SYN | F_ACK, 0, 0); /* our SYN-ACK was lost */
        else send_ack(t);
        return;
    }
    if (!(flags & F_ACK)) return;

    /* ACK processing. */
    if (t->state == SYN_RCVD) {
        if (ack != t->iss + 1) { send_rst(frame, tcp, len); return; }
        t->state = ESTAB;
        t->snd_una = ack;
        t->rto_at = 0;
        t->retries = 0;
        app_established(t);
        if (t->state == CLOSED) return;
    } else if (seq_lt(t->snd_una, ack) && seq_le(ack, t->snd_max)) {
        u32 acked = ack - t->snd_una;
        u32 data_acked = acked;
        if (t->fin_sent && ack == t->snd_end + 1) data_acked--;
        if (t->slen) {
            flush_tx(); /* queued segments may point into the bytes about to move */
            u32 k = data_acked < t->slen ? data_acked : t->slen;
            memmove(t->sbuf, t->sbuf + k, t->slen - k);
            t->slen -= k;
        }
        t->snd_una = ack;
        if (seq_lt(t->snd_nxt, ack)) t->snd_nxt = ack;
        t->rto = RTO_MIN;
        t->retries = 0;
        t->rto_at = t->snd_una == t->snd_max ? 0 : now + t->rto;
        if (data_acked) app_acked(t, data_acked);
        if (t->fin_sent && ack == t->snd_end + 1) {
            if (t->state == FIN_WAIT1) t->state = FIN_WAIT2;
            else if (t->state == CLOSING || t->state == LAST_ACK) { tcb_free(t); return; }
        }
    }
    t->snd_wnd = wnd;

    /* Data and FIN. */
    if (len || (flags & F_FIN)) {
        if (t->state != ESTAB && t->state != FIN_WAIT1 && t->state != FIN_WAIT2) { send_ack(t); goto out; }
        if (seq != t->rcv_nxt) { send_ack(t); goto out; } /* out of order or duplicate: say what we expect */
        u32 take = len;
        if (len) {
            if (t->role == ROLE_DATA) {
                t->rcv_nxt += len;
                if (t->sidx < 8) stream_bytes[t->sidx] += len;
            } else {
                u32 room = RBUF - t->rlen;
                if (take > room) take = room;
                memcpy(t->rbuf + t->rlen, data, take);
                t->rlen += take;
                t->rcv_nxt += take;
            }
            if (take < len) { send_ack(t); goto out; }
            if (t->role == ROLE_DATA && !(flags & F_FIN)) {
                t->acks_owed++;
                acks_owed++;
                if (t->acks_owed >= 2) send_ack(t);
            } else {
                app_data(t);
                if (t->state == CLOSED) return;
                send_ack(t);
            }
        }
        if (flags & F_FIN) {
            t->rcv_nxt++;
            send_ack(t);
            if (t->state == ESTAB) { t->state = CLOSE_WAIT; app_fin(t); }
            else if (t->state == FIN_WAIT1) t->state = CLOSING;
            else if (t->state == FIN_WAIT2) { tcb_free(t); return; }
        }
    }
out:
    if (t->state != CLOSED) tcp_output(t);
}

static void tcp_timers(void)
{
    FOR_ACTIVE(i, m) {
        struct tcb *t = &tcbs[i];
        if (t->state == CLOSED || !t->rto_at || now < t->rto_at) continue;
        if (++t->retries > MAX_RETRIES) { tcp_abort(t); continue; }
        t->rto = t->rto * 2 > RTO_MAX ? RTO_MAX : t->rto * 2;
        t->rto_at = now + t->rto;
        if (t->state == SYN_RCVD) { tcp_send(t, t->iss, F_SYN | F_ACK, 0, 0); continue; }
        t->snd_nxt = t->snd_una; /* go back N */
        if (t->fin_sent && t->snd_una == t->snd_end + 1) continue;
        if (t->snd_wnd == 0) t->snd_wnd = 1; /* window probe */
        tcp_output(t);
    }
}

static u64 next_deadline(void)
{
    u64 d = WAIT_FOREVER;
    FOR_ACTIVE(i, m) {
        struct tcb *t = &tcbs[i];
        if (t->state != CLOSED && t->rto_at && t->rto_at < d) d = t->rto_at;
    }
    return d;
}

/* ---------------------------------------------------------------- iperf3 server */

enum { IS_IDLE = 0, IS_PARAMS, IS_STREAMS, IS_RUNNING, IS_RESULTS, IS_DONE };
enum { TEST_START = 1, TEST_RUNNING = 2, TEST_END = 4, PARAM_EXCHANGE = 9, CREATE_STREAMS = 10,
       CLIENT_TERMINATE = 12, EXCHANGE_RESULTS = 13, DISPLAY_RESULTS = 14, IPERF_DONE = 16, ACCESS_DENIED = 0xff };
#define COOKIE 37
#define MAX_STREAMS 4

static struct {
    u8 phase, reverse, want, have;
    struct tcb *ctrl;
    struct tcb *st[MAX_STREAMS];
    u8 cookie[COOKIE];
    u64 t0, t1;
} ip3;

static void consume(struct tcb *t, u32 n)
{
    memmove(t->rbuf, t->rbuf + n, t->rlen - n);
    t->rlen -= n;
}

static void say(struct tcb *t, u8 state) { tcp_write(t, &state, 1); }

static void ip3_reset(void)
{
    for (int i = 0; i < MAX_STREAMS; i++) {
        struct tcb *s = ip3.st[i];
        ip3.st[i] = 0;
        if (s && s->state != CLOSED) tcp_abort(s);
    }
    struct tcb *c = ip3.ctrl;
    ip3.ctrl = 0;
    ip3.phase = IS_IDLE;
    ip3.have = 0;
    if (c && c->state != CLOSED) tcp_close(c);
}

static int find(const u8 *s, u32 n, const char *key)
{
    for (u32 i = 0; i < n; i++) {
        u32 k = 0;
        while (key[k] && i + k < n && s[i + k] == (u8)key[k]) k++;
        if (!key[k]) return (int)(i + k);
    }
    return -1;
}

static char *put_u64(char *p, u64 v)
{
    char tmp[24];
    int n = 0;
    do { tmp[n++] = (char)('0' + v % 10); v /= 10; } while (v);
    while (n) *p++ = tmp[--n];
    return p;
}

static char *put_str(char *p, const char *s) { while (*s) *p++ = *s++; return p; }

static void ip3_send_results(struct tcb *c)
{
    static char js[1024];
    char *p = js + 4;
    u64 el = (ip3.t1 > ip3.t0 ? ip3.t1 - ip3.t0 : 0) / 1000; /* us */
    p = put_str(p, "{\"cpu_util_total\":0,\"cpu_util_user\":0,\"cpu_util_system\":0,\"sender_has_retransmits\":0,\"streams\":[");
    for (int i = 0; i < ip3.have; i++) {
        if (i) *p++ = ',';
        p = put_str(p, "{\"id\":");
        p = put_u64(p, i == 0 ? 1 : (u64)i + 2); /* iperf3 numbers its streams 1, 3, 4, ... */
        p = put_str(p, ",\"bytes\":");
        p = put_u64(p, stream_bytes[i]);
        p = put_str(p, ",\"retransmits\":0,\"jitter\":0,\"errors\":0,\"packets\":0,\"start_time\":0,\"end_time\":");
        p = put_u64(p, el / 1000000);
        *p++ = '.';
        u64 frac = el % 1000000;
        for (u64 d = 100000; d; d /= 10) { *p++ = (char)('0' + frac / d % 10); }
        *p++ = '}';
    }
    p = put_str(p, "]}");
    u32 n = (u32)(p - js - 4);
    st32((u8 *)js, n);
    tcp_write(c, js, n + 4);
}

static void ip3_start(void)
{
    ip3.t0 = now;
    say(ip3.ctrl, TEST_START);
    say(ip3.ctrl, TEST_RUNNING);
    ip3.phase = IS_RUNNING;
    if (ip3.reverse) {
        for (int i = 0; i < ip3.have; i++) { ip3.st[i]->source = ip3.st[i]->endless = 1; tcp_output(ip3.st[i]); }
    }
}

static void ip3_control(struct tcb *c)
{
    for (;;) {
        if (ip3.phase == IS_PARAMS || ip3.phase == IS_RESULTS) {
            if (c->rlen < 4) return;
            u32 n = ld32(c->rbuf);
            if (n > RBUF - 4) { ip3_reset(); return; }
            if (c->rlen < 4 + n) return;
            if (ip3.phase == IS_PARAMS) {
                ip3.reverse = find(c->rbuf + 4, n, "\"reverse\":true") >= 0;
                int at = find(c->rbuf + 4, n, "\"parallel\":");
                u32 par = 0;
                if (at >= 0) for (u32 i = 4 + (u32)at; i < 4 + n && c->rbuf[i] >= '0' && c->rbuf[i] <= '9'; i++) par = par * 10 + (c->rbuf[i] - '0');
                if (par == 0) par = 1;
                consume(c, 4 + n);
                if (par > MAX_STREAMS) { say(c, ACCESS_DENIED); ip3_reset(); return; }
                ip3.want = (u8)par;
                ip3.have = 0;
                for (int i = 0; i < 8; i++) stream_bytes[i] = 0;
                ip3.phase = IS_STREAMS;
                say(c, CREATE_STREAMS);
            } else {
                consume(c, 4 + n);
                ip3_send_results(c);
                say(c, DISPLAY_RESULTS);
                ip3.phase = IS_DONE;
            }
            continue;
        }
        if (!c->rlen) return;
        u8 m = c->rbuf[0];
        consume(c, 1);
        if (m == CLIENT_TERMINATE) { ip3_reset(); return; }
        if (ip3.phase == IS_RUNNING && m == TEST_END) {
            ip3.t1 = now;
            for (int i = 0; i < ip3.have; i++) if (ip3.st[i]) tcp_close(ip3.st[i]);
            ip3.phase = IS_RESULTS;
            say(c, EXCHANGE_RESULTS);
        } else if (ip3.phase == IS_DONE && m == IPERF_DONE) {
            ip3_reset();
            return;
        }
    }
}

static void app_established(struct tcb *t) { if (bi->app == APP_ECHO) t->role = ROLE_ECHO; }

static void app_data(struct tcb *t)
{
    if (t->role == ROLE_ECHO) {
        u32 n = tcp_write(t, t->rbuf, t->rlen);
        consume(t, n);
        return;
    }
    if (t->role == ROLE_NEW) {
        if (t->rlen < COOKIE) return;
        if (!ip3.ctrl) {
            t->role = ROLE_CTRL;
            ip3.ctrl = t;
            memcpy(ip3.cookie, t->rbuf, COOKIE);
            consume(t, COOKIE);
            ip3.phase = IS_PARAMS;
            say(t, PARAM_EXCHANGE);
        } else if (ip3.phase == IS_STREAMS && ip3.have < ip3.want) {
            for (int i = 0; i < COOKIE; i++) if (t->rbuf[i] != ip3.cookie[i]) { say(t, ACCESS_DENIED); tcp_close(t); return; }
            t->role = ROLE_DATA;
            t->sidx = ip3.have;
            ip3.st[ip3.have] = t;
            stream_bytes[ip3.have++] = t->rlen - COOKIE;
            t->rlen = 0;
            if (ip3.have == ip3.want) ip3_start();
            return;
        } else {
            say(t, ACCESS_DENIED);
            tcp_close(t);
            return;
        }
    }
    if (t->role == ROLE_CTRL) ip3_control(t);
}

static void app_acked(struct tcb *t, u32 n)
{
    if (t->role == ROLE_DATA && t->source && n && t->sidx < 8) stream_bytes[t->sidx] += n;
}

static void app_fin(struct tcb *t)
{
    if (t == ip3.ctrl && ip3.phase != IS_DONE) { ip3_reset(); return; }
    tcp_close(t);
}

static void app_closed(struct tcb *t)
{
    if (t == ip3.ctrl) { ip3.ctrl = 0; ip3_reset(); return; }
    for (int i = 0; i < MAX_STREAMS; i++) if (ip3.st[i] == t) ip3.st[i] = 0;
}

/* ---------------------------------------------------------------- frames */

static void handle_frame(u8 *f, u32 n)
{
    if (n < 42) return;
    u16 type = ld16(f + 12);
    if (type == 0x0806) {
        /* ARP request for our address: answer in place, to whoever asked. */
        if (ld16(f + 20) != 1 || *(u32 *)(f + 38) != my_ip) return;
        st16(f + 20, 2);
        memcpy(f + 32, f + 22, 10);
        memcpy(f + 22, bi->mac, 6);
        *(u32 *)(f + 28) = my_ip;
        memcpy(f, f + 6, 6);
        memcpy(f + 6, bi->mac, 6);
        send_frame(f, 42, 0, 0, 0);
        return;
    }
    if (type != 0x0800 || (f[14] >> 4) != 4 || *(u32 *)(f + 30) != my_ip) return;
    u32 ihl = (f[14] & 15) * 4;
    u32 tot = ld16(f + 16);
    if (tot + 14 > n || tot < ihl) return;
    if (ld16(f + 20) & 0x3fff) return; /* fragments: not for us */
    u8 proto = f[23];
    if (proto == 6 && ihl == 20 && tot >= 40) {
        tcp_input(f, f + 34, tot - 20);
    } else if (proto == 1 && f[14 + ihl] == 8) {
        /* ICMP echo request: turn it around in place. */
        f[14 + ihl] = 0;
        u32 a = *(u32 *)(f + 26);
        *(u32 *)(f + 26) = my_ip;
        *(u32 *)(f + 30) = a;
        f[22] = 64;
        memcpy(f, f + 6, 6);
        memcpy(f + 6, bi->mac, 6);
        send_frame(f, 14 + tot, 0, 0, SEND_CSUM);
    }
}

__attribute__((noreturn, section(".text._start"))) void _start(struct boot_info *boot)
{
    bi = boot;
    {
        /* Touch every page of .bss (18 pages) before the first wait: a page's first touch faults into the host, tens
           of us here, and a parked warm guest pays them before it is claimed rather than on its first SYN. */
        extern u8 __bss_start[], __bss_end[];
        for (volatile u8 *q = __bss_start; q < __bss_end; q += 4096) *q = 0;
    }
    struct hc_wait w = { (u64)rx, sizeof rx, WAIT_FOREVER, 0, 0, (u64)txq, 0 };
#ifdef LNFV_FAULT_TEST
    /* Test variant: once bound (the first wait returns), misbehave as the boot info says. */
    w.deadline = 0;
    hypercall(HC_WAIT, &w);
    if (bi->app == APP_SPIN_TEST) {
        PUTS("lnfv-uk: spinning on purpose\n");
        for (;;) __asm__ volatile("" ::: "memory"); /* never another hypercall: only a signal stops it */
    }
    PUTS("lnfv-uk: faulting on purpose\n");
    *(volatile u64 *)0x7ff000000000UL = 1; /* unmapped: #PF with no IDT, so a triple fault */
#endif
    for (;;) {
        w.deadline = acks_owed ? 0 : next_deadline();
        w.count = ntx;
        hypercall(HC_WAIT, &w);
        ntx = 0;
        now = w.now;
        my_ip = *(u32 *)bi->ip; /* a warm guest learns its address when its first wait returns */
        tcp_timers();
        if (w.len) {
            handle_frame(rx, (u32)w.len);
        } else if (acks_owed) {
            /* Nothing more arrived: acknowledge what did before blocking. */
            FOR_ACTIVE(i, m) if (tcbs[i].acks_owed) send_ack(&tcbs[i]);
            acks_owed = 0;
        }
    }
}
