/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE /* mremap() */
#include "mem.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/auxv.h>
#include <sys/mman.h>

/* Larger than any address space holds: refused alike by both heaps below. */
#define MEM_MAX (SIZE_MAX / 2)
/* include/uapi/asm-generic/mman-common.h (and MIPS's): not in every libc's headers yet. */
#define MEM_POPULATE_WRITE 23

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
	/*
	 * Anonymous pages come zeroed: calloc() for free. MAP_POPULATE maps
	 * them all now, in one call, where a fault per page would cost more
	 * (these buffers are filled, not sampled).
	 */
	h = mmap(NULL, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE,
		 -1, 0);
	if (h == MAP_FAILED) {
		errno = ENOMEM;
		return NULL;
	}
	h->mapped = mapped;
	return h + 1;
}

void *mem_resize(void *p, size_t size)
{
	size_t mapped = mapped_size(size), was;
	struct mem_head *h;

	if (!p)
		return mem_alloc(size);
	if (!mapped) {
		errno = ENOMEM;
		return NULL;
	}
	/* The kernel rounds both lengths up to pages; the head records ours. */
	h = (struct mem_head *)p - 1;
	was = h->mapped;
	h = mremap(h, was, mapped, MREMAP_MAYMOVE);
	if (h == MAP_FAILED) {
		errno = ENOMEM;
		return NULL;
	}
	/* The new pages too, at once (Linux 5.14; before it, a fault each). */
	if (mapped > was) {
		const size_t page = getauxval(AT_PAGESZ);
		char *end = (char *)h + was;
		/* madvise() starts at a page boundary: the first page of the new part. */
		char *from = page ? end + (page - (uintptr_t)end % page) % page : end;

		if (from < (char *)h + mapped)
			madvise(from, (size_t)((char *)h + mapped - from), MEM_POPULATE_WRITE);
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
