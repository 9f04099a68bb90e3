/* SPDX-License-Identifier: MIT */
/*
 * options.h - what the command line asks for (step 1, cli.c), and the few
 * words every step shares: the commands, the two hooks, the attach modes.
 */
#ifndef OPTIONS_H
#define OPTIONS_H

#include <limits.h>
#include <stdint.h>

#include <linux/bpf.h>

#include "addr.h"

/*
 * run, block, replace and log take the setup steps of loader.c; block and
 * replace leave their program attached, log only reads an attached one.
 * The others load nothing (commands.c), but check, which loads and lets go.
 */
enum command {
	CMD_RUN,
	CMD_BLOCK,
	CMD_REPLACE,
	CMD_LOG,
	CMD_STATUS,
	CMD_LIST,
	CMD_UNBLOCK,
	CMD_DETACH,
	CMD_CHECK,
	CMD_ALLOW,  /* block, of allow entries: parse_args() makes it CMD_BLOCK */
	CMD_UNALLOW /* unblock, of allow entries: made CMD_UNBLOCK */
};
#define COMMAND_CNT 11

/* block and replace: the program they attach stays after they exit, and nobody reads it. */
static inline int command_leaves_attached(enum command c)
{
	return c == CMD_BLOCK || c == CMD_REPLACE;
}

/* The two hooks a cgroup has for sockets' packets; the program can sit on either or both. */
enum direction { DIR_EGRESS, DIR_INGRESS };
#define DIR_CNT 2

static inline uint32_t direction_attach_type(int d)
{
	return d == DIR_EGRESS ? BPF_CGROUP_INET_EGRESS : BPF_CGROUP_INET_INGRESS;
}

/* --attach-mode: what BPF_PROG_ATTACH lets others do on the hook after us. */
enum attach_mode { ATTACH_SINGLE, ATTACH_OVERRIDE, ATTACH_MULTI };

static inline uint32_t attach_mode_flags(enum attach_mode m)
{
	return m == ATTACH_MULTI      ? BPF_F_ALLOW_MULTI
	       : m == ATTACH_OVERRIDE ? BPF_F_ALLOW_OVERRIDE
				      : 0;
}

/*
 * --events: which way the program's events reach user space. AUTO is
 * decided at step 3 (transport.c) and becomes one of the other three.
 */
enum transport { TRANSPORT_AUTO, TRANSPORT_PERF, TRANSPORT_RING, TRANSPORT_NONE };

/*
 * --packet-access: how the program reads the addresses from the packet
 * (prog.bpf.c, LOAD_ADDR()). AUTO is decided at step 8 (program.c): DIRECT
 * where the kernel allows it (Linux 5.2), else HELPER.
 */
enum packet_access { ACCESS_AUTO, ACCESS_DIRECT, ACCESS_HELPER };

struct options {
	enum command command;
	unsigned int directions; /* --direction: a set of 1 << DIR_... */
	int directions_given;
	int json;		 /* --json: one JSON object per line */
	int prometheus;		 /* status --prometheus */
	unsigned int top;	 /* status --top N */
	int strict;		 /* unblock --strict: an address not blocked is an error */
	uint32_t log_mode;	 /* --log: LOG_ALL, LOG_DROPS or LOG_NONE */
	const char *cgroup_path; /* -c, or what --unit or --pid named (target.c) */
	const char *unit;	 /* --unit */
	unsigned long pid;	 /* --pid */
	int target_given;	 /* -c, --unit or --pid */
	char target_path[PATH_MAX];
	const char *object_path; /* NULL: the embedded object */
	struct addr_list block;	 /* addresses and prefixes, sorted, unique */
	int allow;		 /* `allow` or `unallow`: block's entries are allow entries */
	int policy;		 /* --default: POLICY_ALLOW or POLICY_DENY; -1 not given */
	int addresses_given;	 /* by -b or -f, even if none */
	uint32_t max_entries;	 /* --max-entries; 0: the object's */
	uint64_t timeout_ns;	 /* --timeout; 0: for good */
	unsigned int jitter_pct; /* --jitter */
	enum attach_mode mode;
	enum transport events;	   /* --events */
	enum packet_access access; /* --packet-access */
	unsigned int ring_pages;
	unsigned int wakeup_events;
	int flush_ms;
	int verbose; /* -v: trace each step; -vv: and the instructions */
};

/* Step 1 (cli.c): EXIT_OK, EXIT_USAGE or EXIT_SYSTEM, or -1 after --help or --version. */
int parse_args(int argc, char **argv, struct options *o);

#endif
