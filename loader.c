/* SPDX-License-Identifier: MIT */
/*
 * loader.c - cgroup-skb-egress: drop a cgroup's packets to and from blocked
 * addresses, and log every packet, with eBPF loaded by hand. This file is
 * the spine: the steps in order, main(), and the one way out.
 *
 * What a run does, in order. The same numbers head the sections of
 * docs/walkthrough.md and start the lines of the -v trace ("step 9: ...").
 *
 *   1. cli.c      Parse the command line. Every address is checked before
 *                 anything is loaded. --unit and --pid become the path of
 *                 their cgroup (target.c).
 *   2. signals.c  Hold the stop signals. During setup a pending one stops
 *                 it before the next step; later the event loop reads them.
 *                 Either way a signal ends with nothing attached.
 *   3. object.c   Choose how events will reach us (transport.c: perf rings,
 *                 or the BPF ring buffer where perf events cannot carry
 *                 them), read the BPF object (embedded, or --object FILE),
 *                 take the program for that way, and check all of it
 *                 (elf_min.c).
 *   4. cgroup.c   Open the cgroup, check it is cgroup v2, lock it, and ask
 *                 the kernel which programs are on its egress and ingress
 *                 hooks.
 *   5. reuse.c    Decide from what is there: a new instance, an instance of
 *                 ours to reuse, one of an earlier version to upgrade, or a
 *                 killed run's left-over to replace.
 *   6. maps.c     Create the maps the program uses (BLOCKLIST, BLOCKNETS,
 *                 CONFIG, EVENTS or EVENTS_RING), with the types of its
 *                 BTF (btf.c).
 *   7. maps.c     Fill the blocklist's set A (blocklist.c), and tell the
 *                 program in CONFIG which events to send. Before attaching,
 *                 so no blocked packet slips out while the list is empty. On
 *                 a list in use, a change larger than one system call is
 *                 made in the other set, then switched to (ACTIVE).
 *   8. program.c  Relocate: set the load-time constant (does this kernel
 *                 let the program read packets directly?), and write each
 *                 map's fd into the ld_imm64 instructions that use it.
 *   9. program.c  Load the program (BPF_PROG_LOAD); on rejection print the
 *                 verifier's log.
 *  10. events.c   Open one perf ring per online CPU and store its fd in
 *                 EVENTS, or map the ring buffer; watch the rings and the
 *                 signalfd with one epoll set.
 *  11. cgroup.c   Attach the program to the hooks (BPF_PROG_ATTACH).
 *  12. events.c   Print a LOG line per event until a stop signal.
 * Then close_run() undoes it all: detach, print a summary, close every fd.
 * Maps and programs live only as long as their fds (or an attachment), so a
 * failed run leaves nothing behind in the kernel.
 *
 * `run` takes every step. With --direction ingress or both, steps 8 and 9
 * are taken once per hook: the same instructions, relocated to that hook's
 * own CONFIG (which tells the program its direction). `block` (and
 * `replace`, which makes the list exactly the one given) skips the rings
 * and the loop (10, 12) and leaves its program attached under a name
 * that marks it persistent (instance.h); when such an instance is there
 * already (step 5), `block` adds to its blocklist and `run` and `log` read
 * its events: step 6 opens its maps instead of making new ones, and steps 8,
 * 9 and 11 have nothing to do, but for `block` and `replace`, which load
 * their program on its maps to compare instructions, and put theirs in its
 * place when they differ. An instance to upgrade (reuse.h) is made anew,
 * with the old one's list, and replaces it on the hooks at step 11. `status`, `list`, `unblock` and `detach`
 * (commands.c) take steps 1 and 3, open the cgroup (and hold the stop
 * signals, for the two that change things), and do their one job.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <unistd.h>

#include "cgroup.h"
#include "preflight.h"
#include "commands.h"
#include "common.h"
#include "events.h"
#include "maps.h"
#include "messages.h"
#include "object.h"
#include "options.h"
#include "program.h"
#include "reuse.h"
#include "signals.h"
#include "target.h"
#include "transport.h"

/* Everything a run holds, so that close_run() can let go of all of it. */
struct loader {
	struct options opt;		     /* 1 */
	struct stop_signals signals;	     /* 2 */
	enum transport transport;	     /* 3: how events reach us */
	char transport_why[192];	     /* 3: why not perf, when not */
	struct object obj;		     /* 3 */
	struct cgroup cg;		     /* 4 */
	struct hook_programs found[DIR_CNT]; /* 4: what was on the hooks */
	struct reuse reuse;		     /* 5 */
	struct hook hook[DIR_CNT];	     /* 5, 9, 11: our program on each hook */
	struct kernel_btf btf;		     /* 6 to 9: the object's BTF, loaded */
	struct maps maps;		     /* 6, 7 */
	struct events events;		     /* 10, 12 */
	int configured;	   /* 7 wrote CONFIG: a reused one is reset on the way out */
	int was_attached;  /* 11 attached something of ours: say how it ended */
	int watching;	   /* 12 runs: run and log */
	int seen_detached; /* 12 saw our program taken off */
	struct event_counts counted_before; /* 7: what CONFIG had counted already (reused) */
};

