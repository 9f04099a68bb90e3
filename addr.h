/* SPDX-License-Identifier: MIT */
/*
 * addr.h - the blocklist's address format, in one place: parsing and
 * printing addresses and prefixes of both families, and lists of them.
 */
#ifndef ADDR_H
#define ADDR_H

#include <stddef.h>
#include <stdint.h>

#include "common.h"

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

/*
 * Sorts `cnt` records of `size` bytes (a multiple of 4) that each start
 * with a struct addr_key, in addr_cmp() order.
 */
void addr_sort(void *records, size_t cnt, size_t size);

/* The index of `key` among `cnt` records as addr_sort() takes them, sorted; or -1. */
long addr_search(const void *records, size_t cnt, size_t size, const struct addr_key *key);

/* Whether `key` is in `sorted` (sorted by addr_sort()). */
int addr_find(const struct addr_key *key, const struct addr_key *sorted, size_t cnt);

/* An address or prefix to block, and for how long. */
struct addr_entry {
	struct addr_key key; /* first, for addr_sort() */
	uint64_t timeout_ns; /* 0: for good */
};

/* A growing list of them. */
struct addr_list {
	struct addr_entry *e;
	size_t cnt, cap;
};

/* Append one entry; -1 when memory runs out. */
int addr_list_add(struct addr_list *list, const struct addr_key *key, uint64_t timeout_ns);

/*
 * Sort (addr_cmp) and drop duplicates: blocking an address twice is one
 * entry, which keeps the longest time asked for (for good, over any).
 */
void addr_list_unique(struct addr_list *list);

void addr_list_free(struct addr_list *list);

/* The index of `key` in `list` (sorted by addr_list_unique()), or -1. */
long addr_list_find(const struct addr_list *list, const struct addr_key *key);

/*
 * Read addresses and prefixes from `fd`, one per line: `#` or `;` starts a
 * comment, blank lines, surrounding blanks, a CR before the newline and a
 * UTF-8 byte-order mark at the start of the file are ignored. What `list`
 * prints reads back: "ADDR DROPS [TIME-LEFT]" (the counter is not kept) and
 * its JSON lines ("address" and "expires_in"); an entry's own time left
 * is kept, one without gets `timeout_ns`. Every line is checked before any
 * is used; on the first bad one, returns -1 with "NAME:LINE: ..." in `err`
 * and leaves `list` as it was. `name` only labels messages ("-" for stdin).
 */
int addr_file_read(int fd, const char *name, uint64_t timeout_ns, struct addr_list *list, char *err,
		   size_t err_len);

#endif
