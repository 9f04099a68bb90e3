/* SPDX-License-Identifier: MIT */
/*
 * prog_cost.c - what the program costs per packet, measured in the kernel
 * with BPF_PROG_TEST_RUN (root).
 *
 * Each case loads a program, gives it one packet REPEAT times in a single
 * BPF_PROG_TEST_RUN call, and reads the kernel's average ns per run. The
 * floor is a program that only returns 1: what any cgroup SKB program
 * costs. Cases run interleaved, ROUNDS times, and the table shows each
 * one's median and its difference from, and ratio to, the floor's median.
 *
 *   prog_cost OBJECT [ROUNDS] [REPEAT] [NO_TRIE_OBJECT]
 *
 * OBJECT is build/prog.bpf.o, whose two programs are both measured: the
 * one for the perf rings and the one for the BPF ring buffer. Each is
 * loaded as the tool loads it on a kernel from 5.2 on, reading the packet
 * directly (its load-time constant set to 1, program.c); the rows marked
 * bpf_skb_load_bytes() load it with 0, as on older kernels. NO_TRIE_OBJECT
 * is bench/prog/notrie.bpf.c built.
 * Results go to stdout as a Markdown table and, one JSON object per case,
 * appended to bench/results/latest.json, which every benchmark adds to.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "bpf_sys.h"
#include "common.h"
#include "elf_min.h"
#include "packet.h"
#include "perf_ring.h"
#include "relocate.h"
#include "ringbuf.h"

#define MAX_CASES 20
#define TABLE_KEYS 10000 /* entries in the map a lookup searches, besides the one it finds */
#define RING_BYTES ((size_t)64 * 4096) /* the ring buffer: as large as one CPU's perf ring */

struct loaded {
	int prog_fd;
	int map_fd[ELF_MAX_MAPS];
	int singles, prefixes, config, events; /* fds, borrowed from map_fd */
	int ring;			       /* events is the ring buffer EVENTS_RING */
	size_t map_cnt;
};

/* The floor: r0 = 1; exit. */
static int load_floor(void)
{
	static const struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = 1 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	struct prog_load_args a = { .type = BPF_PROG_TYPE_CGROUP_SKB,
				    .expected_attach_type = BPF_CGROUP_INET_EGRESS,
				    .insns = insns,
				    .insn_cnt = 2,
				    .license = "GPL",
				    .name = "floor" };

	return bpf_prog_load(&a);
}

static uint8_t *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (buf = malloc((size_t)n)) && fread(buf, 1, (size_t)n, f) == (size_t)n)
		*len = (size_t)n;
	else
		free(buf), buf = NULL;
	fclose(f);
	return buf;
}

/*
 * Load OBJECT the way the tool does, minus everything that is not needed to
 * run it; `direct` is what program_set_access() would write.
 */
