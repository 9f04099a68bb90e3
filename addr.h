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

#define IPV4_TEXT_MAX 16 /* "255.255.255.255" + NUL */

/*
 * Strict dotted-decimal only, through inet_pton(): "1.1.1", "256.1.1.1",
 * "0177.0.0.1" (octal to inet_aton) and trailing junk are all rejected, so
 * what is blocked is exactly what the operator wrote. Returns 0 or -1.
 */
int ipv4_parse(const char *text, uint32_t *host_order);

/* The dotted-decimal text of a host-order address; returns `buf`. */
const char *ipv4_format(uint32_t host_order, char buf[IPV4_TEXT_MAX]);

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