/* Each step, below main(), is a few lines that hand one file what it needs. */
static int step_hold_signals(struct loader *l);
static int step_read_object(struct loader *l);
static int step_look_at_hooks(struct loader *l);
static int step_decide(struct loader *l);
static int step_create_maps(struct loader *l);
static int step_fill_maps(struct loader *l);
static int step_load_programs(struct loader *l);
static int step_open_rings(struct loader *l);
static int step_attach(struct loader *l);
static int write_log_mode(struct loader *l);
static int compare_instructions(struct loader *l, int d, int loaded);
static int kept_program_serves(const struct loader *l, uint32_t prog_id);
static void access_kept(const struct loader *l);
static int inspect(struct loader *l);
static int run_check(struct loader *l);
static int close_run(struct loader *l);
static void fill_stdio(void);

/*
 * Steps 2 to 11 of run, block and log, in order. A stop signal waiting
 * before a step stops the run there, with nothing attached; after step 11,
 * the event loop (step 12) reads it.
 */
/* clang-format off */
static const struct step {
	int number;
	int stoppable; /* 0: no stop before it: it acts on what the step before saw */
	const char *name;
	const char *file; /* where the step's work is: -v says so */
	int (*take)(struct loader *l);
} steps[] = {
	{ 2, 1, "holding the stop signals", "signals.c", step_hold_signals },
	{ 3, 1, "reading the BPF object", "object.c", step_read_object },
	{ 4, 1, "looking at the hooks", "cgroup.c", step_look_at_hooks },
	{ 5, 0, "deciding what to load", "reuse.c", step_decide },
	{ 6, 1, "creating the maps", "maps.c", step_create_maps },
	{ 7, 1, "filling the maps", "maps.c", step_fill_maps },
	{ 8, 1, "relocating and loading the program", "program.c", step_load_programs },
	{ 10, 1, "opening the rings", "events.c", step_open_rings },
	{ 11, 1, "attaching", "cgroup.c", step_attach },
};
/* clang-format on */

int main(int argc, char **argv)
{
	struct loader l;
	size_t i;
	int rc, close_rc;

	fill_stdio();
	memset(&l, 0, sizeof(l));
	l.signals.fd = l.cg.fd = -1;
	for (i = 0; i < DIR_CNT; i++)
		l.hook[i].prog_fd = l.hook[i].left_over_fd = -1;
	maps_init(&l.maps);
	kernel_btf_init(&l.btf);

	rc = parse_args(argc, argv, &l.opt); /* step 1 */
	if (rc < 0) {
		addr_list_free(&l.opt.block);
		return EXIT_OK; /* --help, --version */
	}
	trace_set_level(l.opt.verbose);
	if (rc == EXIT_OK) {
		trace_step(1);
		rc = target_resolve(&l.opt); /* --unit, --pid */
	}
	events_init(&l.events, l.opt.json);
	if (rc == EXIT_OK && l.opt.command == CMD_CHECK) {
		rc = run_check(&l);
		close_run(&l);
		return rc;
	}
	if (rc == EXIT_OK && l.opt.command > CMD_LOG) {
		rc = inspect(&l);
		close_run(&l);
		return rc;
	}
	for (i = 0; rc == EXIT_OK && i < sizeof(steps) / sizeof(steps[0]); i++) {
		if (steps[i].stoppable && signals_pending(&l.signals, steps[i].name, "attached"))
			break;
		trace_step(steps[i].number);
		trace(1, "%s (%s)", steps[i].name, steps[i].file);
		rc = steps[i].take(&l);
	}
	if (rc == EXIT_OK && l.watching) {
		trace_step(12);
		trace(1, "reading events until a stop signal (events.c)");
		rc = events_loop(&l.events, &l.cg, l.hook, l.opt.flush_ms, l.opt.command == CMD_LOG,
				 &l.seen_detached);
	}
	close_rc = close_run(&l);
	return rc != EXIT_OK ? rc : close_rc;
}

