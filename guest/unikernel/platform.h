/*
 * The guest's platform layer: the few things the shared code (net.c, tcp.c, apps.c, main.c) needs from whatever runs
 * it. Two bindings implement it, as Solo5's bindings/hvt and bindings/spt: bindings/hvt.c (port-I/O hypercalls to
 * LightNFV's KVM monitor) and bindings/spt.c (raw Linux system calls under the lnfv-spt tender's seccomp filter).
 */
#ifndef LNFV_UK_PLATFORM_H
#define LNFV_UK_PLATFORM_H

#include "abi.h"

void plat_console(const char *s, u64 n);

/* Sends the frames now (the queue is full, or bytes a queued frame points at are about to change). */
void plat_send(const struct tx_desc *d, u64 n);

/*
 * Sends the n queued frames, then waits for a frame or the deadline (platform clock, ns since the guest started;
 * WAIT_FOREVER, or <= now to poll) and receives at most one. Returns its length (0 if none) and points *frame at it
 * (the binding's buffer: writable, valid until the next wait); *now is the platform clock.
 */
u64 plat_wait(const struct tx_desc *d, u64 n, u64 deadline, u8 **frame, u64 *now);

#endif
