/* SPDX-License-Identifier: MIT */
/*
 * loader.h - what the loader's files share: the options, the state of a
 * run (struct loader), and the few helpers more than one file needs.
 *
 *   loader.c    the run: setup steps 2 to 10, the event loop, clean-up
 *   cli.c       step 1: the command line and --help
 *   commands.c  the subcommands that load nothing: status, list, unblock,
 *               detach
 *   blocklist.c adding and removing addresses, all or nothing
 *
 * Not an API: nothing outside these three files includes it.
 */
#ifndef LOADER_H
#define LOADER_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "addr.h"
#include "blocklist.h"
#include "bpf_sys.h"
#include "btf.h"
#include "elf_min.h"
#include "instance.h"
#include "perf_ring.h"
#include "text.h"

#ifndef VERSION
#define VERSION "0.1.0"
#endif
#define PROG_NAME "cgroup-skb-egress"

#define EXIT_OK 0
#define EXIT_SYSTEM 1 /* the system refused or failed */
#define EXIT_USAGE 2  /* bad command line or bad input */
#define EXIT_NONE 3   /* unblock, list, status, log, detach: nothing of ours there */

#define CGROUP2_SUPER_MAGIC 0x63677270
#define CGROUP_SUPER_MAGIC 0x27e0eb
#define ENOTSUPP 524 /* kernel-internal, but it leaks out of bpf(2) */

#define OBJECT_MAX_BYTES (16u << 20)
#define VERIFIER_LOG_START (64u << 10)
#define VERIFIER_LOG_MAX (UINT32_MAX >> 8) /* the limit of kernels <= 5.1 */
#define VERIFIER_LOG_PRINT (8u << 10)	   /* print at most the last 8 KiB */
#define PROG_LOAD_ATTEMPTS 5
#define HOOK_QUERY_MAX 64 /* BPF_CGROUP_MAX_PROGS */
#define LOCK_WAIT_MS 10000
/* BPF_PROG_GET_FD_BY_ID and BPF_MAP_GET_FD_BY_ID want more than CAP_BPF. */
#define GET_BY_ID_HINT "; reaching a program or map by id needs CAP_SYS_ADMIN"
#define OUT_LINE_MAX 160 /* longest LOG, LOST or JSON line (IPv6: 105), with room to spare */

enum attach_mode { ATTACH_SINGLE, ATTACH_OVERRIDE, ATTACH_MULTI };

extern const char *const attach_mode_names[3];
extern const uint32_t attach_mode_flags[3];

/*
 * run, block and log share the setup steps of loader.c; block leaves its
 * program attached, log only reads an attached one. The others are in
 * commands.c.
 */
enum command { CMD_RUN, CMD_BLOCK, CMD_LOG, CMD_STATUS, CMD_LIST, CMD_UNBLOCK, CMD_DETACH };
#define COMMAND_CNT 7
extern const char *const command_names[COMMAND_CNT];

/* The two hooks a cgroup has for sockets' packets; the program can sit on either or both. */
enum direction { DIR_EGRESS, DIR_INGRESS };
#define DIR_CNT 2
extern const char *const direction_names[DIR_CNT];
extern const uint32_t direction_attach_types[DIR_CNT];
extern const char *const hook_set_names[4]; /* by a set of 1 << DIR_...: "egress and ingress" */
extern const char *const log_mode_names[3]; /* indexed by LOG_ALL, LOG_DROPS, LOG_NONE */

struct options {
	enum command command;
	unsigned int directions; /* --direction: a set of 1 << DIR_... */
	int directions_given;
	int json;	   /* --json: one JSON object per line */
	int strict;	   /* unblock --strict: an address not blocked is an error */
	uint32_t log_mode; /* --log: LOG_ALL, LOG_DROPS or LOG_NONE */
	const char *cgroup_path;
	const char *object_path; /* NULL: the embedded object */
	struct addr_list block;	 /* addresses and prefixes, sorted, unique */
	int addresses_given;	 /* by -b or -f, even if none */
	uint32_t max_entries;	 /* --max-entries; 0: the object's */
	enum attach_mode mode;
	unsigned int ring_pages;
	unsigned int wakeup_events;
	int flush_ms;
	int verbose; /* -v: trace each step; -vv: and the instructions */
};