/* ---- the way out ---------------------------------------------------------------- */

/*
 * Undo whatever was done, in reverse; safe after any step. Returns
 * EXIT_SYSTEM if one of our programs could not be detached.
 */
static int close_run(struct loader *l)
{
	struct event_counts counts;
	int rc = EXIT_OK, d, still = 0, replaced = 0;

	trace_step(0);
	for (d = 0; d < DIR_CNT; d++) {
		if (hook_detach(&l->cg, d, &l->hook[d], l->opt.mode))
			rc = EXIT_SYSTEM;
		still |= l->hook[d].attached;
		replaced |= l->hook[d].replaced;
	}
	/* A reused instance stays: nobody reads its events after us (nor after a failed start). */
	if (l->reuse.active && l->configured) {
		/* Under the lock: a `block --default` meanwhile must not be undone by our write. */
		if (cgroup_lock(&l->cg, -1) == EXIT_OK) {
			maps_write_config(&l->maps, LOG_NONE, -1, l->cg.path);
			cgroup_unlock(&l->cg);
		}
	}
	if (l->was_attached || l->watching) {
		if (maps_event_counts(&l->maps, &counts) < 0)
			counts = l->counted_before; /* nothing to read: nothing counted */
		events_summary(&l->events,
			       l->reuse.active && !l->seen_detached
				       ? "stopped reading; the program stays attached to"
			       : l->reuse.active ? "stopped reading; the program was detached from"
			       : still		 ? "left attached to"
			       : replaced	 ? "stopped; our program had been replaced on"
						 : "detached from",
			       l->cg.path, (uint32_t)(counts.full - l->counted_before.full),
			       counts.unsent - l->counted_before.unsent, counts.error);
	}
	events_close(&l->events);
	maps_close(&l->maps);
	kernel_btf_release(&l->btf);
	for (d = 0; d < DIR_CNT; d++) {
		if (l->hook[d].prog_fd >= 0)
			close(l->hook[d].prog_fd);
		if (l->hook[d].left_over_fd >= 0)
			close(l->hook[d].left_over_fd);
	}
	reuse_close(&l->reuse);
	signals_close(&l->signals);
	cgroup_close(&l->cg);
	object_free(&l->obj);
	addr_list_free(&l->opt.block);
	return rc;
}

/* ---- the steps, in order ------------------------------------------------------- */

static int step_hold_signals(struct loader *l)
{
	return signals_hold(&l->signals);
}

/*
 * Only run and block load a program; a reused instance keeps the one it
 * has (steps 5, 10). The other commands read the object for its names.
 */
static int step_read_object(struct loader *l)
{
	l->transport = TRANSPORT_PERF;
	if (l->opt.command == CMD_RUN || command_leaves_attached(l->opt.command))
		l->transport =
			transport_choose(l->opt.events, l->transport_why, sizeof(l->transport_why));
	trace(1, "events will go through %s", transport_names[l->transport]);
	return object_load(&l->obj, l->opt.object_path, l->transport);
}

static int step_open_cgroup(struct loader *l)
{
	return cgroup_open(&l->cg, l->opt.cgroup_path,
			   l->opt.command == CMD_RUN || command_leaves_attached(l->opt.command));
}

/* Under the lock, held until step 11 has attached: nobody else attaches meanwhile. */
static int step_look_at_hooks(struct loader *l)
{
	int rc = step_open_cgroup(l), d;

	if (rc != EXIT_OK)
		return rc;
	if (cgroup_lock(&l->cg, l->signals.fd))
		return EXIT_SYSTEM;
	for (d = 0; d < DIR_CNT; d++)
		if (hook_query(&l->cg, d, &l->found[d]))
			return EXIT_SYSTEM;
	return EXIT_OK;
}

static int step_decide(struct loader *l)
{
	char name[BPF_OBJ_NAME_LEN];

	object_program_name(&l->obj, name);
	return reuse_decide(&l->reuse, l->hook, &l->cg, l->found, &l->opt, name);
}

