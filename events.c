/* SPDX-License-Identifier: MIT */
/*
 * events.c - steps 10 and 12: perf rings or the BPF ring buffer to LOG
 * lines (events.h).
 */
#include "events.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "bpf_sys.h"
#include "common.h"
#include "mem.h"
#include "messages.h"

void events_init(struct events *ev, int json)
{
	memset(ev, 0, sizeof(*ev));
	ev->epoll_fd = -1;
	ev->stop_fd = -1;
	ev->ringbuf.map_fd = -1;
	ev->json = json;
	text_out_init(&ev->out, STDOUT_FILENO);
}

/* ---- 10. the rings ------------------------------------------------------------ */

static int open_rings(struct events *ev, int events_map_fd, uint32_t events_slots,
		      unsigned int pages, unsigned int wakeup_events)
{
	uint8_t online[CPU_MAX];
	char err[160];
	int highest, cpu;

	if (cpu_list_read("/sys/devices/system/cpu/online", online, &highest, err, sizeof(err))) {
		report("%s", err);
		return EXIT_SYSTEM;
	}
	ev->rings = mem_alloc(((size_t)highest + 1) * sizeof(*ev->rings));
	if (!ev->rings) {
		report("allocating perf rings: %s", errno_text(ENOMEM));
		return EXIT_SYSTEM;
	}
	/* An online CPU without a ring in EVENTS would lose its events silently. */
	for (cpu = 0; cpu <= highest; cpu++) {
		struct perf_ring *ring = &ev->rings[ev->ring_cnt];
		uint32_t key = (uint32_t)cpu;

		if (!online[cpu])
			continue;
		if ((uint32_t)cpu >= events_slots) {
			report("CPU %d is online but " EVENTS_MAP_NAME " has only %" PRIu32
			       " slots",
			       cpu, events_slots);
			return EXIT_SYSTEM;
		}
		if (perf_ring_open(ring, cpu, pages, wakeup_events) < 0) {
			int e = errno;
			char hint[192];

			/* ENOSYS here is perf_event_open(2)'s, not bpf(2)'s. */
			report("opening the perf ring of CPU %d (%u pages): %s%s", cpu, pages,
			       errno_text(e),
			       e == ENOSYS
				       ? "; this kernel has no perf events (CONFIG_PERF_EVENTS), or a "
					 "seccomp filter refuses them: `block` works without them, LOG "
					 "lines cannot"
				       : privilege_hint(e, hint, sizeof(hint)));
			return EXIT_SYSTEM;
		}
		ev->ring_cnt++;
		if (bpf_map_update_elem(events_map_fd, &key, &ring->fd, BPF_ANY) < 0) {
			report("storing the perf ring of CPU %d in " EVENTS_MAP_NAME ": %s", cpu,
			       errno_text(errno));
			return EXIT_SYSTEM;
		}
		trace(1,
		      "perf_event_open CPU %d: fd %d, mmap 1 + %u pages at 0x%lx; BPF_MAP_UPDATE_ELEM " EVENTS_MAP_NAME
		      "[%d] = %d",
		      cpu, ring->fd, pages, (unsigned long)(uintptr_t)ring->meta, cpu, ring->fd);
	}
	return EXIT_OK;
}

/* The ring buffer, mapped; its map fd is what epoll watches. */
static int open_ringbuf(struct events *ev, int map_fd, uint32_t size)
{
	if (ringbuf_open(&ev->ringbuf, map_fd, size) < 0) {
		report("mapping the ring buffer " EVENTS_RING_MAP_NAME " (%" PRIu32 " bytes): %s",
		       size, errno_text(errno));
		return EXIT_SYSTEM;
	}
	trace(1,
	      "mmap " EVENTS_RING_MAP_NAME
	      " (fd %d): its consumer page at 0x%lx, its producer page and %" PRIu32
	      " bytes of data, mapped twice, at 0x%lx (positions %d-bit)",
	      map_fd, (unsigned long)(uintptr_t)ev->ringbuf.consumer, size,
	      (unsigned long)(uintptr_t)ev->ringbuf.producer, ev->ringbuf.wide ? 64 : 32);
	return EXIT_OK;
}

