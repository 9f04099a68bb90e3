/* SPDX-License-Identifier: MIT */
/*
 * reuse.h - step 5: what is already on the hooks decides what this run
 * does. Policy over cgroup.c's mechanism; a learner may skip it on a first
 * read, as a fresh cgroup never reaches most of it.
 *
 *   - A persistent instance of ours (left by `block`): `block` adds to its
 *     blocklist, `run` and `log` read its events; nothing new is loaded.
 *     Unless it is of the first map layout, or smaller than --max-entries
 *     asks: then `block`, `replace` and `run` upgrade it, making a new
 *     persistent instance with its list that replaces it on the hooks in
 *     one step (and `run` reads it, as it reads one it reuses).
 *   - A program of ours that a killed run left and no process holds: ours
 *     replaces it without a moment unblocked.
 *   - Anyone else's program: never displaced (hook_is_free()).
 */
#ifndef REUSE_H
#define REUSE_H

#include "cgroup.h"
#include "instance.h"
#include "options.h"

struct reuse {
	int active; /* an instance of ours is used: persistent, or for `log` one nobody holds */
	/*
	 * Or, for `block`, `replace` and `run`, an instance of ours that must be
	 * upgraded: a new one is made with its list, and replaces it on the
	 * hooks (`why` says what calls for it).
	 */
	int upgrade;
	const char *why;
	struct instance inst[DIR_CNT]; /* its program on each hook; prog_id 0: none */
};

/*
 * Decide, from `found` (step 4's look at both hooks, under the lock), which
 * hooks this run uses (hook[].used), whether it reuses an instance (*r),
 * and which left-overs it replaces (hook[].left_over_*). EXIT_OK,
 * EXIT_NONE (`log` with nothing of ours there), EXIT_USAGE or EXIT_SYSTEM.
 */
int reuse_decide(struct reuse *r, struct hook hook[DIR_CNT], const struct cgroup *cg,
		 const struct hook_programs found[DIR_CNT], const struct options *opt,
		 const char *prog_name);

/*
 * After ours is on every hook: a killed run's program is gone already in
 * single and override mode (attaching replaced it); in multi mode it is
 * still there next to ours, so now it may go.
 */
void reuse_drop_left_overs(struct hook hook[DIR_CNT], const struct cgroup *cg,
			   enum attach_mode mode);

/* The instance found (r->active or r->upgrade): the first hook's. */
const struct instance *reuse_instance(const struct reuse *r);

void reuse_close(struct reuse *r);

#endif