static int step_create_maps(struct loader *l)
{
	unsigned int hooks = (unsigned int)l->hook[DIR_EGRESS].used |
			     (unsigned int)l->hook[DIR_INGRESS].used << 1;

	uint32_t size = l->opt.max_entries;

	if (l->reuse.active)
		return maps_open_reused(&l->maps, &l->reuse, l->cg.path);
	/* An upgrade keeps at least the size the instance had. */
	if (l->reuse.upgrade && !size) {
		const struct instance *old = reuse_instance(&l->reuse);

		size = old->max_entries[0] > old->max_entries[1] ? old->max_entries[0]
								 : old->max_entries[1];
	}
	return maps_create(&l->maps, &l->btf, &l->obj, hooks, &l->opt.block, size,
			   l->opt.ring_pages);
}

/*
 * CONFIG: `block` leaves a program nobody reads, so it sends no events;
 * `run` and `log` ask for what --log says, also of a reused instance (one
 * reader at a time), and close_run() hands that back to "none". What the
 * program counted as refused so far is the baseline of this run's count.
 */
static int write_log_mode(struct loader *l)
{
	int rc, policy = l->opt.policy;

	l->configured = 1;
	/* An upgrade keeps the instance's policy unless --default says otherwise. */
	if (policy < 0 && l->reuse.upgrade) {
		policy = maps_policy_of(reuse_instance(&l->reuse)->config_id, l->cg.path);
		if (policy < 0)
			return EXIT_SYSTEM;
	}
	rc = maps_write_config(&l->maps,
			       command_leaves_attached(l->opt.command) ||
					       l->transport == TRANSPORT_NONE
				       ? LOG_NONE
				       : (int)l->opt.log_mode,
			       policy, l->cg.path);
	/* A `run` on a persistent instance changes its policy for good: it says so. */
	if (rc == EXIT_OK && l->reuse.active && l->opt.policy >= 0)
		report("the default on %s is %s now, and stays after this run", l->cg.path,
		       l->opt.policy == POLICY_DENY ? "deny" : "allow");
	if (rc == EXIT_OK && maps_event_counts(&l->maps, &l->counted_before) < 0)
		memset(&l->counted_before, 0, sizeof(l->counted_before));
	return rc;
}

/*
 * A new instance gets every address; a reused one those it lacks, and a
 * `run` that reuses only what was asked for, not the default 1.1.1.1. A new
 * instance gets its CONFIG here; a reused one, whose program runs already,
 * only once its reader's rings are in EVENTS (step 10), so that it never
 * sends into empty slots. Adding to an instance leaves its log mode to
 * whoever reads it.
 */
static int step_fill_maps(struct loader *l)
{
	char ids[64];
	int rc = EXIT_OK;

	if (l->reuse.upgrade) {
		/* A `run` without -b adds nothing: its default address is for an instance of its own. */
		const struct addr_list none = { 0 };

		rc = maps_fill_upgrade(&l->maps, reuse_instance(&l->reuse),
				       l->opt.addresses_given ? &l->opt.block : &none,
				       l->opt.command == CMD_REPLACE ? FILL_REPLACE : FILL_ADD,
				       l->cg.path, l->reuse.why);
	} else if (l->opt.command != CMD_LOG && (!l->reuse.active || l->opt.addresses_given)) {
		hooks_describe(l->hook, ids, sizeof(ids));
		rc = maps_fill(&l->maps, &l->opt.block,
			       !l->reuse.active		       ? FILL_NEW
			       : l->opt.command == CMD_REPLACE ? FILL_REPLACE
							       : FILL_ADD,
			       l->cg.path, ids);
	}
	/* The policy after the list: allow entries given with deny are in place first. */
	if (rc == EXIT_OK && l->reuse.active && l->opt.policy >= 0 &&
	    command_leaves_attached(l->opt.command)) {
		rc = maps_write_config(&l->maps, -1, l->opt.policy, l->cg.path);
		if (rc == EXIT_OK)
			report("the default on %s is %s now%s", l->cg.path,
			       l->opt.policy == POLICY_DENY ? "deny" : "allow",
			       l->opt.policy == POLICY_DENY
				       ? ": only what an allow entry matches passes"
				       : "");
	}
	if (rc || l->reuse.active)
		return rc;
	return write_log_mode(l);
}

