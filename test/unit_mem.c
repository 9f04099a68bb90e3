/* SPDX-License-Identifier: MIT */
/*
 * unit_mem.c - tests of the heap (mem.c).
 */
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "mem.h"
#include "unit.h"

/* The heap of the static binary (mmap) and of the test builds (malloc) keep the same contract. */
static void memory_grows_and_keeps_bytes(void)
{
	unsigned char *p = mem_alloc(100), *q;
	size_t i;

	CHECK(p != NULL);
	if (!p)
		return;
	for (i = 0; i < 100; i++)
		CHECK(p[i] == 0);
	memset(p, 0x5a, 100);
	q = mem_resize(p, 1u << 20);
	CHECK(q != NULL);
	if (!q) {
		mem_free(p);
		return;
	}
	for (i = 0; i < 100; i++)
		CHECK(q[i] == 0x5a);
	q[(1u << 20) - 1] = 1;
	p = mem_resize(q, 10);
	CHECK(p != NULL && p[9] == 0x5a);
	mem_free(p ? p : q);
	mem_free(NULL);
	CHECK(mem_alloc(SIZE_MAX) == NULL && mem_resize(NULL, SIZE_MAX - 8) == NULL);
}

void unit_mem(void)
{
	RUN(memory_grows_and_keeps_bytes);
}
