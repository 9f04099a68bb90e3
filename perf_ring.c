/* SPDX-License-Identifier: MIT */
/*
 * perf_ring.c - open per-CPU perf rings and read records out of them.
 *
 * What the ring looks like (include/uapi/linux/perf_event.h):
 *
 *   page 0           pages 1 .. 2^n
 *   +------------+   +---------------------------------------------+
 *   | data_head  |   | hdr|u32 size|raw bytes|pad  hdr|...   wraps |
 *   | data_tail  |   +---------------------------------------------+
 *   +------------+
 *
 * data_head and data_tail are free-running 64-bit byte counters; a record
 * starts at (counter & (data_size - 1)). Comparing the counters, not the
 * masked offsets, is what tells an empty ring from a full one.
 *
 * Ordering: data_head is read with acquire, so the record bytes we read
 * after it are the ones the kernel wrote before publishing it; data_tail is
 * written with release, so the kernel cannot reuse the space while we still
 * read it. x86 would forgive plain loads here; arm64 does not.
 *
 * A 32-bit machine without 64-bit atomics (MIPS32) reads and writes the
 * counters in 32-bit halves instead, as the kernel's own tools do there
 * (tools/include/linux/ring_buffer.h): see ring_counter_load() and
 * ring_counter_store(), which the BPF ring buffer's reader uses too.
 */
#include "perf_ring.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bpf_sys.h"
#include "mem.h"
#include "text.h"

/* What follows the header of a PERF_RECORD_LOST: {u64 id; u64 lost;}. */
#define LOST_RECORD_MIN (sizeof(struct perf_event_header) + 2 * sizeof(uint64_t))

int perf_output_event_open(int cpu, unsigned int wakeup_events)
{
	struct perf_event_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.size = sizeof(attr);
	attr.type = PERF_TYPE_SOFTWARE;
	attr.config = PERF_COUNT_SW_BPF_OUTPUT;
	attr.sample_type = PERF_SAMPLE_RAW;
	attr.sample_period = 1;
	/*
	 * Waking the reader is the expensive part of bpf_perf_event_output():
	 * on a small VM about 4 us per event at 1, about 0.5 us at 64. The
	 * loader drains on a short timeout too, so batching costs only latency.
	 */
	attr.wakeup_events = wakeup_events ? wakeup_events : 1;
	return sys_perf_event_open(&attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);
}

int perf_ring_open(struct perf_ring *ring, int cpu, unsigned int pages, unsigned int wakeup_events)
{
	long page_size = (long)getauxval(AT_PAGESZ);
	void *base;
	int saved;

	memset(ring, 0, sizeof(*ring));
	ring->fd = -1;
	if (page_size <= 0 || pages == 0 || (pages & (pages - 1)) != 0) {
		errno = EINVAL;
		return -1;
	}
	ring->fd = perf_output_event_open(cpu, wakeup_events);
	if (ring->fd < 0)
		return -1;
	ring->cpu = cpu;
	ring->data_size = (size_t)pages * (size_t)page_size;
	ring->mmap_size = ring->data_size + (size_t)page_size;
	/* Writable, or the kernel treats the ring as overwritable and ignores data_tail. */
	base = mmap(NULL, ring->mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED, ring->fd, 0);
	if (base == MAP_FAILED)
		goto fail;
	ring->meta = base;
	ring->data = (uint8_t *)base + page_size;
	ring->scratch = mem_alloc(ring->data_size);
	if (!ring->scratch)
		goto fail;
	if (ioctl(ring->fd, PERF_EVENT_IOC_ENABLE, 0) < 0)
		goto fail;
	return 0;
fail:
	saved = errno;
	perf_ring_close(ring);
	errno = saved;
	return -1;
}

void perf_ring_close(struct perf_ring *ring)
{
	if (ring->fd >= 0)
		ioctl(ring->fd, PERF_EVENT_IOC_DISABLE, 0);
	if (ring->meta)
		munmap(ring->meta, ring->mmap_size);
	if (ring->fd >= 0)
		close(ring->fd);
	mem_free(ring->scratch);
	memset(ring, 0, sizeof(*ring));
	ring->fd = -1;
}