/* Steps 8 and 9, once for each hook this run uses. */
static int step_load_programs(struct loader *l)
{
	int fds[MAP_ROLE_CNT], d, rc = EXIT_OK;

	if (l->reuse.active && !command_leaves_attached(l->opt.command)) {
		trace(1, "nothing to load: the instance's programs are in the kernel already");
		access_kept(l);
		return EXIT_OK;
	}
	/* Its events go the other way: the program read at step 3 is not the one to compare. */
	if (l->reuse.active &&
	    reuse_instance(&l->reuse)->events_ring != (l->transport == TRANSPORT_RING)) {
		trace(1, "nothing to load: the instance sends its events the other way");
		access_kept(l);
		return kept_program_serves(l, reuse_instance(&l->reuse)->prog_id);
	}
	program_trace(&l->obj, "as compiled, before relocation", NULL);
	trace_step(8);
	program_set_access(&l->obj, l->opt.access);
	for (d = 0; d < DIR_CNT && rc == EXIT_OK; d++) {
		if (!l->hook[d].used)
			continue;
		trace_step(8);
		trace(1, "relocating for %s (program.c)", direction_names[d]);
		maps_fds_for_hook(&l->maps, d, fds);
		program_relocate(&l->obj, fds, d);
		program_trace(&l->obj,
			      "after relocation (the kernel will put each map's address in place of its fd)",
			      fds);
		trace_step(9);
		trace(1, "loading for %s (program.c)", direction_names[d]);
		/* An upgrade replaces a persistent instance: its successor is one too. */
		rc = program_load(&l->hook[d], d, &l->obj, &l->btf,
				  command_leaves_attached(l->opt.command) || l->reuse.upgrade);
		if (l->reuse.active)
			rc = compare_instructions(l, d, rc);
	}
	kernel_btf_release(&l->btf);
	return rc;
}

/* A --packet-access that a run which loads nothing cannot apply is said, not dropped. */
static void access_kept(const struct loader *l)
{
	if (l->opt.access != ACCESS_AUTO)
		report("warning: --packet-access %s changes nothing here: the program attached to %s stays as it is",
		       packet_access_names[l->opt.access], l->cg.path);
}

/*
 * A program left in place that this run could not compare with its own may
 * be an earlier version's, which knows no allow entries and no policy:
 * fine for a blocklist, not for what needs them. EXIT_OK or EXIT_SYSTEM.
 */
static int kept_program_serves(const struct loader *l, uint32_t prog_id)
{
	size_t i;
	int allows = l->opt.allow || l->opt.policy == POLICY_DENY;

	for (i = 0; i < l->opt.block.cnt; i++)
		allows |= l->opt.block.e[i].key.allow;
	if (!allows)
		return EXIT_OK;
	report("program id %" PRIu32
	       " on %s stays as it was, and may be an earlier version's, which knows no allow entries or --default deny: "
	       "the list was changed, but they may not be in force; `detach`, then block again",
	       prog_id, l->cg.path);
	return EXIT_SYSTEM;
}

/*
 * `block` and `replace` on an instance of ours with this version's maps:
 * its program is loaded again here, on the instance's own maps, and the
 * kernel's tags (a hash of the instructions, map references left out)
 * compared. The same: ours goes, nothing changes. Others (an earlier
 * version's program): ours replaces it on the hook at step 11, in one step,
 * with the same maps, list and counters (reuse.h, upgrades).
 */
static int compare_instructions(struct loader *l, int d, int loaded)
{
	struct hook *h = &l->hook[d];
	const struct instance *old = &l->reuse.inst[d];

	/* The list has changed as asked (step 7); the program can stay as it is. */
	if (loaded != EXIT_OK) {
		report("warning: %s program id %" PRIu32
		       " on %s stays as it is, whatever its instructions (the message above says why)",
		       direction_names[d], old->prog_id, l->cg.path);
		if (h->prog_fd >= 0)
			close(h->prog_fd);
		h->prog_fd = -1;
		h->prog_id = old->prog_id;
		return kept_program_serves(l, old->prog_id);
	}
	if (memcmp(h->tag, old->tag, sizeof(h->tag)) == 0) {
		trace(1,
		      "the same instructions as program id %" PRIu32
		      " (tag %02x%02x%02x%02x...): nothing to replace",
		      old->prog_id, h->tag[0], h->tag[1], h->tag[2], h->tag[3]);
		close(h->prog_fd);
		h->prog_fd = -1;
		h->prog_id = old->prog_id;
		return EXIT_OK;
	}
	h->left_over_fd = fcntl(old->prog_fd, F_DUPFD_CLOEXEC, 3);
	if (h->left_over_fd < 0) {
		report("upgrading program id %" PRIu32 ": %s", old->prog_id, errno_text(errno));
		return EXIT_SYSTEM;
	}
	h->left_over_id = old->prog_id;
	h->upgrading = 1;
	trace(1,
	      "program id %" PRIu32
	      " has other instructions (an earlier version's, or another --packet-access): ours replaces it",
	      old->prog_id);
	return EXIT_OK;
}

