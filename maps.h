/* SPDX-License-Identifier: MIT */
/*
 * maps.h - steps 6 and 7: the maps the object defines, created
 * (BPF_MAP_CREATE) and filled before anything is attached.
 *
 * Step 6 loads the object's BTF first (btf.c), so that each map is created
 * with its key and value types; a BTF the reader or the kernel refuses
 * costs a warning, not the run. Step 7 puts every address into BLOCKLIST
 * or BLOCKNETS (blocklist.c, all or nothing) and tells each program, in its
 * CONFIG, which hook it serves and which events to send.
 *
 * A reused instance (reuse.c) brings its maps: they are reached by id
 * instead of made.
 */
#ifndef MAPS_H
#define MAPS_H

#include <stdint.h>

#include "addr.h"
#include "btf.h"
#include "object.h"
#include "reuse.h"

struct maps {
	/*
	 * By role; fd[MAP_CONFIG] stays -1: each hook's program has its own, in
	 * config_fd. A reused instance of the first layout has set A only, and
	 * no ACTIVE: their fds stay -1.
	 */
	int fd[MAP_ROLE_CNT];
	int layout;			    /* 2, or 1 for a reused instance of the first layout */
	uint32_t set;			    /* the set the programs read: SET_A or SET_B */
	int config_fd[DIR_CNT];		    /* -1 for a hook this run does not use */
	uint32_t max_entries[MAP_ROLE_CNT]; /* as created or found */
};

/*
 * The object's BTF as the kernel has it: step 6 loads it for the maps, and
 * step 9 hands it to BPF_PROG_LOAD; then it can go (kernel_btf_release()).
 */
struct kernel_btf {
	struct btf_obj parsed; /* fixed up (btf.c) */
	int fd;		       /* from BPF_BTF_LOAD; -1 without BTF */
	int types_refused;     /* a map's key and value types were refused: the others go without */
	int prog_refused;      /* a program loaded only without it: the other hook's goes without */
};

void maps_init(struct maps *m);
void kernel_btf_init(struct kernel_btf *btf);
void kernel_btf_release(struct kernel_btf *btf);

/*
 * Step 6: every map of the contract, one CONFIG per hook in `hooks` (a set
 * of 1 << DIR_...). BLOCKLIST and BLOCKNETS get `max_entries` (0: the
 * object's), and must hold `block`; a ring buffer gets `ring_pages` pages (a
 * power of 2). EXIT_OK, EXIT_USAGE or EXIT_SYSTEM.
 */
int maps_create(struct maps *m, struct kernel_btf *btf, const struct object *obj,
		unsigned int hooks, const struct addr_list *block, uint32_t max_entries,
		unsigned int ring_pages);

/* Step 6 of a reused instance: its maps, reached by id. EXIT_OK or EXIT_SYSTEM. */
int maps_open_reused(struct maps *m, const struct reuse *r, const char *cgroup_path);

/* How step 7 fills the blocklist. */
enum fill_how {
	FILL_NEW,     /* maps just made: every entry goes in */
	FILL_ADD,     /* a reused instance: add (`block`, `run`) */
	FILL_REPLACE, /* a reused instance: the list becomes exactly `block` (`replace`) */
};

/*
 * Step 7: add `block` to the blocklist, or make the list exactly `block`.
 * On a list in use, a change of more than one system call goes through the
 * switch (blocklist.h), so that a command killed half-way leaves the old
 * list or the new one. Says what was added to a reused instance
 * (`prog_ids`: "program id 7"). All or nothing: EXIT_OK, or EXIT_SYSTEM
 * with the maps as they were.
 */
int maps_fill(const struct maps *m, const struct addr_list *block, enum fill_how how,
	      const char *cgroup_path, const char *prog_ids);

/*
 * Step 7 of an upgrade (reuse.h): the new maps get the list of instance
 * `old` (its entries with their counters and expiries), and `block` as
 * `how` says; the old maps are read, never changed. EXIT_OK or
 * EXIT_SYSTEM, said.
 */
int maps_fill_upgrade(const struct maps *m, const struct instance *old,
		      const struct addr_list *block, enum fill_how how, const char *cgroup_path,
		      const char *why);

/* The name of the active set's map of single addresses (prefixes 0) or prefixes (1). */
const char *maps_set_name(const struct maps *m, int prefixes);

/*
 * Step 7, and again on the way out: which events each program sends
 * (LOG_ALL, ...) and the policy (POLICY_ALLOW, POLICY_DENY); -1 leaves
 * either as it is.
 */
int maps_write_config(const struct maps *m, int log_mode, int policy, const char *cgroup_path);

/* The policy in the CONFIG of id `config_id` (an instance being upgraded), or -1 after saying why. */
int maps_policy_of(uint32_t config_id, const char *cgroup_path);

/* What the programs count in CONFIG_COUNTS (common.h), over both hooks. */
struct event_counts {
	uint64_t full;	 /* refused for want of room: lost */
	uint64_t unsent; /* refused for another reason ... */
	int32_t error;	 /* ... the last of which was -errno */
};

/* 0, or -1 when no CONFIG could be read (an instance from before the counts). */
int maps_event_counts(const struct maps *m, struct event_counts *c);

/* The fd each map role has for hook `d`'s program: what step 8 relocates with. */
void maps_fds_for_hook(const struct maps *m, int d, int fds[MAP_ROLE_CNT]);

void maps_close(struct maps *m);

/*
 * Before 5.11 BPF memory was charged to RLIMIT_MEMLOCK, 64 KiB by default,
 * and running out looks like EPERM. So only after an EPERM: raise the soft
 * limit. Returns 1 if it went up and a retry can help.
 */
int memlock_raise(void);

#endif
