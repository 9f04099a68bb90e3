/* SPDX-License-Identifier: MIT */
/*
 * unit_ring.c - tests of the perf ring reader (perf_ring.c) and the BPF ring
 * buffer reader (ringbuf.c) on synthetic rings, and of the CPU list parser.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "common.h"
#include "perf_ring.h"
#include "ringbuf.h"
#include "unit.h"

/* ---- perf ring reader ---------------------------------------------------------- */

#define RING 4096

struct seen {
	uint32_t addr[16];
	int32_t action[16];
	uint32_t size[16];
	int n;
	uint64_t lost;
	int lost_cpu;
};

static void collect(void *ctx, const void *raw, uint32_t size)
{
	struct seen *s = ctx;
	struct packet_log ev;

	if (s->n < 16 && size >= sizeof(ev)) {
		memcpy(&ev, raw, sizeof(ev));
		s->addr[s->n] = (uint32_t)ev.addr[0] << 24 | (uint32_t)ev.addr[1] << 16 |
				(uint32_t)ev.addr[2] << 8 | ev.addr[3];
		s->action[s->n] = ev.action;
		s->size[s->n] = size;
	}
	s->n++;
}

static void count_lost(void *ctx, int cpu, uint64_t lost)
{
	struct seen *s = ctx;

	s->lost += lost;
	s->lost_cpu = cpu;
}

/* Write `len` bytes at free-running position `pos`, wrapping like the kernel. */
static void ring_put(uint8_t *data, uint64_t pos, const void *src, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		data[(pos + i) & (RING - 1)] = ((const uint8_t *)src)[i];
}

/* A PERF_RECORD_SAMPLE as the kernel writes one: header, raw size, 20 bytes of record. */
static uint64_t put_sample(uint8_t *data, uint64_t pos, uint32_t addr, int32_t action)
{
	uint8_t rec[32] = { 0 };
	struct perf_event_header h = { .type = PERF_RECORD_SAMPLE, .size = sizeof(rec) };
	uint32_t raw_size = 20;
	struct packet_log ev = { { (uint8_t)(addr >> 24), (uint8_t)(addr >> 16),
				   (uint8_t)(addr >> 8), (uint8_t)addr },
				 ADDR_IPV4,
				 (uint8_t)action,
				 0,
				 0 };

	memcpy(rec, &h, sizeof(h));
	memcpy(rec + 8, &raw_size, 4);
	memcpy(rec + 12, &ev, sizeof(ev));
	ring_put(data, pos, rec, sizeof(rec));
	return pos + sizeof(rec);
}

static uint64_t put_lost(uint8_t *data, uint64_t pos, uint64_t lost)
{
	uint8_t rec[24] = { 0 };
	struct perf_event_header h = { .type = PERF_RECORD_LOST, .size = sizeof(rec) };

	memcpy(rec, &h, sizeof(h));
	memcpy(rec + 16, &lost, 8);
	ring_put(data, pos, rec, sizeof(rec));
	return pos + sizeof(rec);
}

static void ring_reads_samples_lost_and_unknown(void)
{
	struct perf_event_mmap_page meta;
	static uint8_t data[RING], scratch[RING];
	struct perf_ring_stats st = { 0 };
	struct seen s = { 0 };
	struct perf_event_header other = { .type = 99, .size = 16 };
	uint64_t pos = 0;

	memset(&meta, 0, sizeof(meta));
	pos = put_sample(data, pos, 0x7f000002, 0);
	pos = put_lost(data, pos, 5);
	ring_put(data, pos, &other, sizeof(other));
	pos += other.size;
	pos = put_sample(data, pos, 0x01020304, 1);
	meta.data_head = pos;
	perf_ring_read(&meta, data, RING, scratch, 3,
		       &(struct perf_ring_handler){ collect, count_lost, &s }, &st);
	CHECK(s.n == 2);
	CHECK(s.addr[0] == 0x7f000002 && s.action[0] == 0);
	CHECK(s.addr[1] == 0x01020304 && s.action[1] == 1);
	CHECK(s.size[0] == 20); /* the raw size is passed on as is */
	CHECK(st.samples == 2 && st.lost == 5 && st.unknown == 1 && st.corrupt == 0);
	CHECK(s.lost == 5 && s.lost_cpu == 3);
	CHECK(meta.data_tail == pos);
	/* Nothing new: a second read does nothing. */
	perf_ring_read(&meta, data, RING, scratch, 3,
		       &(struct perf_ring_handler){ collect, count_lost, &s }, &st);
	CHECK(s.n == 2 && st.samples == 2);
}

