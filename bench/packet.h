/* SPDX-License-Identifier: MIT */
/*
 * packet.h - the packet bench/ gives the program with BPF_PROG_TEST_RUN,
 * shared by prog_cost.c and events.c.
 */
#ifndef BENCH_PACKET_H
#define BENCH_PACKET_H

#include <stdint.h>
#include <string.h>

/* Ethernet + IPv4 + UDP to 192.0.2.1, or Ethernet + IPv6 + UDP to 2001:db9::1. */
static inline uint32_t bench_packet(uint8_t *pkt, int v6)
{
	static const uint8_t v6dst[16] = { 0x20, 0x01, 0x0d, 0xb9, [15] = 1 };
	uint32_t len = v6 ? 14 + 40 + 8 + 16 : 14 + 20 + 8 + 16;

	memset(pkt, 0, len);
	pkt[12] = v6 ? 0x86 : 0x08;
	pkt[13] = v6 ? 0xdd : 0x00;
	if (v6) {
		pkt[14] = 0x60;
		pkt[18] = 0, pkt[19] = 24; /* payload length */
		pkt[20] = 17;		   /* next header: UDP */
		pkt[21] = 64;
		pkt[22] = 0xfd, pkt[37] = 1; /* source fd00::1 */
		memcpy(pkt + 38, v6dst, 16);
	} else {
		pkt[14] = 0x45;
		pkt[16] = 0, pkt[17] = 44; /* total length */
		pkt[22] = 64;
		pkt[23] = 17;
		pkt[26] = 10, pkt[29] = 1;			      /* source 10.0.0.1 */
		pkt[30] = 192, pkt[31] = 0, pkt[32] = 2, pkt[33] = 1; /* destination 192.0.2.1 */
	}
	return len;
}

#endif
