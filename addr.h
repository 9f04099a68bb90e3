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

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common.h"

#define IPV4_TEXT_MAX 16 /* "255.255.255.255" + NUL */

/*
 * Strict dotted-decimal only, through inet_pton(): "1.1.1", "256.1.1.1",
 * "0177.0.0.1" (octal to inet_aton) and trailing junk are all rejected, so
 * what is blocked is exactly what the operator wrote. Returns 0 or -1.
 */
int ipv4_parse(const char *text, uint32_t *host_order);

/* The dotted-decimal text of a host-order address; returns `buf`. */
const char *ipv4_format(uint32_t host_order, char buf[IPV4_TEXT_MAX]);

/*
 * Addresses and prefixes of either family, as the blocklist keys them
 * (common.h struct addr_key).
 */
#define ADDR_TEXT_MAX 52 /* INET6_ADDRSTRLEN + "/128" */

/*
 * "192.0.2.1", "10.0.0.0/8", "2001:db8::1", "2001:db8::/32". Strict: IPv4
 * in dotted decimal without leading zeros (inet_pton), IPv6 as inet_pton
 * reads it, no zone ids ("fe80::1%eth0"), a prefix length in decimal
 * without leading zeros, and no host bits set beyond the prefix (the error
 * names the network that was probably meant). "::ffff:1.2.3.4" is the IPv4
 * address 1.2.3.4. Returns 0, or -1 with the reason in `why`.
 */
int addr_parse(const char *text, struct addr_key *key, char *why, size_t why_len);

/* The text of a key, with "/N" when it is a prefix, IPv6 as RFC 5952 says; returns `buf`. */
const char *addr_format(const struct addr_key *key, char buf[ADDR_TEXT_MAX]);

/* Whether the key is one whole address rather than a prefix. */
int addr_is_single(const struct addr_key *key);

/* Order for lists: IPv4 before IPv6, then by address, then shorter prefixes first. */
int addr_cmp(const struct addr_key *a, const struct addr_key *b);

/* A growing list of host-order addresses. */
struct addr_list {
	uint32_t *addr;
	size_t cnt, cap;
};

/* Append one address; -1 when memory runs out. */
int addr_list_add(struct addr_list *list, uint32_t host_order);

/* Sort and drop duplicates: blocking an address twice is one entry. */
void addr_list_unique(struct addr_list *list);

void addr_list_free(struct addr_list *list);

/*
 * Read addresses from `f`, one per line: `#` starts a comment, blank lines
 * and surrounding blanks are ignored. Every line is checked before any is
 * used; on the first bad one, returns -1 with "NAME:LINE: ..." in `err` and
 * leaves `list` as it was. `name` only labels messages ("-" for stdin).
 */
int addr_file_read(FILE *f, const char *name, struct addr_list *list, char *err, size_t err_len);

#endif
