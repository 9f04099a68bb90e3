/* SPDX-License-Identifier: MIT */
/*
 * commands.h - the commands that load nothing: status, list, unblock and
 * detach. After steps 1 and 3 (the object, for its program's name) and the
 * cgroup opened, each looks at what is on the cgroup's hooks, recognises
 * our programs there (instance.c) and does its one job.
 */
#ifndef COMMANDS_H
#define COMMANDS_H

#include "addr.h"
#include "bpf_sys.h"
#include "cgroup.h"
#include "signals.h"

struct command_target {
	const struct cgroup *cg;
	char prog_name[BPF_OBJ_NAME_LEN]; /* our program's kernel name (object.h) */
	int json;			  /* --json: one object per line on stdout */
	const struct stop_signals *signals;
};

/* What is on the cgroup's hooks, ours or not. EXIT_NONE when nothing of ours is. */
int cmd_status(const struct command_target *t);
/*
 * status --prometheus: the counts of status in the Prometheus text format
 * (node_exporter's textfile collector), with the `top` block entries that
 * dropped most by address. EXIT_NONE when nothing of ours is there.
 */
int cmd_metrics(const struct command_target *t, unsigned int top);
/* Each blocked address with its drop counter, per instance of ours. */
int cmd_list(const struct command_target *t);
/* Remove `addrs` from every instance's blocklist, all or nothing; `strict`: all must be there. */
int cmd_unblock(const struct command_target *t, const struct addr_list *addrs, int strict);
/* Take every program of ours off the hooks, whoever runs it; others' are never touched. */
int cmd_detach(const struct command_target *t);

#endif