/* Copy `len` bytes starting at counter `pos`, wrapping at the ring's end. */
static void ring_copy(const uint8_t *data, size_t data_size, uint64_t pos, void *dst, size_t len)
{
	size_t off = (size_t)(pos & (data_size - 1));
	size_t first = data_size - off < len ? data_size - off : len;

	memcpy(dst, data + off, first);
	memcpy((uint8_t *)dst + first, data, len - first);
}

static void handle_record(const uint8_t *rec, uint32_t size, uint32_t type, int cpu,
			  const struct perf_ring_handler *h, struct perf_ring_stats *stats)
{
	const size_t hdr = sizeof(struct perf_event_header);
	uint32_t raw_size;
	uint64_t lost;

	switch (type) {
	case PERF_RECORD_SAMPLE:
		/* PERF_SAMPLE_RAW only: {header; u32 size; u8 data[size]}. */
		if (size < hdr + sizeof(raw_size)) {
			stats->corrupt++;
			return;
		}
		memcpy(&raw_size, rec + hdr, sizeof(raw_size));
		if (raw_size > size - hdr - sizeof(raw_size)) {
			stats->corrupt++;
			return;
		}
		stats->samples++;
		h->sample(h->ctx, rec + hdr + sizeof(raw_size), raw_size);
		return;
	case PERF_RECORD_LOST:
		if (size < LOST_RECORD_MIN) {
			stats->corrupt++;
			return;
		}
		memcpy(&lost, rec + hdr + sizeof(uint64_t), sizeof(lost));
		stats->lost += lost;
		if (h->lost)
			h->lost(h->ctx, cpu, lost);
		return;
	default:
		stats->unknown++;
		return;
	}
}

/*
 * The 32-bit halves of a counter in the shared page, low and high, in this
 * machine's byte order.
 */
static uint32_t *counter_half(uint64_t *counter, int high)
{
	const int little = __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__;

	return (uint32_t *)counter + (high ? little : !little);
}

/*
 * data_head with acquire. Without 64-bit atomics: the kernel only ever
 * moves it forward, so a high half that reads the same before and after
 * the low half brackets a low half that belongs to it (a 32-bit kernel
 * leaves the high half 0; a 64-bit kernel under a 32-bit process, MIPS64
 * running a mipsel binary, may carry into it).
 */
uint64_t ring_counter_load(uint64_t *counter)
{
	uint32_t high, low;

	if (__atomic_always_lock_free(sizeof(*counter), 0))
		return __atomic_load_n(counter, __ATOMIC_ACQUIRE);
	do {
		/* Acquire on both, so that the loads happen in this order. */
		high = __atomic_load_n(counter_half(counter, 1), __ATOMIC_ACQUIRE);
		low = __atomic_load_n(counter_half(counter, 0), __ATOMIC_ACQUIRE);
	} while (high != __atomic_load_n(counter_half(counter, 1), __ATOMIC_ACQUIRE));
	return (uint64_t)high << 32 | low;
}

/*
 * data_tail (or the ring buffer's consumer_pos) with release. Without
 * 64-bit atomics, two 32-bit stores, the low half last, with release, so
 * that it is published after our reads of the ring. The perf ring's kernel
 * masks the tail before using it (CIRC_SPACE in kernel/events/ring_buffer.c),
 * so there a moment in which the halves disagree costs nothing. The ring
 * buffer's compares all 64 bits: at each 4 GiB the moment between the two
 * stores may refuse a reservation, which the program counts as lost; no
 * order of the two stores avoids that.
 */
void ring_counter_store(uint64_t *counter, uint64_t value)
{
	if (__atomic_always_lock_free(sizeof(*counter), 0)) {
		__atomic_store_n(counter, value, __ATOMIC_RELEASE);
		return;
	}
	__atomic_store_n(counter_half(counter, 1), (uint32_t)(value >> 32), __ATOMIC_RELAXED);
	__atomic_store_n(counter_half(counter, 0), (uint32_t)value, __ATOMIC_RELEASE);
}

void perf_ring_read(struct perf_event_mmap_page *meta, const uint8_t *data, size_t data_size,
		    uint8_t *scratch, int cpu, const struct perf_ring_handler *h,
		    struct perf_ring_stats *stats)
{
	uint64_t head = ring_counter_load((uint64_t *)&meta->data_head);
	uint64_t tail = meta->data_tail; /* only we write it */
	uint64_t avail = head - tail;

