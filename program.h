/* SPDX-License-Identifier: MIT */
/*
 * program.h - steps 8 and 9: the program relocated to its maps, then
 * loaded (BPF_PROG_LOAD), with the verifier's log when it says no.
 *
 * With both hooks, the spine takes the two steps once per hook: the same
 * instructions, relocated to that hook's own CONFIG, loaded for that hook.
 */
#ifndef PROGRAM_H
#define PROGRAM_H

#include "cgroup.h"
#include "maps.h"
#include "object.h"
#include "options.h"

/*
 * Step 8: every ld_imm64 that names a map gets the fd of that map, from
 * fds[] by role (maps_fds_for_hook()), in the object's copy of the
 * instructions. `d` is only for the trace.
 */
void program_relocate(struct object *obj, const int fds[MAP_ROLE_CNT], int d);

/*
 * Step 8, once for all hooks: how the program reads the packet
 * (prog.bpf.c, LOAD_ADDR()). `access` as --packet-access gave it; AUTO asks
 * the kernel. Each `rX = DIRECT_ACCESS_MARK` in the object's copy of the
 * instructions becomes `rX = 1` (ACCESS_DIRECT) or `rX = 0`, and
 * obj->direct says which. An object without the mark (--object, built
 * before it) is left as it is; a choice given for it earns a warning.
 */
void program_set_access(struct object *obj, enum packet_access access);

/*
 * Step 9: load the relocated program for hook `d`, into h->prog_fd and
 * h->prog_id; `persistent` names it as a `block` instance (instance.h).
 * With the object's BTF (func_info, line_info) unless a load refused it
 * before (btf->prog_refused, which a refusal sets for the other hook).
 * EXIT_OK, or EXIT_SYSTEM after the verifier's log.
 */
int program_load(struct hook *h, int d, const struct object *obj, struct kernel_btf *btf,
		 int persistent);

/* -vv: the instructions, as the verifier log and bpftool print them; `fds` NULL before step 8. */
void program_trace(const struct object *obj, const char *when, const int fds[MAP_ROLE_CNT]);

#endif
