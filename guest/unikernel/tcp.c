/*
 * TCP: passive open only; in-order receive with cumulative ACKs (every second segment, and before the guest blocks)
 * and an advertised window; send with go-back-N retransmission on a doubling timeout; FIN in both directions and RST.
 * No options beyond MSS, no window scaling, no TIME_WAIT.
 */
#include "uk.h"

#define RTO_MIN 200000000UL  /* 200 ms */
#define RTO_MAX 3000000000UL
#define MAX_RETRIES 8

#ifdef LNFV_SPT
static u8 zeros[TCP_SEG_MAX]; /* not const: in .bss rather than as 23 KB of zero bytes in the image */
#else
static const u8 zeros[TCP_SEG_MAX];
#endif
struct tcb tcbs[MAXC];
u32 active;
static u32 iss_seed = 0x4c4e4656;
static u16 ip_id;
int acks_owed;
u64 stream_bytes[8];

#define F_FIN 0x01
#define F_SYN 0x02
#define F_RST 0x04
#define F_PSH 0x08
#define F_ACK 0x10

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
    /* Data streams are consumed at once: DATA_WND (uk.h). */
    u32 wnd = t->role == ROLE_DATA ? DATA_WND : RBUF - t->rlen;
    st16(p + 14, (u16)wnd);
    *(u32 *)(p + 16) = 0; /* checksum, urgent pointer */
    if (thl == 24) { p[20] = 2; p[21] = 4; st16(p + 22, 1460); }
    send_frame(h, 34 + thl, data, len, SEND_CSUM);
    if (flags & 0x10) { acks_owed -= t->acks_owed; t->acks_owed = 0; }
}

void send_ack(struct tcb *t) { tcp_send(t, t->snd_nxt, F_ACK, 0, 0); }

static void arm(struct tcb *t) { if (!t->rto_at) t->rto_at = now + t->rto; }

static void tcb_free(struct tcb *t)
{
    acks_owed -= t->acks_owed;
    t->acks_owed = 0;
    t->state = CLOSED;
    active &= ~(1u << (t - tcbs));
    app_closed(t);
}

void tcp_output(struct tcb *t)
{
    if (t->state == SYN_RCVD || t->state == CLOSED) return;
    u32 wnd_end = t->snd_una + t->snd_wnd;
    for (;;) {
        if (seq_le(wnd_end, t->snd_nxt)) break;
        u32 room = wnd_end - t->snd_nxt;
        u32 n = TCP_SEG_MAX;
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
u32 tcp_write(struct tcb *t, const void *data, u32 len)
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

void tcp_close(struct tcb *t)
{
    if (t->fin_queued) return;
    if (t->endless) { t->endless = 0; t->snd_end = t->snd_max; }
    t->fin_queued = 1;
    if (t->state == ESTAB) t->state = FIN_WAIT1;
    else if (t->state == CLOSE_WAIT) t->state = LAST_ACK;
    tcp_output(t);
}

void tcp_abort(struct tcb *t)
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

void tcp_input(const u8 *frame, const u8 *tcp, u32 seglen_total)
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

void tcp_timers(void)
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

u64 next_deadline(void)
{
    u64 d = WAIT_FOREVER;
    FOR_ACTIVE(i, m) {
        struct tcb *t = &tcbs[i];
        if (t->state != CLOSED && t->rto_at && t->rto_at < d) d = t->rto_at;
    }
    return d;
}
