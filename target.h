/* SPDX-License-Identifier: MIT */
/*
 * target.h - step 1's last part: which cgroup the command means. `-c PATH`
 * names it; `--unit NAME` and `--pid PID` name something that has one, and
 * become its path here, before any step opens it, so that every message and
 * `status` show the directory that was used.
 */
#ifndef TARGET_H
#define TARGET_H

#include <stddef.h>

#include "options.h"

/*
 * Where cgroup2 is mounted, from /proc/self/mountinfo: the mount point into
 * `mnt` and the directory of the hierarchy it shows into `root` ("/" unless
 * a cgroup namespace or a bind mount shows only part of it). 0, or -1 when
 * no cgroup2 is mounted or /proc cannot tell.
 */
int cgroup2_mount(char *mnt, size_t mnt_len, char *root, size_t root_len);

/*
 * For messages: where cgroup2 is mounted, or what to do when it is not.
 * Returns `buf`, or a fixed text.
 */
const char *cgroup2_mount_text(char *buf, size_t len);

/*
 * --unit or --pid into o->cgroup_path (kept in o->target_path). EXIT_OK
 * (also for -c, which needs nothing), EXIT_USAGE when the name or process
 * has no cgroup here, EXIT_SYSTEM when /proc or the cgroup tree cannot be
 * read; said once.
 */
int target_resolve(struct options *o);

#endif