/* A reused instance's events go the way its program sends them. */
static int step_open_rings(struct loader *l)
{
	int rc;

	if (command_leaves_attached(l->opt.command)) {
		/* Nobody reads: the program's events go nowhere, cheaply (CONFIG says none). */
		trace(1, "none: nobody reads the events of a %s", command_names[l->opt.command]);
		return EXIT_OK;
	}
	if (l->reuse.active)
		l->transport = l->reuse.inst[l->reuse.inst[DIR_EGRESS].prog_id ? 0 : 1].events_ring
				       ? TRANSPORT_RING
				       : TRANSPORT_PERF;
	if (l->transport == TRANSPORT_NONE)
		report("this kernel cannot report packets: %s; blocking works, LOG lines cannot",
		       l->transport_why);
	rc = events_open(&l->events, l->transport, l->maps.fd[MAP_EVENTS],
			 l->maps.max_entries[MAP_EVENTS], l->opt.ring_pages, l->opt.wakeup_events,
			 l->signals.fd);
	/* A reused instance's log mode, now that its events have somewhere to go. */
	if (rc == EXIT_OK && l->reuse.active)
		rc = write_log_mode(l);
	return rc;
}

/* With both hooks, a failure on the second leaves the first attached only until close_run(). */
static int step_attach(struct loader *l)
{
	char ids[64];
	const char *hooks;
	int d;

	for (d = 0; d < DIR_CNT && !l->reuse.active; d++) {
		if (l->hook[d].used && hook_attach(&l->cg, d, &l->hook[d], l->opt.mode))
			return EXIT_SYSTEM;
		l->was_attached |= l->hook[d].attached;
	}
	/*
	 * A reused instance's hooks only where its program has other
	 * instructions: the list has changed as asked already, so a failure
	 * here leaves the old program, which blocks by it, and says so.
	 */
	for (d = 0; d < DIR_CNT && l->reuse.active; d++) {
		struct hook *h = &l->hook[d];

		if (!h->upgrading || hook_attach(&l->cg, d, h, l->opt.mode) == EXIT_OK)
			continue;
		report("warning: %s program id %" PRIu32
		       " on %s stays as it is; its list is as asked",
		       direction_names[d], h->left_over_id, l->cg.path);
		close(h->left_over_fd);
		h->left_over_fd = -1;
		h->prog_id = h->left_over_id;
	}
	reuse_drop_left_overs(l->hook, &l->cg, l->opt.mode);
	cgroup_unlock(&l->cg);
	/*
	 * block and replace, and any upgrade: it is meant to outlive us, and a
	 * `run` that upgraded reads it as one it reuses; nothing to detach on
	 * the way out.
	 */
	for (d = 0; d < DIR_CNT && (command_leaves_attached(l->opt.command) || l->reuse.upgrade);
	     d++)
		l->hook[d].attached = 0;
	if (command_leaves_attached(l->opt.command) || l->reuse.upgrade)
		l->was_attached = 0;
	if (l->reuse.upgrade && !command_leaves_attached(l->opt.command))
		l->reuse.active = 1;
	hooks = hooks_describe(l->hook, ids, sizeof(ids));
	l->watching = !command_leaves_attached(l->opt.command);
	if (l->reuse.active) {
		if (l->watching)
			report("reading the events of %s on %s (%s), left attached when this %s ends%s",
			       ids, l->cg.path, hooks, command_names[l->opt.command],
			       l->reuse.inst[l->hook[0].used ? 0 : 1].persistent
				       ? " (`detach` removes it)"
				       : "");
		return EXIT_OK;
	}
	if (command_leaves_attached(l->opt.command)) {
		if (l->reuse.upgrade) /* "upgraded ... to program id N" said it */
			return EXIT_OK;
		report("attached %s to %s (%s, mode %s), blocking %zu address%s; it stays attached: `" PROG_NAME
		       " detach -c %s` removes it",
		       ids, l->cg.path, hooks, attach_mode_names[l->opt.mode], l->opt.block.cnt,
		       l->opt.block.cnt == 1 ? "" : "es", l->cg.path);
		return EXIT_OK;
	}
	report("attached %s to %s (%s, mode %s), blocking %zu address%s; SIGINT or SIGTERM detaches",
	       ids, l->cg.path, hooks, attach_mode_names[l->opt.mode], l->opt.block.cnt,
	       l->opt.block.cnt == 1 ? "" : "es");
	return EXIT_OK;
}

