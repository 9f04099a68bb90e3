/* SPDX-License-Identifier: MIT */
/*
 * events.h - steps 10 and 12: the rings the program writes its events to,
 * and the loop that turns them into LOG lines.
 *
 * Step 10, for the perf rings, opens one per online CPU (perf_ring.c) and
 * stores its fd in EVENTS at that CPU's index (the program writes to
 * EVENTS[current CPU]); for the BPF ring buffer, it maps EVENTS_RING
 * (ringbuf.c). Either way it puts the rings and the signalfd in one epoll
 * set, all before attaching, so that nothing can fail between attaching
 * and watching.
 * Step 12 prints a LOG line per event until a stop signal, checking once a
 * second that our program and the cgroup are still there.
 */
#ifndef EVENTS_H
#define EVENTS_H

#include <stdint.h>

#include "cgroup.h"
#include "options.h"
#include "perf_ring.h"
#include "ringbuf.h"
#include "text.h"

struct events {
	enum transport transport; /* perf, ring or none */
	struct perf_ring *rings;  /* perf: one per online CPU */
	size_t ring_cnt;
	struct ringbuf ringbuf; /* ring: the one ring buffer */
	int epoll_fd;
	int stop_fd; /* the signalfd, borrowed */
	int json;    /* --json: one object per line */
	struct perf_ring_stats stats;
	uint64_t short_samples;
	struct text_out out; /* LOG and LOST lines; never blocks a stop signal */
	int64_t last_check;  /* monotonic second of the last look at the hooks */
};

void events_init(struct events *ev, int json);

/*
 * Step 10 for transport `t`: `events_map_fd` is EVENTS with
 * `events_size` slots, or EVENTS_RING of `events_size` bytes (none: no map,
 * only the signalfd is watched). `stop_fd`: the signalfd the loop and the
 * output listen to. EXIT_OK or EXIT_SYSTEM.
 */
int events_open(struct events *ev, enum transport t, int events_map_fd, uint32_t events_size,
		unsigned int pages, unsigned int wakeup_events, int stop_fd);

/*
 * Step 12: until a stop signal (EXIT_OK), a failure (EXIT_SYSTEM), the
 * cgroup's removal (EXIT_OK, cg->removed) or our program's detaching
 * (*seen_detached; EXIT_OK when `reading_only`, as `log` is, else
 * EXIT_SYSTEM: blocking has stopped behind the operator's back).
 */
int events_loop(struct events *ev, struct cgroup *cg, struct hook hook[DIR_CNT], int flush_ms,
		int reading_only, int *seen_detached);

/*
 * What is still in the rings (events written before the detach), then one
 * line: "`what` `cgroup_path`; N events, M lost", with ", K not sent" when
 * the program counted `unsent` events the kernel refused (last with
 * -`error`), and any corrupt records. `full`: the events the program
 * counted as refused for want of room in this run, which are the lost ones;
 * those the kernel had not reported in a LOST line yet get one now.
 */
void events_summary(struct events *ev, const char *what, const char *cgroup_path, uint64_t full,
		    uint64_t unsent, int32_t error);

void events_close(struct events *ev);

#endif
