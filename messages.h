/* SPDX-License-Identifier: MIT */
/*
 * messages.h - everything the tool says on stderr, and the names it says
 * things with. Every step file uses it; it uses only text.c and options.h.
 * The pure rooms beneath (elf_min.c, btf.c, perf_ring.c, addr.c, text.c,
 * mem.c, disasm.c) say nothing themselves: they hand their caller an error
 * text, so that they can be unit-tested and fuzzed alone.
 *
 *   report()  one line, "cgroup-skb-egress: ...": what failed, on what, the
 *             errno text, what to do. Said once, where the context is.
 *   trace()   -v: what a step hands the kernel and gets back. The spine
 *             (loader.c) says which step runs; each line is numbered with
 *             it, so that the trace, the code and docs/walkthrough.md read
 *             side by side.
 */
#ifndef MESSAGES_H
#define MESSAGES_H

#include <stddef.h>
#include <stdint.h>

#include "options.h"

#ifndef VERSION
#define VERSION "0.1.0"
#endif
#define PROG_NAME "cgroup-skb-egress"

#define EXIT_OK 0
#define EXIT_SYSTEM 1 /* the system refused or failed */
#define EXIT_USAGE 2  /* bad command line or bad input */
#define EXIT_NONE 3   /* unblock, list, status, log, detach: nothing of ours there */

#define ENOTSUPP 524 /* kernel-internal, but it leaks out of bpf(2) */
/* BPF_PROG_GET_FD_BY_ID and BPF_MAP_GET_FD_BY_ID want more than CAP_BPF. */
#define GET_BY_ID_HINT "; reaching a program or map by id needs CAP_SYS_ADMIN"

__attribute__((format(printf, 1, 2))) void report(const char *fmt, ...);

/* -v sets level 1, -vv level 2; trace(level, ...) prints when the level is reached. */
void trace_set_level(int level);
int trace_level(void);
/* The step now running (0: none); trace lines not starting with a blank say "step N: ". */
void trace_step(int step);
__attribute__((format(printf, 2, 3))) void trace(int level, const char *fmt, ...);

const char *errno_text(int err);
/*
 * What to do about EPERM, EACCES or ENOSYS from bpf(2) or perf_event_open(2),
 * as "; ..." into buf (or "" for other errors).
 */
const char *privilege_hint(int err, char *buf, size_t len);

extern const char *const command_names[COMMAND_CNT];
extern const char *const direction_names[DIR_CNT];
extern const char *const hook_set_names[4]; /* by a set of 1 << DIR_...: "egress and ingress" */
extern const char *const attach_mode_names[3];
extern const char *const transport_names[4];	 /* by enum transport: --events' words */
extern const char *const packet_access_names[3]; /* by enum packet_access */
extern const char *const log_mode_names[3];	 /* indexed by LOG_ALL, LOG_DROPS, LOG_NONE */
/* The attach mode that BPF_PROG_QUERY's attach_flags say. */
const char *flags_text(uint32_t flags);

#endif
