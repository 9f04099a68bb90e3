/* SPDX-License-Identifier: MIT */
/*
 * mem.h - the tool's heap, taken from the kernel directly.
 *
 * Every allocation here is one of a few large buffers that live for a
 * whole step: the object's copy, its instructions, key lists, per-CPU
 * scratch space. Pages from mmap(2) serve those as well as malloc() does,
 * and leave musl's allocator (9 KiB) out of the static binary's 128 KiB.
 * Growing uses mremap(2), which moves pages rather than copying bytes, so
 * a list of a million keys doubles for the price of a page-table update.
 *
 * Test builds define MEM_LIBC and get malloc(), so that AddressSanitizer
 * and valgrind watch every byte of these buffers.
 */
#ifndef MEM_H
#define MEM_H

#include <stddef.h>

/* `size` zeroed bytes, or NULL with errno ENOMEM. */
void *mem_alloc(size_t size);
/* realloc()'s contract; bytes past the old size are not promised to be zero. */
void *mem_resize(void *p, size_t size);
void mem_free(void *p);

#endif