/* One epoll set for the signalfd and every ring. */
static int watch_rings(struct events *ev)
{
	struct epoll_event e = { .events = EPOLLIN };
	size_t i;

	ev->epoll_fd = fd_above_stdio(epoll_create1(EPOLL_CLOEXEC));
	if (ev->epoll_fd < 0) {
		report("creating an epoll set: %s", errno_text(errno));
		return EXIT_SYSTEM;
	}
	e.data.fd = ev->stop_fd;
	if (epoll_ctl(ev->epoll_fd, EPOLL_CTL_ADD, ev->stop_fd, &e) < 0) {
		report("watching the signalfd: %s", errno_text(errno));
		return EXIT_SYSTEM;
	}
	for (i = 0; i < ev->ring_cnt; i++) {
		e.data.fd = ev->rings[i].fd;
		if (epoll_ctl(ev->epoll_fd, EPOLL_CTL_ADD, ev->rings[i].fd, &e) < 0) {
			report("watching the perf ring of CPU %d: %s", ev->rings[i].cpu,
			       errno_text(errno));
			return EXIT_SYSTEM;
		}
	}
	e.data.fd = ev->ringbuf.map_fd;
	if (ev->ringbuf.map_fd >= 0 && epoll_ctl(ev->epoll_fd, EPOLL_CTL_ADD, e.data.fd, &e) < 0) {
		report("watching the ring buffer: %s", errno_text(errno));
		return EXIT_SYSTEM;
	}
	return EXIT_OK;
}

int events_open(struct events *ev, enum transport t, int events_map_fd, uint32_t events_size,
		unsigned int pages, unsigned int wakeup_events, int stop_fd)
{
	int rc = EXIT_OK;

	ev->transport = t;
	ev->stop_fd = stop_fd;
	text_out_stop_on(&ev->out, stop_fd);
	if (t == TRANSPORT_PERF)
		rc = open_rings(ev, events_map_fd, events_size, pages, wakeup_events);
	else if (t == TRANSPORT_RING)
		rc = open_ringbuf(ev, events_map_fd, events_size);
	return rc ? rc : watch_rings(ev);
}

/* ---- 12. the loop ------------------------------------------------------------- */

static void print_event(void *ctx, const void *raw, uint32_t size)
{
	struct events *ev = ctx;
	struct packet_log log;
	struct addr_key key = { 0 };
	char text[ADDR_TEXT_MAX];

	/* The kernel may pad a raw sample past our 20 bytes: ask for at least, not exactly. */
	if (size < sizeof(log)) {
		ev->short_samples++;
		return;
	}
	memcpy(&log, raw, sizeof(log));
	/* The record is untrusted too: a family we do not know prints as "?". */
	memcpy(key.addr, log.addr, sizeof(key.addr));
	key.family = log.family;
	key.prefixlen = ADDR_FAMILY_BITS + (log.family == ADDR_IPV4 ? 32 : 128);
	addr_format(&key, text);
	/* Egress: where the packet went (DST); ingress: where it came from (SRC). */
	if (ev->json)
		text_printf(&ev->out,
			    "{\"family\":\"%s\",\"address\":\"%s\",\"action\":%u,\"direction\":\"%s\"}\n",
			    log.family == ADDR_IPV4   ? "ipv4"
			    : log.family == ADDR_IPV6 ? "ipv6"
						      : "?",
			    text, log.action, log.direction ? "ingress" : "egress");
	else
		text_printf(&ev->out, "LOG: %s %s, ACTION %u\n", log.direction ? "SRC" : "DST",
			    text, log.action);
}

/*
 * The kernel counts what did not fit into a full ring and writes one
 * PERF_RECORD_LOST with the count at its next successful write, so this line
 * comes late, but it comes, and the counts add up.
 */
