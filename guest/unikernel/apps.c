/* The applications compiled into the guest, on TCP's callbacks: the iperf3 server (control and data streams) and TCP echo. */
#include "uk.h"

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

void app_established(struct tcb *t) { if (bi->app == APP_ECHO) t->role = ROLE_ECHO; }

void app_data(struct tcb *t)
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

void app_acked(struct tcb *t, u32 n)
{
    if (t->role == ROLE_DATA && t->source && n && t->sidx < 8) stream_bytes[t->sidx] += n;
}

void app_fin(struct tcb *t)
{
    if (t == ip3.ctrl && ip3.phase != IS_DONE) { ip3_reset(); return; }
    tcp_close(t);
}

void app_closed(struct tcb *t)
{
    if (t == ip3.ctrl) { ip3.ctrl = 0; ip3_reset(); return; }
    for (int i = 0; i < MAX_STREAMS; i++) if (ip3.st[i] == t) ip3.st[i] = 0;
}
