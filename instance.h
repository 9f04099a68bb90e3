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

struct instance {
	uint32_t prog_id;
	int prog_fd; /* close-on-exec; the caller closes it */
	uint32_t blocklist_id;
	uint32_t events_id;
};

/*
 * Whether program `id` is ours: its kernel name is `prog_name` (already cut
 * to the kernel's 15 characters) and it uses exactly two maps, named
 * BLOCKLIST and EVENTS. Returns 1 and fills *inst, 0 if it is not ours, -1
 * with errno on failure.
 */
int instance_find(uint32_t id, const char *prog_name, struct instance *inst);

/*
 * A process other than this one that holds an fd of program `id`, found in
 * /proc/PID/fdinfo: its pid, 0 if there is none, -1 when /proc cannot tell.
 */
pid_t instance_holder(uint32_t id);

#endif
