/* The few library routines a freestanding guest needs (gcc may emit calls to memcpy/memset itself), and checksums. */
#include "uk.h"

void *memcpy(void *d, const void *s, u64 n) { void *r = d; __asm__ volatile("rep movsb" : "+D"(d), "+S"(s), "+c"(n) :: "memory"); return r; }
void *memmove(void *d, const void *s, u64 n)
{
    u8 *dp = d; const u8 *sp = s;
    if (dp <= sp) return memcpy(d, s, n);
    while (n--) dp[n] = sp[n];
    return d;
}
void *memset(void *d, int c, u64 n) { void *r = d; __asm__ volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(c) : "memory"); return r; }

u64 csum_add(const void *p, u64 n, u64 sum)
{
    const u8 *b = p;
    /* 32-bit words into a 64-bit sum: carries collect in the high half, folded once at the end. */
    for (; n >= 4; n -= 4, b += 4) sum += *(const u32 *)b;
    if (n >= 2) { sum += *(const u16 *)b; b += 2; n -= 2; }
    if (n) sum += *b;
    return sum;
}

u16 csum_fold(u64 sum)
{
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return (u16)~sum;
}

/* The sums run in memory order, so the folded result is stored as is (RFC 1071's byte-order independence). */
void csum_frame(u8 *head, u64 head_len, const u8 *data, u64 data_len)
{
    if (head_len < 34 || ld16(head + 12) != 0x0800) return;
    u8 *ip = head + 14;
    u32 ihl = (ip[0] & 15) * 4u;
    u32 total = ld16(ip + 2);
    if (ihl < 20 || total < ihl || 14 + total != head_len + data_len || 14 + ihl > head_len) return;
    ip[10] = ip[11] = 0;
    *(u16 *)(ip + 10) = csum_fold(csum_add(ip, ihl, 0));
    u8 *l4 = ip + ihl;
    u64 in_head = head_len - 14 - ihl; /* even for every frame the guest builds, so data's words line up */
    u32 l4_len = total - ihl;
    if (ip[9] == 6 && l4_len >= 20 && in_head >= 20) {
        l4[16] = l4[17] = 0;
        u64 s = csum_add(ip + 12, 8, 0) + be16(6) + be16((u16)l4_len);
        s = csum_add(l4, in_head, s);
        s = csum_add(data, data_len, s);
        *(u16 *)(l4 + 16) = csum_fold(s);
    } else if (ip[9] == 1 && l4_len >= 4 && in_head >= 4) {
        l4[2] = l4[3] = 0;
        u64 s = csum_add(l4, in_head, 0);
        s = csum_add(data, data_len, s);
        *(u16 *)(l4 + 2) = csum_fold(s);
    }
}