static int load_object(const char *path, const char *section, int direct, struct loaded *out)
{
	struct elf_obj obj;
	char err[512];
	size_t len, i;
	uint8_t *bytes = read_all(path, &len);
	long cpus = sysconf(_SC_NPROCESSORS_CONF);
	int rc = -1;

	memset(out, 0, sizeof(*out));
	out->prog_fd = -1;
	if (!bytes || elf_obj_parse(&obj, bytes, len, section, err, sizeof(err))) {
		fprintf(stderr, "prog_cost: %s: %s\n", path, bytes ? err : strerror(errno));
		free(bytes);
		return -1;
	}
	for (i = 0; i < obj.map_cnt; i++) {
		const struct map_def *m = &obj.maps[i];
		uint32_t max = m->max_entries ? m->max_entries : (uint32_t)cpus;

		if (m->type == BPF_MAP_TYPE_HASH || m->type == BPF_MAP_TYPE_LPM_TRIE)
			max = TABLE_KEYS + 16;
		if (m->type == BPF_MAP_TYPE_RINGBUF)
			max = RING_BYTES;
		out->map_fd[i] = bpf_map_create(m->type, m->name, m->key_size, m->value_size, max,
						m->map_flags, NULL);
		if (out->map_fd[i] < 0) {
			fprintf(stderr, "prog_cost: creating map %s: %s\n", m->name,
				strerror(errno));
			goto out;
		}
		out->map_cnt++;
		if (strcmp(m->name, BLOCKLIST_MAP_NAME) == 0)
			out->singles = out->map_fd[i];
		else if (strcmp(m->name, BLOCKNETS_MAP_NAME) == 0)
			out->prefixes = out->map_fd[i];
		else if (strcmp(m->name, CONFIG_MAP_NAME) == 0)
			out->config = out->map_fd[i];
		else if (strcmp(m->name, EVENTS_MAP_NAME) == 0)
			out->events = out->map_fd[i];
	}
	/* The map the program uses for its events; the other one is there, unused. */
	for (i = 0; i < obj.reloc_cnt; i++)
		if (strcmp(obj.maps[obj.relocs[i].map_index].name, EVENTS_RING_MAP_NAME) == 0)
			out->events = out->map_fd[obj.relocs[i].map_index], out->ring = 1;
	relocate_maps(&obj, out->map_fd);
	set_direct_access(&obj, direct);
	{
		struct prog_load_args a = { .type = BPF_PROG_TYPE_CGROUP_SKB,
					    .expected_attach_type = BPF_CGROUP_INET_EGRESS,
					    .insns = obj.insns,
					    .insn_cnt = (uint32_t)obj.insn_cnt,
					    .license = obj.license,
					    .name = "bench" };

		out->prog_fd = bpf_prog_load(&a);
	}
	if (out->prog_fd < 0) {
		fprintf(stderr, "prog_cost: loading %s: %s\n", path, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	elf_obj_free(&obj);
	free(bytes);
	return rc;
}

static void set_log(const struct loaded *p, uint32_t mode)
{
	const uint32_t zero = 0;
	struct prog_config c = { .log = mode };

	bpf_map_update_elem(p->config, &zero, &c, BPF_ANY);
}

static void put(int fd, const char *text)
{
	static const struct block_entry zero;
	struct addr_key k;
	char why[200];

	if (addr_parse(text, &k, why, sizeof(why)) == 0)
		bpf_map_update_elem(fd, &k, &zero, BPF_ANY);
}

/*
 * The trie of `p` given TABLE_KEYS IPv4 /24s instead, spread over the
 * address space (bench/lib.sh's prefixes(), the same step), none of them
 * covering the packet's 192.0.2.1: a miss walks as deep as chance has it.
 */
static void fill_ipv4_prefixes(const struct loaded *p)
{
	char text[64];
	uint32_t i, made = 0;

	for (i = 0; made < TABLE_KEYS; i++) {
		uint32_t v = (i * 1677721u + 4099u) % 16777216u;

		if (v >> 16 == 127 || v == (192u << 16 | 0u << 8 | 2u))
			continue;
		snprintf(text, sizeof(text), "%u.%u.%u.0/24", v >> 16, (v >> 8) & 255, v & 255);
		put(p->prefixes, text);
		made++;
	}
}

/* TABLE_KEYS other entries, so that lookups search a map of realistic size. */
static void fill(const struct loaded *p)
{
	char text[64];
	int i;

	for (i = 0; i < TABLE_KEYS; i++) {
		snprintf(text, sizeof(text), "10.%d.%d.%d", i >> 16, (i >> 8) & 255, i & 255);
		put(p->singles, text);
		snprintf(text, sizeof(text), "2001:db8:%x::/48", i);
		put(p->prefixes, text);
	}
}

/* Delete every key of the trie of `p`. */
static void empty_trie(const struct loaded *p)
{
	struct addr_key k;

	while (bpf_map_get_next_key(p->prefixes, NULL, &k) == 0)
		bpf_map_delete_elem(p->prefixes, &k);
}

/*
 * A reader of the EVENTS rings on a thread of its own, as `run` reads them:
 * 64 pages per CPU, woken every `wakeup` events, draining until stopped.
 * The samples are only counted: what is measured is the program's side.
 */
#define READER_CPUS 256
struct reader {
	struct perf_ring ring[READER_CPUS];
	int cnt;
	struct ringbuf rb; /* or, for the ring buffer's program, this */
	volatile int stop;
	pthread_t thread;
	struct perf_ring_stats stats;
};

static void ignore_sample(void *ctx, const void *raw, uint32_t size)
{
	(void)ctx;
	(void)raw;
	(void)size;
}

static void *read_rings(void *arg)
{
	struct reader *rd = arg;
	struct perf_ring_handler h = { ignore_sample, NULL, NULL };
	struct pollfd p[READER_CPUS];
	int i;

	for (i = 0; i < rd->cnt; i++)
		p[i] = (struct pollfd){ rd->ring[i].fd, POLLIN, 0 };
	if (rd->rb.consumer)
		p[0] = (struct pollfd){ rd->rb.map_fd, POLLIN, 0 };
	while (!rd->stop) {
		poll(p, (nfds_t)(rd->rb.consumer ? 1 : rd->cnt), 10);
		for (i = 0; i < rd->cnt; i++)
			perf_ring_drain(&rd->ring[i], &h, &rd->stats);
		if (rd->rb.consumer)
			ringbuf_drain(&rd->rb, &h, &rd->stats);
	}
	return NULL;
}

static int reader_start(struct reader *rd, const struct loaded *p, unsigned int wakeup)
{
	long cpus = sysconf(_SC_NPROCESSORS_CONF);
	uint32_t cpu;

	memset(rd, 0, sizeof(*rd));
	if (p->ring) {
		if (ringbuf_open(&rd->rb, p->events, RING_BYTES) < 0)
			return -1;
		return pthread_create(&rd->thread, NULL, read_rings, rd) == 0 ? 0 : -1;
	}
	for (cpu = 0; cpu < (uint32_t)cpus && cpu < READER_CPUS; cpu++) {
		struct perf_ring *r = &rd->ring[rd->cnt];

		if (perf_ring_open(r, (int)cpu, 64, wakeup) < 0)
			continue; /* an offline CPU */
		if (bpf_map_update_elem(p->events, &cpu, &r->fd, BPF_ANY) < 0) {
			perf_ring_close(r);
			return -1;
		}
		rd->cnt++;
	}
	return pthread_create(&rd->thread, NULL, read_rings, rd) == 0 ? 0 : -1;
}

static void reader_stop(struct reader *rd, const struct loaded *p)
{
	uint32_t cpu;
	int i;

	rd->stop = 1;
	pthread_join(rd->thread, NULL);
	if (rd->rb.consumer)
		ringbuf_close(&rd->rb);
	for (i = 0; i < rd->cnt; i++) {
		cpu = (uint32_t)rd->ring[i].cpu;
		bpf_map_delete_elem(p->events, &cpu);
		perf_ring_close(&rd->ring[i]);
	}
}

struct bench_case {
	const char *name;
	const struct loaded *prog; /* NULL: the floor */
	int v6;
	uint32_t log;
	int setup; /* 0 miss; 1 hit in BLOCKLIST_A; 2 in BLOCKNETS_A (as a /32); 3 in BLOCKLIST_A, lapsing in an hour */
	uint32_t want;
	uint32_t ns[64];
	unsigned int wakeup; /* a reader woken every this many events; 0: none */
};

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

static double median(uint32_t *v, int n)
{
	size_t mid = (size_t)n / 2;

	qsort(v, (size_t)n, sizeof(*v), cmp_u32);
	return n % 2 ? v[mid] : ((double)v[mid - 1] + v[mid]) / 2;
}

int main(int argc, char **argv)
{
	struct loaded prog, ring, helper, notrie, v4nets, notrie_entries;
	struct bench_case c[MAX_CASES];
	static struct reader rd;
	int direct = 1, have_helper, have_notrie, floor_fd, rounds, n = 0, r, i, rc;
	char when[32];
	time_t t = time(NULL);
	uint32_t repeat;
	uint8_t pkt4[128], pkt6[128];
	uint32_t len4 = bench_packet(pkt4, 0), len6 = bench_packet(pkt6, 1);
	double floor_ns;
	FILE *json;

	if (argc < 2) {
		fprintf(stderr, "usage: prog_cost OBJECT [ROUNDS] [REPEAT] [NO_TRIE_OBJECT]\n");
		return 2;
	}
	rounds = argc > 2 ? (int)strtol(argv[2], NULL, 10) : 11;
	repeat = argc > 3 ? (uint32_t)strtoul(argv[3], NULL, 10) : 1000000;
	if (rounds < 1 || rounds > 64 || repeat < 1) {
		fprintf(stderr, "prog_cost: ROUNDS 1 to 64, REPEAT at least 1\n");
		return 2;
	}
	floor_fd = load_floor();
	/* As the tool loads it: directly where this kernel allows it. */
	if (floor_fd >= 0 && load_object(argv[1], "cgroup/skb", 1, &prog)) {
		direct = 0;
		printf("(this kernel refuses direct reads: every row copies with bpf_skb_load_bytes())\n\n");
	}
	if (floor_fd < 0 || (!direct && load_object(argv[1], "cgroup/skb", 0, &prog)) ||
	    load_object(argv[1], "cgroup/skb/ringbuf", direct, &ring) ||
	    load_object(argv[1], "cgroup/skb", direct, &v4nets) ||
	    load_object(argv[1], "cgroup/skb", direct, &notrie_entries)) {
		fprintf(stderr, "prog_cost: loading: %s\n", strerror(errno));
		return 1;
	}
	have_helper = direct && load_object(argv[1], "cgroup/skb", 0, &helper) == 0;
	have_notrie = argc > 4 && load_object(argv[4], "cgroup/skb", direct, &notrie) == 0;
	if (have_notrie)
		fill(&notrie);
	fill(&prog);
	fill(&ring);
	/* The same singles; a trie of IPv4 prefixes, or an empty one. */
	fill(&v4nets);
	empty_trie(&v4nets);
	fill_ipv4_prefixes(&v4nets);
	fill(&notrie_entries);
	empty_trie(&notrie_entries);
	if (have_helper)
		fill(&helper);
	memset(c, 0, sizeof(c));
	c[n++] = (struct bench_case){ "floor: return 1", NULL, 0, 0, 0, 1, { 0 }, 0 };
	c[n++] = (struct bench_case){ "IPv4 miss, log none", &prog, 0, LOG_NONE, 0, 1, { 0 }, 0 };
	c[n++] = (struct bench_case){
		"IPv4 hit (hash), log none", &prog, 0, LOG_NONE, 1, 0, { 0 }, 0
	};
	c[n++] = (struct bench_case){
		"IPv4 hit (hash) with a timeout, log none", &prog, 0, LOG_NONE, 3, 0, { 0 }, 0
	};
	c[n++] = (struct bench_case){
		"IPv4 hit (trie, as /32), log none", &prog, 0, LOG_NONE, 2, 0, { 0 }, 0
	};
	c[n++] = (struct bench_case){
		"IPv4 miss, the trie empty, log none", &notrie_entries, 0, LOG_NONE, 0, 1, { 0 }, 0
	};
	c[n++] = (struct bench_case){ "IPv4 miss, 10,000 IPv4 /24s in the trie, log none",
				      &v4nets,
				      0,
				      LOG_NONE,
				      0,
				      1,
				      { 0 },
				      0 };
	c[n++] = (struct bench_case){ "IPv6 miss, log none", &prog, 1, LOG_NONE, 0, 1, { 0 }, 0 };
	c[n++] = (struct bench_case){ "IPv4 miss, log drops", &prog, 0, LOG_DROPS, 0, 1, { 0 }, 0 };
	c[n++] = (struct bench_case){
		"IPv4 hit, log drops, no reader", &prog, 0, LOG_DROPS, 1, 0, { 0 }, 0
	};
	c[n++] = (struct bench_case){
		"IPv4 miss, log all, no reader", &prog, 0, LOG_ALL, 0, 1, { 0 }, 0
	};
	c[n++] = (struct bench_case){ .name = "IPv4 miss, log all, reader woken every 64 events",
				      .prog = &prog,
				      .log = LOG_ALL,
				      .want = 1,
				      .wakeup = 64 };
	c[n++] = (struct bench_case){ .name = "IPv4 miss, log all, reader woken every event",
				      .prog = &prog,
				      .log = LOG_ALL,
				      .want = 1,
				      .wakeup = 1 };
	c[n++] = (struct bench_case){ .name = "ring buffer: IPv4 miss, log all, a reader",
				      .prog = &ring,
				      .log = LOG_ALL,
				      .want = 1,
				      .wakeup = 1 };
	c[n++] = (struct bench_case){ .name = "ring buffer: IPv4 miss, log all, no reader (full)",
				      .prog = &ring,
				      .log = LOG_ALL,
				      .want = 1 };
	if (have_notrie)
		c[n++] = (struct bench_case){ "without the trie lookup: IPv4 miss, log none",
					      &notrie,
					      0,
					      LOG_NONE,
					      0,
					      1,
					      { 0 },
					      0 };
	if (have_helper) {
		c[n++] = (struct bench_case){ "bpf_skb_load_bytes(): IPv4 miss, log none",
					      &helper,
					      0,
					      LOG_NONE,
					      0,
					      1,
					      { 0 },
					      0 };
		c[n++] = (struct bench_case){ "bpf_skb_load_bytes(): IPv6 miss, log none",
					      &helper,
					      1,
					      LOG_NONE,
					      0,
					      1,
					      { 0 },
					      0 };
	}
	for (r = 0; r < rounds; r++) {
		for (i = 0; i < n; i++) {
			const struct loaded *p = c[i].prog;
			uint32_t retval = 99;

			if (p) {
				struct addr_key k;
				char why[200];
				struct block_entry value = { 0, 0 };
				struct timespec mono;

				set_log(p, c[i].log);
				addr_parse("192.0.2.1/32", &k, why, sizeof(why));
				bpf_map_delete_elem(p->singles, &k);
				bpf_map_delete_elem(p->prefixes, &k);
				/* An hour from now on the program's clock (bpf_ktime_get_ns()). */
				clock_gettime(CLOCK_MONOTONIC, &mono);
				if (c[i].setup == 3)
					value.expires =
						((uint64_t)mono.tv_sec + 3600) * 1000000000u;
				if (c[i].setup)
					bpf_map_update_elem(c[i].setup == 2 ? p->prefixes
									    : p->singles,
							    &k, &value, BPF_ANY);
			}
			if (p && c[i].wakeup && reader_start(&rd, p, c[i].wakeup) < 0) {
				fprintf(stderr, "prog_cost: starting a reader: %s\n",
					strerror(errno));
				return 1;
			}
			rc = bpf_prog_test_run(p ? p->prog_fd : floor_fd, c[i].v6 ? pkt6 : pkt4,
					       c[i].v6 ? len6 : len4, repeat, &retval, &c[i].ns[r]);
			if (p && c[i].wakeup)
				reader_stop(&rd, p);
			if (rc < 0) {
				fprintf(stderr, "prog_cost: BPF_PROG_TEST_RUN (%s): %s\n",
					c[i].name, strerror(errno));
				return 1;
			}
			if (retval != c[i].want) {
				fprintf(stderr, "prog_cost: %s: returned %u, want %u\n", c[i].name,
					retval, c[i].want);
				return 1;
			}
		}
	}
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
	json = fopen("bench/results/latest.json", "a");
	floor_ns = median(c[0].ns, rounds);
	printf("| case (BPF_PROG_TEST_RUN, %u runs x %d rounds) | median ns | above floor | / floor |\n",
	       repeat, rounds);
	printf("|---|---|---|---|\n");
	for (i = 0; i < n; i++) {
		double m = median(c[i].ns, rounds);

		printf("| %s | %.0f | %+.0f | %.2f |\n", c[i].name, m, m - floor_ns, m / floor_ns);
		if (json)
			fprintf(json,
				"{\"bench\":\"prog_cost\",\"when\":\"%s\",\"case\":\"%s\",\"median_ns\":%.0f,\"floor_ns\":%.0f}\n",
				when, c[i].name, m, floor_ns);
	}
	if (json)
		fclose(json);
	return 0;
}
