/* SPDX-License-Identifier: MIT */
/*
 * perf_ring.h - per-CPU perf event rings, opened and read by hand.
 *
 * A BPF program's bpf_perf_event_output() writes a PERF_RECORD_SAMPLE into
 * the ring of the CPU it runs on. Each ring is one perf event of type
 * PERF_COUNT_SW_BPF_OUTPUT, mmapped as one metadata page followed by 2^n data
 * pages. The kernel advances data_head as it writes; we advance data_tail as
 * we read, which tells the kernel the space is free again.
 */
#ifndef PERF_RING_H
#define PERF_RING_H

#include <stddef.h>
#include <stdint.h>

#include <linux/perf_event.h>

#define CPU_MAX 1024

struct perf_ring {
	int fd;
	int cpu;
	struct perf_event_mmap_page *meta; /* start of the mapping */
	size_t mmap_size;
	uint8_t *data;	  /* the ring proper, data_size bytes */
	size_t data_size; /* a power of two */
	uint8_t *scratch; /* data_size bytes, for records that wrap */
};

struct perf_ring_stats {
	uint64_t samples; /* PERF_RECORD_SAMPLE records read */
	uint64_t lost;	  /* events the kernel dropped, from PERF_RECORD_LOST */
	uint64_t corrupt; /* times a ring held an impossible header */
	uint64_t unknown; /* records of other types, skipped */
};

/* What to do with the records a drain finds. */
struct perf_ring_handler {
	/* Each sample's raw bytes (the kernel pads them to 8 bytes). */
	void (*sample)(void *ctx, const void *raw, uint32_t raw_size);
	/* A PERF_RECORD_LOST: `lost` events did not fit into the ring of `cpu`. */
	void (*lost)(void *ctx, int cpu, uint64_t lost);
	void *ctx;
};

/*
 * The perf event bpf_perf_event_output() writes into on `cpu`
 * (PERF_COUNT_SW_BPF_OUTPUT, raw samples), waking a reader every
 * `wakeup_events` records: its fd (close-on-exec), or -1 with errno set.
 */
int perf_output_event_open(int cpu, unsigned int wakeup_events);

/*
 * Open the perf event for `cpu` and mmap 1 + `pages` pages (`pages` a power
 * of two). The reader is woken every `wakeup_events` records. On failure
 * returns -1 with errno set and leaves nothing open.
 */
int perf_ring_open(struct perf_ring *ring, int cpu, unsigned int pages, unsigned int wakeup_events);
void perf_ring_close(struct perf_ring *ring);

/* Read every record between data_tail and data_head, then free the space. */
void perf_ring_drain(struct perf_ring *ring, const struct perf_ring_handler *h,
		     struct perf_ring_stats *stats);

/*
 * The same over plain memory, which is what the unit tests drive: `meta`
 * holds data_head/data_tail, `data` the ring of `data_size` bytes (a power
 * of two), `scratch` room for one record of up to `data_size` bytes; `cpu`
 * is only passed on to h->lost.
 */
void perf_ring_read(struct perf_event_mmap_page *meta, const uint8_t *data, size_t data_size,
		    uint8_t *scratch, int cpu, const struct perf_ring_handler *h,
		    struct perf_ring_stats *stats);

/*
 * A 64-bit counter the kernel shares with us: loaded with acquire, stored
 * with release, in 32-bit halves where the machine has no 64-bit atomics
 * (MIPS32), the way the kernel's own tools do there.
 */
uint64_t ring_counter_load(uint64_t *counter);
void ring_counter_store(uint64_t *counter, uint64_t value);

/*
 * Parse a sysfs CPU list such as "0-3,8,10-11\n" into `set` (CPU_MAX
 * entries). Returns the number of CPUs in it and sets *highest, -1 when
 * the text is not a CPU list, -2 when it names a CPU >= CPU_MAX.
 */
int cpu_list_parse(const char *text, uint8_t set[CPU_MAX], int *highest);

/*
 * cpu_list_parse() on a sysfs file ("/sys/devices/system/cpu/online"):
 * 0, or -1 with one line about what went wrong in `err`.
 */
int cpu_list_read(const char *path, uint8_t set[CPU_MAX], int *highest, char *err, size_t err_len);

#endif
