/* SPDX-License-Identifier: MIT */
/*
 * addr.h - the blocklist's address format, in one place.
 *
 * A blocklist key is an IPv4 address as a host-order u32: 1.2.3.4 is
 * 0x01020304 whatever the CPU. prog.bpf.c converts the packet's destination
 * the same way, so both sides agree on every byte order.
 */
#ifndef ADDR_H
#define ADDR_H

#include <stdint.h>

#define IPV4_TEXT_MAX 16 /* "255.255.255.255" + NUL */

/*
 * Strict dotted-decimal only, through inet_pton(): "1.1.1", "256.1.1.1",
 * "0177.0.0.1" (octal to inet_aton) and trailing junk are all rejected, so
 * what is blocked is exactly what the operator wrote. Returns 0 or -1.
 */
int ipv4_parse(const char *text, uint32_t *host_order);

/* The dotted-decimal text of a host-order address; returns `buf`. */
const char *ipv4_format(uint32_t host_order, char buf[IPV4_TEXT_MAX]);

#endif