static void print_lost(void *ctx, int cpu, uint64_t lost)
{
	struct events *ev = ctx;

	if (ev->json)
		text_printf(&ev->out, "{\"lost\":%" PRIu64 ",\"cpu\":%d}\n", lost, cpu);
	else
		text_printf(&ev->out, "LOST %" PRIu64 " events on cpu %d\n", lost, cpu);
}

/* Every ring read, and the lines written in one go, not through stdio. */
static void drain_rings(struct events *ev)
{
	const struct perf_ring_handler h = { print_event, print_lost, ev };
	size_t i;

	for (i = 0; i < ev->ring_cnt; i++)
		perf_ring_drain(&ev->rings[i], &h, &ev->stats);
	if (ev->ringbuf.consumer)
		ringbuf_drain(&ev->ringbuf, &h, &ev->stats);
	text_flush(&ev->out);
}

/*
 * Once a second: is there still something to do? If the cgroup was removed,
 * no process can be in it any more: the job is over (our open directory fd
 * would keep the dead cgroup, and our program on it, around). If someone
 * with CAP_NET_ADMIN detached our program, blocking has stopped behind the
 * operator's back, which they must hear about. 1: go on; 0: stop with *rc.
 */
static int still_attached(struct cgroup *cg, struct hook hook[DIR_CNT], int reading_only,
			  int *seen_detached, int *rc)
{
	struct stat st;
	uint32_t others = 0;
	int d;

	if (fstatat(cg->fd, "cgroup.procs", &st, 0) < 0 && errno == ENOENT) {
		report("cgroup %s was removed; detaching and exiting", cg->path);
		cg->removed = 1;
		*rc = EXIT_OK;
		return 0;
	}
	for (d = 0; d < DIR_CNT; d++) {
		struct hook *h = &hook[d];

		/* A failing query proves nothing; look again next time. */
		if (!h->used || hook_has(cg, d, h->prog_id, &others) != 0)
			continue;
		h->attached = 0;
		*seen_detached = 1;
		if (reading_only) {
			report("%s program id %" PRIu32
			       " was detached from %s; nothing left to read",
			       direction_names[d], h->prog_id, cg->path);
			*rc = EXIT_OK;
			return 0;
		}
		report("%s program id %" PRIu32
		       " was detached from %s by someone else (bpftool cgroup detach?); blocking has stopped; exiting",
		       direction_names[d], h->prog_id, cg->path);
		*rc = EXIT_SYSTEM;
		return 0;
	}
	return 1;
}

/*
 * Seconds on the coarse monotonic clock, or -1: the loop asks once per
 * wake-up and looks at the hooks once a second. Straight through the
 * syscall, because musl's clock_gettime() brings its vDSO lookup (1 KiB). A
 * 32-bit target tries clock_gettime64 first (two s64), then, on a kernel
 * before 5.1 or under a seccomp filter that refuses it, the old call (two
 * longs: a 32-bit monotonic clock is fine).
 */
#if !defined(SYS_clock_gettime) && defined(SYS_clock_gettime32)
#define SYS_clock_gettime SYS_clock_gettime32 /* musl 1.2's name for it on 32-bit targets */
#endif
static int64_t monotonic_seconds(void)
{
	struct {
		long sec, nsec;
	} ts;
#ifdef SYS_clock_gettime64
	struct {
		int64_t sec, nsec;
	} ts64;

	if (syscall(SYS_clock_gettime64, CLOCK_MONOTONIC_COARSE, &ts64) == 0)
		return ts64.sec;
#endif
	if (syscall(SYS_clock_gettime, CLOCK_MONOTONIC_COARSE, &ts) == 0)
		return ts.sec;
	return -1;
}