static void ring_reads_a_record_that_wraps(void)
{
	struct perf_event_mmap_page meta;
	static uint8_t data[RING], scratch[RING];
	struct perf_ring_stats st = { 0 };
	struct seen s = { 0 };
	/* Counters past 2^32 and 16 bytes before the end: the sample straddles it. */
	uint64_t start = (1ull << 32) * 3 + RING - 16, pos;

	memset(&meta, 0, sizeof(meta));
	pos = put_sample(data, start, 0xc0000201, 1);
	pos = put_sample(data, pos, 0xc0000202, 0);
	meta.data_tail = start;
	meta.data_head = pos;
	perf_ring_read(&meta, data, RING, scratch, 3,
		       &(struct perf_ring_handler){ collect, count_lost, &s }, &st);
	CHECK(s.n == 2);
	CHECK(s.addr[0] == 0xc0000201 && s.action[0] == 1);
	CHECK(s.addr[1] == 0xc0000202 && s.action[1] == 0);
	CHECK(meta.data_tail == pos && st.corrupt == 0);
}

/* A 32-bit kernel's counters wrap at 2^32: head is then below tail. */
static void ring_follows_32_bit_counters(void)
{
	struct perf_event_mmap_page meta;
	static uint8_t data[RING], scratch[RING];
	struct perf_ring_stats st = { 0 };
	struct seen s = { 0 };
	uint64_t start = (1ull << 32) - 16, pos;

	memset(&meta, 0, sizeof(meta));
	pos = put_sample(data, start, 0x0a000001, 0);
	pos = put_sample(data, pos, 0x0a000002, 1);
	meta.data_tail = start;
	meta.data_head = pos & 0xffffffffu; /* 48 after the wrap */
	perf_ring_read(&meta, data, RING, scratch, 0,
		       &(struct perf_ring_handler){ collect, count_lost, &s }, &st);
	CHECK(s.n == 2 && st.corrupt == 0);
	CHECK(s.addr[0] == 0x0a000001 && s.addr[1] == 0x0a000002);
	CHECK(meta.data_tail == 48);
}

static void ring_survives_corrupt_headers(void)
{
	struct perf_event_mmap_page meta;
	static uint8_t data[RING], scratch[RING];
	struct perf_ring_stats st = { 0 };
	struct seen s = { 0 };
	struct perf_event_header zero = { .type = PERF_RECORD_SAMPLE, .size = 0 };
	struct perf_event_header huge = { .type = PERF_RECORD_SAMPLE, .size = 4000 };
	uint8_t short_sample[16] = { 0 };
	struct perf_event_header sh = { .type = PERF_RECORD_SAMPLE, .size = 16 };
	uint32_t too_big = 100;

	/* size 0 would loop forever: the rest of the ring is given up instead. */
	memset(&meta, 0, sizeof(meta));
	ring_put(data, 0, &zero, sizeof(zero));
	meta.data_head = 64;
	perf_ring_read(&meta, data, RING, scratch, 3,
		       &(struct perf_ring_handler){ collect, count_lost, &s }, &st);
	CHECK(st.corrupt == 1 && meta.data_tail == 64 && s.n == 0);
	/* A record longer than what the kernel published. */
	ring_put(data, 64, &huge, sizeof(huge));
	meta.data_head = 128;
	perf_ring_read(&meta, data, RING, scratch, 3,
		       &(struct perf_ring_handler){ collect, count_lost, &s }, &st);
	CHECK(st.corrupt == 2 && meta.data_tail == 128 && s.n == 0);
	/* A sample whose raw size claims more than the record holds. */
	memcpy(short_sample, &sh, sizeof(sh));
	memcpy(short_sample + 8, &too_big, 4);
	ring_put(data, 128, short_sample, sizeof(short_sample));
	meta.data_head = 144;
	perf_ring_read(&meta, data, RING, scratch, 3,
		       &(struct perf_ring_handler){ collect, count_lost, &s }, &st);
	CHECK(st.corrupt == 3 && meta.data_tail == 144 && s.n == 0);
	/* A size that is not a multiple of 8: the next header would be misplaced. */
	sh.size = 12;
	ring_put(data, 144, &sh, sizeof(sh));
	meta.data_head = 160;
	perf_ring_read(&meta, data, RING, scratch, 3,
		       &(struct perf_ring_handler){ collect, count_lost, &s }, &st);
	CHECK(st.corrupt == 4 && meta.data_tail == 160 && s.n == 0);
	meta.data_tail = 144;
	/* A head that ran more than a ring ahead of the tail. */
	meta.data_head = 144 + 2 * RING;
	perf_ring_read(&meta, data, RING, scratch, 3,
		       &(struct perf_ring_handler){ collect, count_lost, &s }, &st);
	CHECK(st.corrupt == 5 && meta.data_tail == meta.data_head);
}

/* ---- BPF ring buffer reader ---------------------------------------------------- */

#define RB 4096

