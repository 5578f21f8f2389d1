/*
 * LightNFV unikernel guest: one application (iperf3 server or TCP echo) with its own ARP, ICMP echo and TCP, on a
 * platform layer (platform.h) that is either LightNFV's KVM monitor (bindings/hvt.c) or a sandboxed Linux process
 * (bindings/spt.c, under lnfv-spt).
 *
 * Written for a host where every guest instruction may be emulated (~1 us each): the boot path is a handful of
 * instructions (no memset, no page-table work: the monitor pre-builds everything), checksums are offloaded to the
 * platform (SEND_CSUM), received checksums are not re-verified (frames come from the host's own stack over a tap),
 * and iperf3 payload is never copied (counted on receive, sent from a zero page).
 */
#include "uk.h"

__attribute__((noreturn, section(".text._start"))) void _start(struct boot_info *boot)
{
    bi = boot;
    {
        /* Touch every page of .bss (18 pages) before the first wait: a page's first touch faults into the host, tens
           of us here, and a parked warm guest pays them before it is claimed rather than on its first SYN. */
        extern u8 __bss_start[], __bss_end[];
        for (volatile u8 *q = __bss_start; q < __bss_end; q += 4096) *q = 0;
    }
    u64 deadline = WAIT_FOREVER;
    u8 *frame = 0;
#ifdef LNFV_FAULT_TEST
    /* Test variant: once bound (the first wait returns; a warm guest's, once its claim came), misbehave as it says. */
    do plat_wait(txq, 0, bi->app ? 0 : WAIT_FOREVER, &frame, &now); while (!bi->app);
    if (bi->app == APP_SPIN_TEST) {
        PUTS("lnfv-uk: spinning on purpose\n");
        for (;;) __asm__ volatile("" ::: "memory"); /* never another hypercall: only a signal stops it */
    }
#ifdef LNFV_SPT
    if (bi->app == APP_SYSCALL_TEST) {
        PUTS("lnfv-uk: making a forbidden system call on purpose (getppid)\n");
        long r;
        __asm__ volatile("syscall" : "=a"(r) : "a"(110L) : "rcx", "r11", "memory");
        PUTS("lnfv-uk: the forbidden system call returned\n");
    }
    if (bi->app == APP_CLAIM_READ_TEST) {
        /* A warm guest's filter allows a read on the control FIFO of one claim's size only. */
        PUTS("lnfv-uk: reading the control FIFO with another size on purpose\n");
        u8 buf[8];
        long r;
        __asm__ volatile("syscall" : "=a"(r) : "a"(0L), "D"((long)SPT_CONTROL_FD), "S"(buf), "d"(8L) : "rcx", "r11", "memory");
        PUTS("lnfv-uk: the read returned\n");
    }
#endif
    PUTS("lnfv-uk: faulting on purpose\n");
    *(volatile u64 *)0x7ff000000000UL = 1; /* unmapped: #PF with no IDT, so a triple fault (SIGSEGV as a process) */
#endif
    for (;;) {
        deadline = acks_owed ? 0 : next_deadline();
        u64 n = ntx;
        ntx = 0;
        u64 len = plat_wait(txq, n, deadline, &frame, &now);
        my_ip = *(u32 *)bi->ip; /* a warm guest learns its address when its first wait returns */
        tcp_timers();
        if (len) {
            handle_frame(frame, (u32)len);
        } else if (acks_owed) {
            /* Nothing more arrived: acknowledge what did before blocking. */
            FOR_ACTIVE(i, m) if (tcbs[i].acks_owed) send_ack(&tcbs[i]);
            acks_owed = 0;
        }
    }
}
