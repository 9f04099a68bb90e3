/* SPDX-License-Identifier: MIT */
/*
 * cgroup.h - steps 4 and 11, and undoing 11: a cgroup's two hooks as
 * mechanism. Open the cgroup, lock it, ask the kernel what is on a hook
 * (BPF_PROG_QUERY), attach (BPF_PROG_ATTACH), detach (BPF_PROG_DETACH).
 * What to do about what is found there is policy: reuse.c.
 */
#ifndef CGROUP_H
#define CGROUP_H

#include <stddef.h>
#include <stdint.h>

#include "options.h"

#define HOOK_QUERY_MAX 64 /* BPF_CGROUP_MAX_PROGS */
#define LOCK_WAIT_MS 10000
/* What statfs(2) says of a cgroup v2 and a cgroup v1 directory (linux/magic.h). */
#define CGROUP2_SUPER_MAGIC 0x63677270
#define CGROUP_SUPER_MAGIC 0x27e0eb

struct cgroup {
	const char *path;
	int fd;	     /* the directory; -1 before cgroup_open() */
	int removed; /* seen gone: the kernel lets our program go with our fds */
};

/* What BPF_PROG_QUERY said of one hook. */
struct hook_programs {
	uint32_t ids[HOOK_QUERY_MAX];
	uint32_t cnt;
	uint32_t flags; /* the attach flags of the hook: BPF_F_ALLOW_... */
};

/* One hook as this run uses it, and our program there. */
struct hook {
	int used; /* this run filters this direction */
	int prog_fd;
	uint32_t prog_id;
	uint8_t tag[8]; /* the kernel's hash of its instructions (BPF_TAG_SIZE) */
	int left_over_fd; /* a killed run's program here, or one to upgrade, to be replaced (reuse.c) */
	uint32_t left_over_id;
	int upgrading;	    /* ... the left-over is an instance of ours being upgraded */
	int left_over_gone; /* multi mode: BPF_F_REPLACE took it off as ours went on */
	int attached;	    /* by us, now */
	int replaced;	    /* someone replaced ours here: nothing to detach */
};

/*
 * Open `path` and check that it is a cgroup v2 directory; `warn_root`: say
 * so when it is the root of the hierarchy. EXIT_OK, EXIT_USAGE, EXIT_SYSTEM.
 */
int cgroup_open(struct cgroup *cg, const char *path, int warn_root);
void cgroup_close(struct cgroup *cg);

/*
 * Two instances starting on one cgroup at once could both find a hook
 * free, and the second attach would silently replace the first. So each
 * holds an flock on the cgroup directory from its look at the hooks until
 * it has attached; so do unblock, detach and list. Waiting stays
 * interruptible by `stop_fd` (a signalfd, or -1) and ends after
 * LOCK_WAIT_MS. EXIT_OK (also when a stop signal came: the caller's next
 * check stops it) or EXIT_SYSTEM.
 */
int cgroup_lock(const struct cgroup *cg, int stop_fd);
void cgroup_unlock(const struct cgroup *cg);

/* The programs on hook `d`: EXIT_OK, or EXIT_SYSTEM after saying why the kernel would not tell. */
int hook_query(const struct cgroup *cg, int d, struct hook_programs *on);

/*
 * Whether program `id` is on hook `d` now: 1 yes, 0 no (*others: how many
 * programs are there instead), -1 when the kernel would not say. Silent.
 */
int hook_has(const struct cgroup *cg, int d, uint32_t id, uint32_t *others);

/*
 * EXIT_OK when attaching in `mode` now would displace nobody but the
 * left-over `left_over_id` (0: none); EXIT_SYSTEM after saying who is there.
 */
int hook_refuse_if_taken(const struct cgroup *cg, int d, enum attach_mode mode,
			 const struct hook_programs *on, uint32_t left_over_id);

/* Look at hook `d` once more, then attach h's program in `mode`. EXIT_OK or EXIT_SYSTEM. */
int hook_attach(const struct cgroup *cg, int d, struct hook *h, enum attach_mode mode);

/*
 * Take h's program off hook `d` if we put it on and it is still ours there;
 * where it replaced a left-over (single, override), that one goes back on
 * instead, so the hook never stands empty. EXIT_SYSTEM if ours is stuck there.
 */
int hook_detach(const struct cgroup *cg, int d, struct hook *h, enum attach_mode mode);

/*
 * For messages: "program id 7" or "program ids 7 and 8" into `ids`, and
 * "egress", "ingress" or "egress and ingress" returned, from the hooks used.
 */
const char *hooks_describe(const struct hook hook[DIR_CNT], char *ids, size_t ids_len);

#endif