/* The data area as the kernel maps it: RB bytes, then the same RB again. */
static _Alignas(8) uint8_t rb_data[2 * RB];

static void rb_put(uint64_t pos, const void *src, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		size_t at = (size_t)((pos + i) & (RB - 1));

		rb_data[at] = rb_data[at + RB] = ((const uint8_t *)src)[i];
	}
}

/* A record as bpf_ringbuf_output() commits one: {u32 len and flags, u32 pg_off} and the 20 bytes. */
static uint64_t rb_record(uint64_t pos, uint32_t addr, int action, uint32_t flags)
{
	uint8_t rec[32] = { 0 }; /* 8 + 20, rounded up to 8 */
	uint32_t len = 20 | flags;
	struct packet_log ev = { { (uint8_t)(addr >> 24), (uint8_t)(addr >> 16),
				   (uint8_t)(addr >> 8), (uint8_t)addr },
				 ADDR_IPV4,
				 (uint8_t)action,
				 0,
				 0 };

	memcpy(rec, &len, 4);
	memcpy(rec + 8, &ev, sizeof(ev));
	rb_put(pos, rec, sizeof(rec));
	return pos + sizeof(rec);
}

static void rb_read(uint64_t *cons, uint64_t *prod, struct seen *s, struct perf_ring_stats *st)
{
	ringbuf_read(cons, prod, rb_data, RB, 1, &(struct perf_ring_handler){ collect, NULL, s },
		     st);
}

static void ringbuf_reads_records_and_skips_discarded(void)
{
	struct perf_ring_stats st = { 0 };
	struct seen s = { 0 };
	uint64_t cons = 0, prod = 0;

	prod = rb_record(prod, 0x7f000002, 0, 0);
	prod = rb_record(prod, 0x7f000003, 0, RINGBUF_DISCARD_BIT);
	prod = rb_record(prod, 0x7f000001, 1, 0);
	rb_read(&cons, &prod, &s, &st);
	CHECK(s.n == 2 && st.samples == 2 && st.corrupt == 0);
	CHECK(s.addr[0] == 0x7f000002 && s.action[0] == 0);
	CHECK(s.addr[1] == 0x7f000001 && s.action[1] == 1);
	CHECK(s.size[0] == 20); /* the length in the header, not the rounded size */
	CHECK(cons == prod && cons == 96);
	/* Nothing new: a second read does nothing. */
	rb_read(&cons, &prod, &s, &st);
	CHECK(s.n == 2 && cons == 96);
}

/* 16 bytes before the end: the record continues in the second mapping. */
static void ringbuf_reads_a_record_that_wraps(void)
{
	struct perf_ring_stats st = { 0 };
	struct seen s = { 0 };
	uint64_t start = (1ull << 32) * 5 + RB - 16, cons = start, prod;

	prod = rb_record(start, 0xc0000201, 1, 0);
	prod = rb_record(prod, 0xc0000202, 0, 0);
	rb_read(&cons, &prod, &s, &st);
	CHECK(s.n == 2 && st.corrupt == 0);
	CHECK(s.addr[0] == 0xc0000201 && s.addr[1] == 0xc0000202);
	CHECK(cons == prod);
}

/* A record reserved and not yet committed stops the drain; the next one reads it. */
static void ringbuf_waits_for_a_busy_record(void)
{
	struct perf_ring_stats st = { 0 };
	struct seen s = { 0 };
	uint64_t cons = 0, prod = 0, busy;

	prod = rb_record(prod, 0x0a000001, 1, 0);
	busy = prod;
	prod = rb_record(prod, 0x0a000002, 1, RINGBUF_BUSY_BIT);
	prod = rb_record(prod, 0x0a000003, 1, 0);
	rb_read(&cons, &prod, &s, &st);
	CHECK(s.n == 1 && cons == busy && st.corrupt == 0);
	rb_record(busy, 0x0a000002, 1, 0); /* committed */
	rb_read(&cons, &prod, &s, &st);
	CHECK(s.n == 3 && cons == prod && s.addr[2] == 0x0a000003);
}

/* A 32-bit kernel's positions are 32-bit, and wrap at 2^32. */
static void ringbuf_follows_32_bit_positions(void)
{
	struct perf_ring_stats st = { 0 };
	struct seen s = { 0 };
	uint32_t cons = 0xffffffe0u, prod;
	uint64_t end;

	end = rb_record(cons, 0x0a000001, 0, 0);
	end = rb_record(end, 0x0a000002, 1, 0);
	prod = (uint32_t)end; /* 32 after the wrap */
	ringbuf_read(&cons, &prod, rb_data, RB, 0, &(struct perf_ring_handler){ collect, NULL, &s },
		     &st);
	CHECK(s.n == 2 && st.corrupt == 0 && cons == 32);
	CHECK(s.addr[0] == 0x0a000001 && s.addr[1] == 0x0a000002);
}

