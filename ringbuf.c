/* SPDX-License-Identifier: MIT */
/*
 * ringbuf.c - map the BPF ring buffer and read records out of it (ringbuf.h).
 *
 * Ordering, as with the perf rings: producer_pos is read with acquire, and
 * so is each record's header, whose busy bit the kernel clears (with
 * release) when the record is committed; consumer_pos is written with
 * release, after our reads, so the kernel cannot reuse the space early.
 *
 * The positions are the kernel's unsigned long: 64-bit on a 64-bit kernel
 * even under a 32-bit process (an armhf binary on arm64), 32-bit on a
 * 32-bit kernel, where the word after producer_pos is something else
 * (pending_pos, from 6.8). So a 32-bit process asks uname() which kernel it
 * runs on, with a 32-bit personality (`linux32`), which makes a 64-bit
 * kernel answer like a 32-bit one, set aside for the question.
 */
#include "ringbuf.h"

#include <errno.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/utsname.h>

int kernel_is_64bit(void)
{
	struct utsname u;
	int persona, got;

	if (sizeof(long) == 8)
		return 1;
	persona = personality(0xffffffff);
	if (persona != -1 && (persona & PER_MASK) == PER_LINUX32)
		personality((unsigned long)(persona & ~PER_MASK) | PER_LINUX);
	got = uname(&u);
	if (persona != -1 && (persona & PER_MASK) == PER_LINUX32)
		personality((unsigned long)persona);
	return got == 0 && (strstr(u.machine, "64") != NULL || strcmp(u.machine, "s390x") == 0);
}

int ringbuf_open(struct ringbuf *rb, int map_fd, size_t size)
{
	long page_size = (long)getauxval(AT_PAGESZ);
	void *p;
	int saved;

	memset(rb, 0, sizeof(*rb));
	rb->map_fd = map_fd;
	if (page_size <= 0 || size == 0 || (size & (size - 1)) != 0 ||
	    size % (size_t)page_size != 0 || size > (SIZE_MAX - (size_t)page_size) / 2) {
		errno = EINVAL;
		return -1;
	}
	rb->page_size = (size_t)page_size;
	rb->size = size;
	rb->wide = kernel_is_64bit();
	/* The consumer page is the one part we write; the kernel refuses PROT_WRITE on the rest. */
	p = mmap(NULL, rb->page_size, PROT_READ | PROT_WRITE, MAP_SHARED, map_fd, 0);
	if (p == MAP_FAILED)
		return -1;
	rb->consumer = p;
	rb->producer_len = rb->page_size + 2 * size;
	p = mmap(NULL, rb->producer_len, PROT_READ, MAP_SHARED, map_fd, (off_t)rb->page_size);
	if (p == MAP_FAILED) {
		saved = errno;
		ringbuf_close(rb);
		errno = saved;
		return -1;
	}
	rb->producer = p;
	rb->data = (const uint8_t *)p + rb->page_size;
	return 0;
}

void ringbuf_close(struct ringbuf *rb)
{
	if (rb->consumer)
		munmap(rb->consumer, rb->page_size);
	if (rb->producer)
		munmap(rb->producer, rb->producer_len);
	memset(rb, 0, sizeof(*rb));
	rb->map_fd = -1;
}

static uint64_t position_load(void *pos, int wide)
{
	return wide ? ring_counter_load(pos) : __atomic_load_n((uint32_t *)pos, __ATOMIC_ACQUIRE);
}

static void position_store(void *pos, int wide, uint64_t value)
{
	if (wide)
		ring_counter_store(pos, value);
	else
		__atomic_store_n((uint32_t *)pos, (uint32_t)value, __ATOMIC_RELEASE);
}

void ringbuf_read(void *consumer, void *producer, const uint8_t *data, size_t size, int wide,
		  const struct perf_ring_handler *h, struct perf_ring_stats *stats)
{
	uint64_t cons = position_load(consumer, wide);
	uint64_t prod = position_load(producer, wide);
	/* 32-bit positions wrap at 2^32: their difference is right in 32 bits. */
	uint64_t avail = wide ? prod - cons : (uint32_t)(prod - cons);

	/*
	 * Nothing in the ring is trusted. More published than the ring holds,
	 * a length that overruns what was published, or a header not on its
	 * 8-byte boundary: count it, give everything up to producer_pos back,
	 * and go on with what comes next.
	 */
	if (avail > size || cons % 8 != 0) {
		stats->corrupt++;
		position_store(consumer, wide, prod);
		return;
	}
	while (avail > 0) {
		const uint8_t *rec = data + (size_t)(cons & (size - 1));
		uint32_t len, total;

		if (avail < RINGBUF_HDR_SIZE) {
			stats->corrupt++;
			cons += avail;
			break;
		}
		len = __atomic_load_n((const uint32_t *)rec, __ATOMIC_ACQUIRE);
		if (len & RINGBUF_BUSY_BIT)
			break; /* reserved, not committed yet: the next drain reads it */
		/* len < 2^30 here, so this cannot overflow; rounded up to 8 bytes. */
		total = ((len & ~RINGBUF_DISCARD_BIT) + RINGBUF_HDR_SIZE + 7) & ~7u;
		if (total > avail) {
			stats->corrupt++;
			cons += avail;
			break;
		}
		if (!(len & RINGBUF_DISCARD_BIT)) {
			stats->samples++;
			h->sample(h->ctx, rec + RINGBUF_HDR_SIZE, len);
		}
		cons += total;
		avail -= total;
	}
	position_store(consumer, wide, cons);
}

void ringbuf_drain(struct ringbuf *rb, const struct perf_ring_handler *h,
		   struct perf_ring_stats *stats)
{
	ringbuf_read(rb->consumer, rb->producer, rb->data, rb->size, rb->wide, h, stats);
}
