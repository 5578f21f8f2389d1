/* The KVM binding: each platform call is one `outl` of its argument block's address to LightNFV's monitor (abi.h). */
#include "../platform.h"

static inline void hypercall(u16 port, void *arg) { __asm__ volatile("outl %0, %1" :: "a"((u32)(u64)arg), "Nd"(port) : "memory"); }

void plat_console(const char *s, u64 n) { struct hc_console c = { (u64)s, n }; hypercall(HC_CONSOLE, &c); }

void plat_send(const struct tx_desc *d, u64 n) { struct hc_send s = { (u64)d, n }; hypercall(HC_SEND, &s); }

static u8 rx[2048] __attribute__((aligned(16)));

u64 plat_wait(const struct tx_desc *d, u64 n, u64 deadline, u8 **frame, u64 *now)
{
    struct hc_wait w = { (u64)rx, sizeof rx, deadline, 0, 0, (u64)d, n };
    hypercall(HC_WAIT, &w);
    *now = w.now;
    *frame = rx;
    return w.len;
}
