/* SPDX-License-Identifier: MIT */
/*
 * instance.h - recognise a cgroup-skb-egress program already on a hook.
 *
 * BPF_PROG_ATTACH outlives the process that attached: a run killed with
 * SIGKILL leaves its program behind, still blocking. A later run (or
 * `status`, `detach`) finds it with BPF_PROG_QUERY and needs to tell "ours,
 * left over" from "ours, still run by someone" and from "somebody else's".
 * No state file is needed: the kernel knows each program's name and maps,
 * and /proc knows who holds it.
 */
#ifndef INSTANCE_H
#define INSTANCE_H

#include <stdint.h>
#include <sys/types.h>

#include "common.h"

/*
 * `block` leaves its program attached on purpose, and later runs add to it
 * (a "persistent" instance); a `run` killed with SIGKILL leaves its program
 * by accident, and the next run replaces it. Both are ours and held by no
 * process, so the kernel name tells them apart: a persistent program's name
 * is the run name cut to 13 characters plus ".p". No C function name
 * contains a '.', so no object's own program can be taken for one.
 */
#define INSTANCE_NAME_LEN 16 /* BPF_OBJ_NAME_LEN */
#define PERSISTENT_SUFFIX ".p"

struct instance {
	uint32_t prog_id;
	int persistent;		 /* attached by `block`, kept until `detach` */
	int prog_fd;		 /* close-on-exec; the caller closes it */
	int layout;		 /* 2: this version's maps; 1: the first (no sets, no expiries) */
	uint8_t tag[8];		 /* the kernel's hash of its instructions (BPF_TAG_SIZE) */
	uint32_t blocklist_id;	 /* single addresses, in the set the program reads */
	uint32_t blocknets_id;	 /* prefixes, in the set the program reads */
	uint32_t set_ids[2][2];	 /* [SET_A or SET_B][0 singles, 1 prefixes]; layout 1: set A only */
	uint32_t max_entries[2]; /* of its maps of single addresses [0] and prefixes [1] */
	uint32_t active_id;	 /* ACTIVE; 0 in layout 1 */
	struct active_set active; /* what ACTIVE held when found */
	uint32_t events_id;	  /* EVENTS, or EVENTS_RING for the ring buffer's program */
	int events_ring;
	uint32_t config_id;
};

/*
 * The name of a blocklist map: of map layout `layout`, in set `set` (SET_A
 * or SET_B), of single addresses (prefixes 0) or prefixes (1).
 */
const char *set_map_name(int layout, uint32_t set, int prefixes);

/* The kernel name of a persistent instance of the program named `prog_name`. */
void instance_persistent_name(char out[INSTANCE_NAME_LEN], const char *prog_name);

/*
 * Whether program `id` is ours: its kernel name is `prog_name` (already cut
 * to the kernel's 15 characters) or the persistent form of it, and it uses
 * exactly this version's seven maps (object.h), or the first layout's
 * four: BLOCKLIST, BLOCKNETS, CONFIG and EVENTS (or EVENTS_RING). Returns 1
 * and fills *inst, reading ACTIVE for the set in use; 0 if it is not ours,
 * -1 with errno on failure.
 */
int instance_find(uint32_t id, const char *prog_name, struct instance *inst);

/*
 * instance_find() for program `id` on a hook of `cgroup_path`, saying why
 * when the kernel will not tell (-1), and tracing what it found (-v).
 */
int instance_recognise(const char *cgroup_path, const char *prog_name, uint32_t id,
		       struct instance *inst);

/*
 * A process other than this one that holds an fd of program `id`, found in
 * /proc/PID/fdinfo: its pid, 0 if there is none, -1 when /proc cannot tell.
 */
pid_t instance_holder(uint32_t id);

#endif