	/*
	 * A 32-bit kernel keeps the counters in an unsigned long, so they wrap
	 * at 2^32, not 2^64; the low 32 bits of the difference are then right.
	 */
	if (avail > data_size && (uint32_t)avail <= data_size)
		avail = (uint32_t)avail;
	/*
	 * The ring is shared with the kernel and we trust none of it: a
	 * header that cannot be right (too small, unaligned, longer than
	 * what was published) ends this drain instead of looping or reading
	 * past the ring. Everything up to head is given back.
	 */
	if (avail > data_size) {
		stats->corrupt++;
		avail = 0;
	}
	while (avail > 0) {
		struct perf_event_header hdr;
		size_t off = (size_t)(tail & (data_size - 1));
		const uint8_t *rec;

		if (avail < sizeof(hdr)) {
			stats->corrupt++;
			break;
		}
		ring_copy(data, data_size, tail, &hdr, sizeof(hdr));
		if (hdr.size < sizeof(hdr) || hdr.size % 8 != 0 || hdr.size > avail) {
			stats->corrupt++;
			break;
		}
		if (off + hdr.size <= data_size) {
			rec = data + off;
		} else {
			ring_copy(data, data_size, tail, scratch, hdr.size);
			rec = scratch;
		}
		handle_record(rec, hdr.size, hdr.type, cpu, h, stats);
		tail += hdr.size;
		avail -= hdr.size;
	}
	ring_counter_store((uint64_t *)&meta->data_tail, head);
}

void perf_ring_drain(struct perf_ring *ring, const struct perf_ring_handler *h,
		     struct perf_ring_stats *stats)
{
	perf_ring_read(ring->meta, ring->data, ring->data_size, ring->scratch, ring->cpu, h, stats);
}

int cpu_list_parse(const char *text, uint8_t set[CPU_MAX], int *highest)
{
	const char *p = text;
	int count = 0;

	memset(set, 0, CPU_MAX);
	*highest = -1;
	while (*p && *p != '\n') {
		unsigned long lo, hi;
		const char *end = text_decimal(p, ULONG_MAX, &lo);

		if (!end)
			return -1;
		hi = lo;
		if (*end == '-') {
			end = text_decimal(end + 1, ULONG_MAX, &hi);
			if (!end)
				return -1;
		}
		if (hi >= CPU_MAX)
			return -2;
		if (hi < lo)
			return -1;
		for (; lo <= hi; lo++) {
			count += !set[lo];
			set[lo] = 1;
		}
		if ((int)hi > *highest)
			*highest = (int)hi;
		p = end;
		if (*p == ',')
			p++;
		else if (*p && *p != '\n')
			return -1;
	}
	return count > 0 ? count : -1;
}

/*
 * Plain open/read: no stdio buffer to allocate, and an initramfs without
 * /sys gets a message that says so.
 */
int cpu_list_read(const char *path, uint8_t set[CPU_MAX], int *highest, char *err, size_t err_len)
{
	char text[4096];
	size_t len = 0;
	ssize_t n = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc;

	/* Sparse lists ("0,4,8,...") on large machines are long: read it all. */
	while (fd >= 0 && len < sizeof(text) - 1 &&
	       ((n = read(fd, text + len, sizeof(text) - 1 - len)) > 0 ||
		(n < 0 && errno == EINTR)))
		len += n > 0 ? (size_t)n : 0;
	if (fd < 0 || n < 0) {
		int saved = errno;

		if (fd >= 0)
			close(fd);
		text_format(err, err_len, "reading %s: %s%s", path, strerror(saved),
			    saved == ENOENT ? "; is sysfs mounted (mount -t sysfs sysfs /sys)?"
					    : "");
		return -1;
	}
	close(fd);
	text[len] = '\0';
	rc = len == sizeof(text) - 1 ? -1 : cpu_list_parse(text, set, highest);
	if (rc == -2)
		text_format(err, err_len, "reading %s: CPU numbers above %d are not supported",
			    path, CPU_MAX - 1);
	else if (rc < 0)
		text_format(err, err_len, "reading %s: not a CPU list of under 4 KiB: '%.32s'",
			    path, text);
	return rc < 0 ? -1 : 0;
}
