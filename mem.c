/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE /* mremap() */
#include "mem.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

/* Larger than any address space holds: refused alike by both heaps below. */
#define MEM_MAX (SIZE_MAX / 2)

#ifdef MEM_LIBC

void *mem_alloc(size_t size)
{
	if (size > MEM_MAX) {
		errno = ENOMEM;
		return NULL;
	}
	return calloc(1, size ? size : 1);
}

void *mem_resize(void *p, size_t size)
{
	if (size > MEM_MAX) {
		errno = ENOMEM;
		return NULL;
	}
	return realloc(p, size ? size : 1);
}

void mem_free(void *p)
{
	free(p);
}

#else

/*
 * Each mapping starts with its length, which munmap() and mremap() need
 * back. 16 bytes keep the caller's pointer as aligned as malloc()'s.
 */
struct mem_head {
	size_t mapped;
	size_t pad;
};

/* The mapping for `size` bytes and the head; 0 if that overflows. */
static size_t mapped_size(size_t size)
{
	return size > MEM_MAX ? 0 : size + sizeof(struct mem_head);
}

void *mem_alloc(size_t size)
{
	size_t mapped = mapped_size(size);
	struct mem_head *h;

	if (!mapped) {
		errno = ENOMEM;
		return NULL;
	}
	/* Anonymous pages come zeroed: calloc() for free. */
	h = mmap(NULL, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (h == MAP_FAILED) {
		errno = ENOMEM;
		return NULL;
	}
	h->mapped = mapped;
	return h + 1;
}

void *mem_resize(void *p, size_t size)
{
	size_t mapped = mapped_size(size);
	struct mem_head *h;

	if (!p)
		return mem_alloc(size);
	if (!mapped) {
		errno = ENOMEM;
		return NULL;
	}
	/* The kernel rounds both lengths up to pages; the head records ours. */
	h = (struct mem_head *)p - 1;
	h = mremap(h, h->mapped, mapped, MREMAP_MAYMOVE);
	if (h == MAP_FAILED) {
		errno = ENOMEM;
		return NULL;
	}
	h->mapped = mapped;
	return h + 1;
}

void mem_free(void *p)
{
	if (p) {
		struct mem_head *h = (struct mem_head *)p - 1;

		munmap(h, h->mapped);
	}
}

#endif
