/* SPDX-License-Identifier: MIT */
/*
 * transport.c - the probes behind --events auto (transport.h).
 *
 * Each probe makes something small, asks one question and lets it go: a
 * perf event (does this kernel have perf events?), a one-slot perf event
 * array and a program of 15 instructions that calls
 * bpf_perf_event_output() on its empty slot (is the helper there, or the
 * stub that answers ENOTSUPP when CONFIG_BPF_EVENTS is off?), and a
 * one-page ring buffer (Linux 5.8+). Nothing is attached, and all of it is
 * gone when the probe returns. A probe that cannot tell (an older kernel
 * without BPF_PROG_TEST_RUN for this program type) leaves perf, which is
 * what the tool did before it knew of the ring buffer. Before 5.11 the
 * probes' maps and program are charged to RLIMIT_MEMLOCK like ours: an
 * EPERM raises it once and tries again, as step 6 does (maps.c).
 */
#include "transport.h"

#include <errno.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

#include "bpf_sys.h"
#include "maps.h"
#include "messages.h"
#include "perf_ring.h"
#include "text.h"

#define ENOTSUPP_KERNEL 524 /* the kernel's own ENOTSUPP, which no libc names */

/* A map, with RLIMIT_MEMLOCK raised and a second try after an EPERM. */
static int probe_map(uint32_t type, uint32_t key_size, uint32_t value_size, uint32_t max_entries)
{
	int fd = bpf_map_create(type, "probe", key_size, value_size, max_entries, 0, NULL);

	if (fd < 0 && errno == EPERM && memlock_raise())
		fd = bpf_map_create(type, "probe", key_size, value_size, max_entries, 0, NULL);
	return fd;
}

/*
 * Can a BPF_OUTPUT perf event be opened (CONFIG_PERF_EVENTS, and no seccomp
 * filter in the way)? On the first online CPU: CPU 0 may be offline.
 */
static int perf_event_opens(char *why, size_t why_len)
{
	uint8_t online[CPU_MAX];
	char err[160];
	int fd, highest, cpu = 0;

	if (cpu_list_read("/sys/devices/system/cpu/online", online, &highest, err, sizeof(err)) ==
	    0)
		while (cpu < highest && !online[cpu])
			cpu++;
	fd = perf_output_event_open(cpu, 1);
	trace(1, "probe: perf_event_open(PERF_COUNT_SW_BPF_OUTPUT, CPU %d): %s", cpu,
	      fd >= 0 ? "opens" : errno_text(errno));
	if (fd >= 0) {
		close(fd);
		return 1;
	}
	text_format(why, why_len, "perf_event_open() fails with %s (no CONFIG_PERF_EVENTS?)",
		    errno_text(errno));
	return 0;
}

/*
 * Does bpf_perf_event_output() reach the real helper? Slot 0 is empty, so
 * the real one answers ENOENT; the stub of a kernel without
 * CONFIG_BPF_EVENTS answers ENOTSUPP (kernel/bpf/core.c). A cgroup SKB
 * program may only return 0 or 1, so the probe returns 0 for ENOTSUPP.
 * 1: it works or we cannot tell; 0: it does not.
 */