/*
 * status, list, unblock and detach: steps 3 and 4 (the object, for its
 * program's name; the cgroup), then the one job. Unblock and detach hold
 * the stop signals too, so that once they start changing things, they finish.
 */
static int inspect(struct loader *l)
{
	struct command_target t = { &l->cg, { 0 }, l->opt.json, &l->signals };
	int rc = EXIT_OK;

	if (l->opt.command == CMD_UNBLOCK || l->opt.command == CMD_DETACH)
		rc = step_hold_signals(l);
	trace_step(3);
	if (rc == EXIT_OK)
		rc = step_read_object(l);
	trace_step(4);
	if (rc == EXIT_OK)
		rc = step_open_cgroup(l);
	trace_step(0);
	if (rc != EXIT_OK)
		return rc;
	object_program_name(&l->obj, t.prog_name);
	switch (l->opt.command) {
	case CMD_STATUS:
		return l->opt.prometheus ? cmd_metrics(&t, l->opt.top) : cmd_status(&t);
	case CMD_LIST:
		return cmd_list(&t);
	case CMD_UNBLOCK:
		return cmd_unblock(&t, &l->opt.block, l->opt.strict);
	default:
		return cmd_detach(&t);
	}
}

/*
 * check: what the kernel and host give us, one question each (check.c);
 * then the proof, steps 3, 6, 8 and 9 as `block` would take them, for the
 * way its events would go: the blocklist program with its maps, loaded and
 * verified, attached nowhere, and let go by close_run().
 */
static int run_check(struct loader *l)
{
	char name[BPF_OBJ_NAME_LEN];
	struct preflight c;
	int rc;

	trace_step(3);
	rc = step_read_object(l);
	if (rc != EXIT_OK)
		return rc;
	object_program_name(&l->obj, name);
	trace_step(0);
	preflight_host(&c, &l->opt, name);
	if (preflight_blocking(&c) && !c.perf && c.ringbuf) {
		object_free(&l->obj);
		l->transport = TRANSPORT_RING;
		rc = object_load(&l->obj, l->opt.object_path, l->transport);
		if (rc != EXIT_OK)
			preflight_add(&c, CHECK_FAIL, "program",
				      "the object's program for the ring buffer cannot be read: the line above says why");
	}
	if (preflight_blocking(&c) && rc == EXIT_OK) {
		l->hook[DIR_EGRESS].used = 1;
		trace_step(6);
		rc = step_create_maps(l);
		preflight_add(&c, l->btf.fd >= 0 ? CHECK_OK : CHECK_INFO, "btf",
			      l->btf.fd >= 0
				      ? "the object's BTF loads: typed maps, source lines"
				      : "the object's BTF was not taken: maps and program go without");
		if (rc == EXIT_OK)
			rc = step_load_programs(l);
		preflight_add(&c, rc == EXIT_OK ? CHECK_OK : CHECK_FAIL, "program",
			      rc == EXIT_OK
				      ? "the blocklist program (%zu instructions, events by %s) and its maps load and pass the verifier"
				      : "the blocklist program (%zu instructions, events by %s) does not load: the line above says why",
			      l->obj.elf.insn_cnt, transport_names[l->transport]);
		if (rc == EXIT_OK)
			preflight_add(&c, CHECK_OK, "packets",
				      l->obj.direct
					      ? "the program reads them directly (Linux 5.2+)"
					      : "the program copies them with bpf_skb_load_bytes()");
		trace_step(0);
	}
	return preflight_print(&c, l->opt.json);
}

/*
 * A script or initramfs may start us with stdin, stdout or stderr closed.
 * Put /dev/null there so that no file we open later becomes "stdout".
 */
static void fill_stdio(void)
{
	int fd;

	for (fd = 0; fd < 3; fd++)
		if (fcntl(fd, F_GETFD) < 0 && errno == EBADF)
			open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
}