int events_loop(struct events *ev, struct cgroup *cg, struct hook hook[DIR_CNT], int flush_ms,
		int reading_only, int *seen_detached)
{
	for (;;) {
		struct epoll_event woken[16];
		int n = epoll_wait(ev->epoll_fd, woken, 16, flush_ms), k;
		int64_t now;

		if (n < 0 && errno != EINTR) {
			report("waiting for events: %s", errno_text(errno));
			return EXIT_SYSTEM;
		}
		/* Woken by a ring or by the timeout: either way print what is there. */
		drain_rings(ev);
		if (ev->out.err) {
			report("writing LOG lines to stdout: %s; detaching",
			       errno_text(ev->out.err));
			return EXIT_SYSTEM;
		}
		for (k = 0; k < n; k++) {
			struct signalfd_siginfo si;

			if (woken[k].data.fd != ev->stop_fd)
				continue;
			if (read(ev->stop_fd, &si, sizeof(si)) == (ssize_t)sizeof(si))
				return EXIT_OK;
		}
		/* Without a clock, look on every wake-up. */
		now = monotonic_seconds();
		if (now < 0 || now != ev->last_check) {
			int rc;

			ev->last_check = now;
			if (!still_attached(cg, hook, reading_only, seen_detached, &rc))
				return rc;
		}
	}
}

void events_summary(struct events *ev, const char *what, const char *cgroup_path, uint64_t full,
		    uint64_t unsent, int32_t error)
{
	char refused[224] = "";

	/*
	 * The stop signal has been read: a stdout nobody reads would hold us
	 * here for good. A second at most, then the lines go; the counts
	 * below, on stderr, say what they would have.
	 */
	text_out_wait_at_most(&ev->out, 1000);
	drain_rings(ev);
	/*
	 * The kernel reports a full perf ring's losses only at its next write
	 * into that ring, and a full ring buffer's never: what the program
	 * counted and no LOST line has said yet, one line says now.
	 */
	if (full > ev->stats.lost) {
		uint64_t late = full - ev->stats.lost;

		if (ev->json)
			text_printf(&ev->out, "{\"lost\":%" PRIu64 "}\n", late);
		else
			text_printf(&ev->out, "LOST %" PRIu64 " events: %s\n", late,
				    ev->transport == TRANSPORT_RING
					    ? "the ring buffer was full"
					    : "a perf ring was full (not yet reported by the kernel)");
		text_flush(&ev->out);
		ev->stats.lost = full;
	}
	/* Beside the kernel's {"lost":N} lines, for a script that reads only stdout. */
	if (unsent && ev->json) {
		text_printf(&ev->out, "{\"unsent\":%" PRIu64 ",\"errno\":%d}\n", unsent, -error);
		text_flush(&ev->out);
	}
	if (unsent)
		text_format(refused, sizeof(refused),
			    ", %" PRIu64 " not sent: the kernel refused them (%s)%s", unsent,
			    errno_text(-error),
			    -error == ENOTSUPP
				    ? "; it lacks perf events for BPF (CONFIG_BPF_EVENTS): blocking works, LOG lines cannot"
			    : -error == ENOENT
				    ? "; no perf ring for the CPU (one brought online after the start?)"
				    : "");
	report("%s %s; %" PRIu64 " events, %" PRIu64 " lost%s", what, cgroup_path,
	       ev->stats.samples, ev->stats.lost, refused);
	if (ev->stats.corrupt || ev->stats.unknown || ev->short_samples)
		report("warning: %" PRIu64 " corrupt ring headers, %" PRIu64
		       " unknown records, %" PRIu64 " short samples skipped",
		       ev->stats.corrupt, ev->stats.unknown, ev->short_samples);
}

void events_close(struct events *ev)
{
	size_t i;

	for (i = 0; i < ev->ring_cnt; i++)
		perf_ring_close(&ev->rings[i]);
	mem_free(ev->rings);
	ev->rings = NULL;
	ev->ring_cnt = 0;
	ringbuf_close(&ev->ringbuf);
	if (ev->epoll_fd >= 0)
		close(ev->epoll_fd);
	ev->epoll_fd = -1;
}