static int perf_output_works(char *why, size_t why_len)
{
	const int32_t enotsupp = -ENOTSUPP_KERNEL;
	int map_fd, prog_fd, works = 1;
	uint8_t packet[64] = { 0 }; /* an Ethernet header and some: what a test run needs */
	uint32_t retval = 0, duration = 0;
	/* clang-format off */
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_X, .dst_reg = 6, .src_reg = 1 },	     /* r6 = ctx */
		{ .code = BPF_ST | BPF_MEM | BPF_DW, .dst_reg = 10, .off = -8, .imm = 0 }, /* 8 bytes of 0 */
		{ .code = BPF_DW /* | BPF_LD | BPF_IMM, both 0 */, .dst_reg = 2, .src_reg = BPF_PSEUDO_MAP_FD }, /* r2 = map */
		{ .code = 0 },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_X, .dst_reg = 1, .src_reg = 6 },	     /* r1 = ctx */
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 3, .imm = 0 },	     /* slot 0 */
		{ .code = BPF_ALU64 | BPF_MOV | BPF_X, .dst_reg = 4, .src_reg = 10 },
		{ .code = BPF_ALU64 | BPF_ADD /* | BPF_K, 0 */, .dst_reg = 4, .imm = -8 },	     /* r4 = the 8 bytes */
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 5, .imm = 8 },
		{ .code = BPF_JMP | BPF_CALL, .imm = BPF_FUNC_perf_event_output },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_X, .dst_reg = 1, .src_reg = 0 },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = 0 },
		{ .code = BPF_JMP | BPF_JEQ | BPF_K, .dst_reg = 1, .off = 1, .imm = enotsupp },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = 1 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	/* clang-format on */
	struct prog_load_args a = { .type = BPF_PROG_TYPE_CGROUP_SKB,
				    .expected_attach_type = BPF_CGROUP_INET_EGRESS,
				    .insns = insns,
				    .insn_cnt = sizeof(insns) / sizeof(insns[0]),
				    .license = "GPL",
				    .name = "probe_perf_out" };

	map_fd = probe_map(BPF_MAP_TYPE_PERF_EVENT_ARRAY, 4, 4, 1);
	if (map_fd < 0) {
		trace(1, "probe: a perf event array: %s; taking perf", errno_text(errno));
		return 1;
	}
	insns[2].imm = map_fd;
	prog_fd = bpf_prog_load(&a);
	if (prog_fd < 0 && errno == EPERM && memlock_raise())
		prog_fd = bpf_prog_load(&a);
	if (prog_fd < 0) {
		trace(1, "probe: loading the probe program: %s; taking perf", errno_text(errno));
	} else if (bpf_prog_test_run(prog_fd, packet, sizeof(packet), 1, &retval, &duration) < 0) {
		trace(1, "probe: BPF_PROG_TEST_RUN: %s (an older kernel?); taking perf",
		      errno_text(errno));
	} else {
		works = retval != 0;
		trace(1, "probe: bpf_perf_event_output() on an empty slot answers %s",
		      works ? "something other than ENOTSUPP: perf events for BPF are there"
			    : "ENOTSUPP: this kernel has no CONFIG_BPF_EVENTS");
		if (!works)
			text_format(why, why_len,
				    "bpf_perf_event_output() answers ENOTSUPP (no CONFIG_BPF_EVENTS)");
	}
	if (prog_fd >= 0)
		close(prog_fd);
	close(map_fd);
	return works;
}

/* Can this kernel make a BPF ring buffer (5.8+)? */
static int ringbuf_creates(char *why, size_t why_len)
{
	long page_size = (long)getauxval(AT_PAGESZ);
	size_t used = strlen(why);
	int fd = probe_map(BPF_MAP_TYPE_RINGBUF, 0, 0, page_size > 0 ? (uint32_t)page_size : 4096);

	trace(1, "probe: BPF_MAP_CREATE of a one-page ring buffer: %s",
	      fd >= 0 ? "made" : errno_text(errno));
	if (fd >= 0) {
		close(fd);
		return 1;
	}
	text_format(why + used, why_len - used, "%sno BPF ring buffer either (%s; Linux 5.8+)",
		    used ? ", and " : "", errno_text(errno));
	return 0;
}

int transport_perf_works(char *why, size_t why_len)
{
	why[0] = '\0';
	return perf_event_opens(why, why_len) && perf_output_works(why, why_len);
}

int transport_ringbuf_works(char *why, size_t why_len)
{
	why[0] = '\0';
	return ringbuf_creates(why, why_len);
}

enum transport transport_choose(enum transport asked, char *why, size_t why_len)
{
	why[0] = '\0';
	if (asked != TRANSPORT_AUTO)
		return asked;
	if (transport_perf_works(why, why_len))
		return TRANSPORT_PERF;
	return ringbuf_creates(why, why_len) ? TRANSPORT_RING : TRANSPORT_NONE;
}
