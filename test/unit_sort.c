/* SPDX-License-Identifier: MIT */
/*
 * unit_sort.c - tests of addr_sort() and addr_find() (addr.c) against the
 * C library's qsort().
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "check.h"
#include "common.h"
#include "mem.h"
#include "unit.h"

static int cmp_keys(const void *a, const void *b)
{
	return addr_cmp(a, b);
}

/* addr_sort() against the C library's qsort(), on sizes that exercise the heap's edges. */
static void keys_sort_and_search(void)
{
	static const size_t sizes[] = { 0, 1, 2, 3, 7, 64, 1000 };
	struct addr_key *ours = mem_alloc(1000 * sizeof(*ours));
	struct addr_key *libc = malloc(1000 * sizeof(*libc));
	struct {
		struct addr_key key;
		uint64_t drops;
	} rec[5];
	unsigned int seed = 1, i, s;

	if (!ours || !libc)
		abort();
	for (s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		for (i = 0; i < sizes[s]; i++) {
			memset(&ours[i], 0, sizeof(ours[i]));
			seed = seed * 1103515245u + 12345u;
			ours[i].family = (seed >> 16) & 1 ? ADDR_IPV4 : ADDR_IPV6;
			ours[i].prefixlen = ADDR_FAMILY_BITS + ((seed >> 8) & 31);
			ours[i].addr[0] = (uint8_t)(seed >> 24); /* repeats, on purpose */
			ours[i].addr[15] = (uint8_t)(seed >> 20) & 3;
		}
		memcpy(libc, ours, sizes[s] * sizeof(*ours));
		addr_sort(ours, sizes[s], sizeof(*ours));
		qsort(libc, sizes[s], sizeof(*libc), cmp_keys);
		CHECK(memcmp(ours, libc, sizes[s] * sizeof(*ours)) == 0);
		for (i = 0; i < sizes[s]; i++)
			CHECK(addr_find(&libc[i], ours, sizes[s]));
	}
	CHECK(!addr_find(&libc[0], ours, 0));
	memset(&libc[0], 0xff, sizeof(libc[0]));
	CHECK(!addr_find(&libc[0], ours, 1000));
	/* Records that start with a key move whole, their payload with them. */
	memset(rec, 0, sizeof(rec));
	for (i = 0; i < 5; i++) {
		rec[i].key.family = ADDR_IPV4;
		rec[i].key.addr[3] = (uint8_t)(5 - i);
		rec[i].drops = 5 - i;
	}
	addr_sort(rec, 5, sizeof(rec[0]));
	for (i = 0; i < 5; i++)
		CHECK(rec[i].key.addr[3] == i + 1 && rec[i].drops == i + 1);
	mem_free(ours);
	free(libc);
}

void unit_sort(void)
{
	RUN(keys_sort_and_search);
}
