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

/*
 * addr_sort() against the C library's qsort(), on sizes that exercise the
 * heap's edges, and the radix sort's (256 records and more) with every
 * byte addr_cmp() looks at varying.
 */
#define MOST 5000
static void keys_sort_and_search(void)
{
	static const size_t sizes[] = { 0, 1, 2, 3, 7, 64, 255, 256, 257, 1000, MOST };
	struct addr_key *ours = mem_alloc(MOST * sizeof(*ours));
	struct addr_key *libc = malloc(MOST * sizeof(*libc));
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
			if (sizes[s] == MOST) { /* the other bytes too */
				seed = seed * 1103515245u + 12345u;
				ours[i].allow = (seed >> 16) & 1;
				ours[i].addr[7] = (uint8_t)(seed >> 8);
				ours[i].prefixlen ^= (seed >> 24) << ((seed >> 17) & 3) * 8;
			}
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
	CHECK(!addr_find(&libc[0], ours, MOST));
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
	/* ... in the radix sort too. */
	{
		struct {
			struct addr_key key;
			uint64_t drops;
		} *many = mem_alloc(300 * sizeof(*many));

		if (!many)
			abort();
		for (i = 0; i < 300; i++) {
			many[i].key.family = ADDR_IPV4;
			many[i].key.addr[2] = (uint8_t)((300 - i) >> 8);
			many[i].key.addr[3] = (uint8_t)(300 - i);
			many[i].drops = 300 - i;
		}
		addr_sort(many, 300, sizeof(many[0]));
		for (i = 0; i < 300; i++)
			CHECK(many[i].key.addr[2] * 256u + many[i].key.addr[3] == i + 1 &&
			      many[i].drops == i + 1);
		mem_free(many);
	}
	mem_free(ours);
	free(libc);
}

void unit_sort(void)
{
	RUN(keys_sort_and_search);
}