static void ringbuf_survives_bad_records(void)
{
	struct perf_ring_stats st = { 0 };
	struct seen s = { 0 };
	uint64_t cons = 0, prod;
	uint32_t huge = 4000;

	/* A length past what was published: the rest is given back, once counted. */
	rb_put(0, &huge, 4);
	prod = 64;
	rb_read(&cons, &prod, &s, &st);
	CHECK(st.corrupt == 1 && cons == 64 && s.n == 0);
	/* A producer more than a ring ahead: overflow, as no kernel writes it. */
	prod = cons + 2ull * RB;
	rb_read(&cons, &prod, &s, &st);
	CHECK(st.corrupt == 2 && cons == prod && s.n == 0);
	/* A consumer position off its 8-byte boundary. */
	cons = 68;
	prod = 96;
	rb_read(&cons, &prod, &s, &st);
	CHECK(st.corrupt == 3 && cons == 96 && s.n == 0);
	/* Fewer bytes published than a header. */
	cons = 96;
	prod = 100;
	rb_read(&cons, &prod, &s, &st);
	CHECK(st.corrupt == 4 && cons == 100 && s.n == 0);
	/* And a good record after all that is read. */
	cons = prod = 128;
	prod = rb_record(prod, 0x01020304, 1, 0);
	rb_read(&cons, &prod, &s, &st);
	CHECK(s.n == 1 && s.addr[0] == 0x01020304 && st.corrupt == 4);
}

static void cpu_lists(void)
{
	uint8_t set[CPU_MAX];
	int hi;

	CHECK(cpu_list_parse("0-1\n", set, &hi) == 2 && hi == 1 && set[0] && set[1]);
	CHECK(cpu_list_parse("0,2-3,8", set, &hi) == 4 && hi == 8 && !set[1] && set[8]);
	CHECK(cpu_list_parse("0", set, &hi) == 1 && hi == 0);
	CHECK(cpu_list_parse("", set, &hi) == -1);
	CHECK(cpu_list_parse("x", set, &hi) == -1);
	CHECK(cpu_list_parse("3-1", set, &hi) == -1);
	CHECK(cpu_list_parse("0-", set, &hi) == -1);
	CHECK(cpu_list_parse("0-99999", set, &hi) == -2);
	CHECK(cpu_list_parse("0,1024", set, &hi) == -2);
	CHECK(cpu_list_parse("-1", set, &hi) == -1);
}

/* cpu_list_read(): a file's list, and one line saying what is wrong with any other. */
static void cpu_list_files(void)
{
	char dir[] = "/tmp/cse-unit.XXXXXX", path[64], err[160], big[5000];
	uint8_t set[CPU_MAX];
	int hi, fd;

	if (!mkdtemp(dir))
		abort();
	snprintf(path, sizeof(path), "%s/online", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	CHECK(fd >= 0 && write(fd, "0-3,6\n", 6) == 6);
	close(fd);
	CHECK(cpu_list_read(path, set, &hi, err, sizeof(err)) == 0 && hi == 6 && set[3] && !set[4]);
	fd = open(path, O_WRONLY | O_TRUNC);
	CHECK(fd >= 0 && write(fd, "zero\n", 5) == 5);
	close(fd);
	CHECK(cpu_list_read(path, set, &hi, err, sizeof(err)) == -1 &&
	      strstr(err, "not a CPU list of under 4 KiB: 'zero") != NULL);
	/* Longer than the reader keeps: refused, never cut into a shorter list. */
	memset(big, '0', sizeof(big));
	big[1] = ',';
	fd = open(path, O_WRONLY | O_TRUNC);
	CHECK(fd >= 0 && write(fd, big, sizeof(big)) == (ssize_t)sizeof(big));
	close(fd);
	CHECK(cpu_list_read(path, set, &hi, err, sizeof(err)) == -1 &&
	      strstr(err, "not a CPU list") != NULL);
	unlink(path);
	CHECK(cpu_list_read(path, set, &hi, err, sizeof(err)) == -1 &&
	      strstr(err, "No such file or directory; is sysfs mounted") != NULL);
	rmdir(dir);
}

void unit_ring(void)
{
	RUN(ring_reads_samples_lost_and_unknown);
	RUN(ring_reads_a_record_that_wraps);
	RUN(ring_follows_32_bit_counters);
	RUN(ring_survives_corrupt_headers);
	RUN(ringbuf_reads_records_and_skips_discarded);
	RUN(ringbuf_reads_a_record_that_wraps);
	RUN(ringbuf_waits_for_a_busy_record);
	RUN(ringbuf_follows_32_bit_positions);
	RUN(ringbuf_survives_bad_records);
	RUN(cpu_lists);
	RUN(cpu_list_files);
}
