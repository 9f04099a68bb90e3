/* SPDX-License-Identifier: MIT */
/*
 * transport.h - step 3's one decision: which way the program's events will
 * reach us, and so which of the object's two programs to read.
 *
 *   perf      a perf ring per CPU (perf_ring.c): any kernel with
 *             CONFIG_PERF_EVENTS and CONFIG_BPF_EVENTS, the default;
 *   ringbuf   one BPF ring buffer (ringbuf.c): Linux 5.8+, no perf events
 *             needed, as on kernels built the way OpenWrt builds them;
 *   none      neither can deliver: blocking works, LOG lines cannot.
 *
 * --events auto (the default) asks the kernel, before anything of ours is
 * loaded: can a perf event of type BPF_OUTPUT be opened, and does
 * bpf_perf_event_output() exist behind it (a probe program of a few
 * instructions, run once with BPF_PROG_TEST_RUN)? If both, perf; if not,
 * the ring buffer, if this kernel can create one.
 */
#ifndef TRANSPORT_H
#define TRANSPORT_H

#include <stddef.h>

#include "options.h"

/*
 * `asked`, or for TRANSPORT_AUTO what the kernel can do. When the answer
 * is not perf, `why` says why not (for the one line `run` prints). Each
 * probe is traced at -v.
 */
enum transport transport_choose(enum transport asked, char *why, size_t why_len);

/*
 * The probes one by one, for `check`: 1 when this kernel can carry events
 * that way, 0 with `why` saying why not.
 */
int transport_perf_works(char *why, size_t why_len);
int transport_ringbuf_works(char *why, size_t why_len);

#endif
