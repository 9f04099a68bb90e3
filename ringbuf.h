/* SPDX-License-Identifier: MIT */
/*
 * ringbuf.h - the BPF ring buffer (BPF_MAP_TYPE_RINGBUF, Linux 5.8),
 * mmapped and read by hand: the second way events reach us, for kernels
 * whose perf events cannot carry them (no CONFIG_BPF_EVENTS, or no
 * CONFIG_PERF_EVENTS at all, as OpenWrt builds them).
 *
 * One ring for all CPUs, in three mappings of the map's fd
 * (kernel/bpf/ringbuf.c):
 *
 *   offset 0          page_size         2 * page_size
 *   +--------------+  +--------------+  +----------------------+----------------------+
 *   | consumer_pos |  | producer_pos |  | data (size bytes)    | the same data again  |
 *   +--------------+  +--------------+  +----------------------+----------------------+
 *    ours, writable    the kernel's, read-only
 *
 * The data pages are mapped twice in a row, so a record that runs past the
 * end continues in the second copy and is always read in one piece. Each
 * record is an 8-byte header (u32 length with two flag bits, u32 page
 * offset) and the sample, the whole rounded up to 8 bytes.
 */
#ifndef RINGBUF_H
#define RINGBUF_H

#include <stddef.h>
#include <stdint.h>

#include "perf_ring.h"

#define RINGBUF_HDR_SIZE 8
#define RINGBUF_BUSY_BIT (1u << 31)    /* reserved, not yet committed */
#define RINGBUF_DISCARD_BIT (1u << 30) /* committed as discarded: skip it */

struct ringbuf {
	int map_fd;	     /* borrowed */
	void *consumer;	     /* one page, ours to write */
	void *producer;	     /* producer page and data twice, read-only */
	const uint8_t *data; /* `size` bytes, then the same again */
	size_t size;	     /* a power of 2 */
	size_t producer_len; /* of the mapping at `producer` */
	size_t page_size;
	int wide; /* the kernel's positions are 64-bit (its unsigned long) */
};

/*
 * Map the ring buffer `map_fd` of `size` bytes (its max_entries). On
 * failure returns -1 with errno set and leaves nothing mapped.
 */
int ringbuf_open(struct ringbuf *rb, int map_fd, size_t size);
/*
 * Whether the kernel is 64-bit, whatever this process is (an armhf binary
 * on arm64 answers 1): the ring's word size, and maps.c's question too.
 */
int kernel_is_64bit(void);
void ringbuf_close(struct ringbuf *rb);

/* Read every committed record, then give the space back. */
void ringbuf_drain(struct ringbuf *rb, const struct perf_ring_handler *h,
		   struct perf_ring_stats *stats);

/*
 * The same over plain memory, which is what the unit tests drive:
 * `consumer` and `producer` point at the positions (64-bit when `wide`,
 * else 32-bit), `data` at 2 * `size` bytes holding the ring twice, 8-byte
 * aligned; `size` a power of 2 of at least 8 (ringbuf_open() checks it).
 */
void ringbuf_read(void *consumer, void *producer, const uint8_t *data, size_t size, int wide,
		  const struct perf_ring_handler *h, struct perf_ring_stats *stats);

#endif
