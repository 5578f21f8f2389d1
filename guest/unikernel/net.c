/* The link: the transmit queue, and frames in (Ethernet, ARP, IPv4 with ICMP echo; TCP goes to tcp.c). */
#include "uk.h"

struct boot_info *bi;
u32 my_ip;
u64 now;
/*
 * Frames are queued and go out with the next wait (or a send when the queue is full): each exit costs far more
 * than a few instructions here. A queued frame points at its bytes, so they must not change until it is sent.
 */
struct tx_desc txq[TXQ];
static u8 txhdr[TXQ][64] __attribute__((aligned(16)));
u64 ntx;

void flush_tx(void)
{
    if (!ntx) return;
    plat_send(txq, ntx);
    ntx = 0;
}

u8 *tx_header(void)
{
    if (ntx == TXQ) flush_tx();
    return txhdr[ntx];
}

void send_frame(const u8 *head, u64 head_len, const u8 *data, u64 data_len, u64 flags)
{
    if (ntx == TXQ) flush_tx();
    struct tx_desc *d = &txq[ntx++];
    d->head = (u64)head;
    d->head_len = head_len;
    d->data = (u64)data;
    d->data_len = data_len;
    d->flags = flags;
}


void handle_frame(u8 *f, u32 n)
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