/* Everything a run holds, so that one function can let go of all of it. */
struct loader {
	struct options opt;
	const char *object_label; /* for messages: the path or "embedded object" */
	uint8_t *object_copy;	  /* --object: the file's bytes */
	size_t object_copy_len;
	struct elf_obj obj;
	struct btf_obj btf;   /* teaching build: the object's BTF, fixed up */
	int btf_fd;	      /* after BPF_BTF_LOAD; -1 without BTF */
	int prog_btf_refused; /* the program loaded only without it */
	int cgroup_fd;
	int map_fds[ELF_MAX_MAPS];
	struct blocklist bl; /* its fds borrowed from map_fds */
	int events_fd;
	uint32_t events_slots; /* EVENTS' max_entries as created */
	size_t config_index;   /* of CONFIG in obj.maps: each hook's program gets its own */
	/* Per hook: the program that sits there, loaded once per direction. */
	struct hook {
		int used; /* this run filters this direction */
		int prog_fd;
		uint32_t prog_id;
		int config_fd;	       /* its own CONFIG map */
		struct instance reuse; /* the reused instance's program here; prog_id 0: none */
		int left_over_fd;      /* a killed run's program here, to be replaced */
		uint32_t left_over_id;
		int attached; /* now */
		int replaced; /* someone replaced ours here: nothing to detach */
	} hook[DIR_CNT];
	int reusing;		   /* a persistent instance we add to or read */
	uint32_t blocklist_max[2]; /* of a reused instance: BLOCKLIST, BLOCKNETS */
	int watching;		   /* the event loop runs: run and log */
	int configured;		   /* CONFIG was written: a reused one is reset on the way out */
	int seen_detached;	   /* the loop saw our program taken off */
	int was_attached;	   /* at some point: print a summary */
	struct perf_ring *rings;
	size_t ring_cnt;
	int epoll_fd;
	int signal_fd;
	sigset_t stop_signals;
	struct perf_ring_stats stats;
	uint64_t short_samples;
	struct text_out print; /* stdout of status and list */
	int stdout_broken;     /* errno of a failed write to stdout */
	size_t out_len;	       /* bytes waiting in out[] */
	char out[1u << 15];    /* LOG and LOST lines, written per drain */
	int64_t last_check;    /* monotonic second of the last still_attached() */
	int cgroup_removed;
};

/* loader.c */
__attribute__((format(printf, 1, 2))) void report(const char *fmt, ...);
__attribute__((format(printf, 3, 4))) void trace_line(const struct loader *l, int level,
						      const char *fmt, ...);
/*
 * The teaching layer: the -v/-vv trace of every step, the disassembler and
 * BTF. It costs about 18 KB, more than the 64 KiB budget of the embedded
 * binary leaves (README, "Size"), so `make teach` builds the tool with it
 * (-DTEACH=1) and `make` without. Written as `if (TEACH)`, not #ifdef, so
 * that both builds compile every line; the budget build drops the dead code
 * and its strings.
 */
#ifndef TEACH
#define TEACH 0
#endif
#define trace(l, level, ...)                                                                       \
	do {                                                                                       \
		if (TEACH)                                                                         \
			trace_line((l), (level), __VA_ARGS__);                                     \
	} while (0)
const char *errno_text(int err);
const char *privilege_hint(int err, char *buf, size_t len);
void kernel_name(char out[BPF_OBJ_NAME_LEN], const char *name);
const char *flags_text(uint32_t flags);
int load_object(struct loader *l);
int open_cgroup(struct loader *l);
int lock_cgroup(struct loader *l);
int query_hook(struct loader *l, int dir, uint32_t ids[HOOK_QUERY_MAX], uint32_t *cnt,
	       uint32_t *flags);
int loader_close(struct loader *l);
int stop_signal_pending(const struct loader *l, const char *step);
int find_our_program(struct loader *l, uint32_t id, struct instance *inst);

/* cli.c: EXIT_OK, EXIT_USAGE or EXIT_SYSTEM, or -1 after --help or --version. */
int parse_args(int argc, char **argv, struct options *o);

/* commands.c */
int cmd_status(struct loader *l);
int cmd_list(struct loader *l);
int cmd_unblock(struct loader *l);
int cmd_detach(struct loader *l);

#endif
