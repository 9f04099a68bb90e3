/* SPDX-License-Identifier: MIT */
/*
 * reuse.c - step 5: what is already on the hooks decides (reuse.h).
 */
#include "reuse.h"

#include <fcntl.h>
#include <inttypes.h>
#include <unistd.h>

#include "bpf_sys.h"
#include "messages.h"

/*
 * Who holds program `id` of ours: a running process (holder > 0), or
 * nobody /proc can see (holder < 0); each message ends as its caller says.
 */
static void report_holder(const char *cgroup_path, int d, uint32_t id, pid_t holder,
			  const char *then_held, const char *then_unsure)
{
	if (holder > 0)
		report("%s program id %" PRIu32
		       " on %s belongs to a running cgroup-skb-egress (pid %ld)%s",
		       direction_names[d], id, cgroup_path, (long)holder, then_held);
	else
		report("%s program id %" PRIu32
		       " on %s is ours, but /proc cannot tell whether a running process holds it%s",
		       direction_names[d], id, cgroup_path, then_unsure);
}

/*
 * Whether the one program on the hook (`id`, attached with `flags`) is ours,
 * left behind by a run that was killed: our name and maps, and no process
 * holds it. Then it may go: attaching in the same mode replaces it in one
 * step (single, override), or it is detached after ours is on (multi), so
 * blocking never pauses. A program that some process holds is never touched.
 */
static void note_left_over(struct hook *h, const struct cgroup *cg, int d, uint32_t id,
			   uint32_t flags, enum attach_mode mode, const char *prog_name)
{
	struct instance inst;
	pid_t holder;

	if (flags != attach_mode_flags(mode) ||
	    instance_recognise(cg->path, prog_name, id, &inst) != 1)
		return;
	holder = instance_holder(id);
	if (holder != 0) {
		report_holder(cg->path, d, id, holder, "", "");
		close(inst.prog_fd);
		return;
	}
	report("%s program id %" PRIu32
	       " on %s was left attached by a cgroup-skb-egress that was killed; ours will replace it",
	       direction_names[d], id, cg->path);
	h->left_over_fd = inst.prog_fd;
	h->left_over_id = id;
}

/*
 * `block` next to a foreground run's program (in any attach mode) would
 * add to nothing lasting, or stack a second instance whose list the run
 * does not see: refuse, naming the run. Closes inst's fd when it says yes.
 */
static int held_by_a_run(const char *cgroup_path, int d, struct instance *inst)
{
	pid_t holder = instance_holder(inst->prog_id);

	if (holder == 0)
		return 0;
	report_holder(cgroup_path, d, inst->prog_id, holder,
		      ", whose blocklist ends with it: stop it first, or give it the addresses with -b",
		      "; refusing to block next to it");
	close(inst->prog_fd);
	return 1;
}

/*
 * Use the instance in r on the hooks instead of stacking a second one:
 * `block` adds to its blocklist, `run` and `log` read its events too. There
 * is one reader at a time, because EVENTS has a single slot per CPU and a
 * second reader would silently take the first one's events.
 */
static int use_instance(struct reuse *r, struct hook hook[DIR_CNT], const char *cgroup_path,
			const struct options *opt)
{
	unsigned int dirs = 0;
	int d;

	r->active = 1;
	for (d = 0; d < DIR_CNT; d++)
		if (r->inst[d].prog_id)
			dirs |= 1u << d;
	if (opt->directions_given && opt->directions != dirs) {
		report("the instance of ours on %s filters %s; `" PROG_NAME
		       " detach` it first to filter %s",
		       cgroup_path, dirs == 3 ? "both directions" : direction_names[dirs >> 1],
		       opt->directions == 3 ? "both directions"
					    : direction_names[opt->directions >> 1]);
		return EXIT_USAGE;
	}
	for (d = 0; d < DIR_CNT; d++) {
		struct hook *h = &hook[d];
		pid_t holder;

		h->used = r->inst[d].prog_id != 0;
		h->prog_id = r->inst[d].prog_id;
		if (!h->used || command_leaves_attached(opt->command))
			continue;
		holder = instance_holder(h->prog_id);
		if (holder > 0)
			report("%s program id %" PRIu32
			       " on %s is already read by pid %ld (a cgroup-skb-egress run or log); one reader at a time",
			       direction_names[d], h->prog_id, cgroup_path, (long)holder);
		else if (holder < 0)
			report("%s program id %" PRIu32
			       " on %s is ours, but /proc cannot tell whether another process reads it; refusing to take its events",
			       direction_names[d], h->prog_id, cgroup_path);
		if (holder != 0)
			return EXIT_SYSTEM;
	}
	return EXIT_OK;
}

/*
 * Why the instance found must be upgraded before `block`, `replace` or
 * `run` can do what is asked, or NULL: it has the first map layout (no sets to
 * switch, no expiries), or --max-entries asks for more than its maps hold.
 */
static const char *upgrade_needed(const struct instance *inst, const struct options *opt)
{
	if (!command_leaves_attached(opt->command) && opt->command != CMD_RUN)
		return NULL;
	if (inst->layout == 1)
		return "map layout 1, before sets and expiries";
	if (opt->max_entries &&
	    (opt->max_entries > inst->max_entries[0] || opt->max_entries > inst->max_entries[1]))
		return "--max-entries asks for larger maps";
	return NULL;
}

/*
 * Upgrade the instance in r: this run makes a new one, on the same hooks
 * in the same mode, with its list (step 7), and attaching replaces the old
 * program on each hook (step 11) as a killed run's left-over is replaced:
 * in one step in single and override mode (and in multi mode where the
 * kernel has BPF_F_REPLACE). Refused while a reader holds it.
 */
static int upgrade_instance(struct reuse *r, struct hook hook[DIR_CNT], const struct cgroup *cg,
			    const struct hook_programs found[DIR_CNT], const struct options *opt)
{
	int d;

	for (d = 0; d < DIR_CNT; d++) {
		struct hook *h = &hook[d];
		pid_t holder;

		h->used = r->inst[d].prog_id != 0;
		if (!h->used)
			continue;
		if (opt->directions_given && !(opt->directions & (1u << d))) {
			report("the instance of ours on %s filters %s too; `" PROG_NAME
			       " detach` it first to filter less",
			       cg->path, direction_names[d]);
			return EXIT_USAGE;
		}
		if (found[d].flags != attach_mode_flags(opt->mode)) {
			report("%s program id %" PRIu32
			       " on %s is attached in another mode than %s: give its --attach-mode to upgrade it",
			       direction_names[d], r->inst[d].prog_id, cg->path,
			       attach_mode_names[opt->mode]);
			return EXIT_USAGE;
		}
		holder = instance_holder(r->inst[d].prog_id);
		if (holder != 0) {
			report_holder(cg->path, d, r->inst[d].prog_id, holder,
				      ", which reads its events: stop it, then upgrade",
				      "; refusing to upgrade it");
			return EXIT_SYSTEM;
		}
		h->left_over_fd = fcntl(r->inst[d].prog_fd, F_DUPFD_CLOEXEC, 3);
		if (h->left_over_fd < 0) {
			report("upgrading program id %" PRIu32 ": %s", r->inst[d].prog_id,
			       errno_text(errno));
			return EXIT_SYSTEM;
		}
		h->left_over_id = r->inst[d].prog_id;
		h->upgrading = 1;
	}
	r->upgrade = 1;
	trace(1, "an instance to upgrade (%s): a new one takes its list and its place", r->why);
	return EXIT_OK;
}

const struct instance *reuse_instance(const struct reuse *r)
{
	return &r->inst[r->inst[DIR_EGRESS].prog_id ? DIR_EGRESS : DIR_INGRESS];
}

int reuse_decide(struct reuse *r, struct hook hook[DIR_CNT], const struct cgroup *cg,
		 const struct hook_programs found[DIR_CNT], const struct options *opt,
		 const char *prog_name)
{
	uint32_t i;
	int d, first = 0; /* 1 + the hook where the instance to reuse was found */

	for (d = 0; d < DIR_CNT; d++)
		hook[d].used = (opt->directions & (1u << d)) != 0;
	/* An instance to reuse: its programs on either hook share one blocklist. */
	for (d = 0; d < DIR_CNT; d++) {
		for (i = 0; i < found[d].cnt; i++) {
			struct instance inst;
			int ours = instance_recognise(cg->path, prog_name, found[d].ids[i], &inst);

			if (ours < 0)
				return EXIT_SYSTEM;
			if (ours && !inst.persistent && command_leaves_attached(opt->command) &&
			    hook[d].used && held_by_a_run(cg->path, d, &inst))
				return EXIT_SYSTEM;
			if (ours && (inst.persistent || opt->command == CMD_LOG) &&
			    !r->inst[d].prog_id &&
			    (!first || inst.blocklist_id == r->inst[first - 1].blocklist_id)) {
				r->inst[d] = inst; /* with its prog_fd, closed by reuse_close() */
				first = first ? first : d + 1;
			} else if (ours) {
				close(inst.prog_fd);
			}
		}
	}
	if (first && (r->why = upgrade_needed(&r->inst[first - 1], opt)) != NULL)
		return upgrade_instance(r, hook, cg, found, opt);
	if (first)
		return use_instance(r, hook, cg->path, opt);
	if (opt->command == CMD_LOG) {
		report("nothing of ours is attached to %s", cg->path);
		return EXIT_NONE;
	}
	for (d = 0; d < DIR_CNT; d++) {
		if (!hook[d].used)
			continue;
		if (found[d].cnt == 1)
			note_left_over(&hook[d], cg, d, found[d].ids[0], found[d].flags, opt->mode,
				       prog_name);
		if (hook_refuse_if_taken(cg, d, opt->mode, &found[d], hook[d].left_over_id))
			return EXIT_SYSTEM;
	}
	return EXIT_OK;
}

void reuse_drop_left_overs(struct hook hook[DIR_CNT], const struct cgroup *cg,
			   enum attach_mode mode)
{
	int d;

	for (d = 0; d < DIR_CNT; d++) {
		struct hook *h = &hook[d];

		if (h->left_over_fd < 0)
			continue;
		if (mode == ATTACH_MULTI && !h->left_over_gone &&
		    bpf_prog_detach(h->left_over_fd, cg->fd, direction_attach_type(d)) < 0)
			report("detaching the %s program id %" PRIu32
			       " from %s: %s; it is still attached",
			       h->upgrading ? "upgraded" : "left-over", h->left_over_id, cg->path,
			       errno_text(errno));
		else if (h->upgrading)
			report("upgraded %s program id %" PRIu32 " on %s to program id %" PRIu32,
			       direction_names[d], h->left_over_id, cg->path, h->prog_id);
		else
			report("replaced the left-over program id %" PRIu32 " on %s",
			       h->left_over_id, cg->path);
		close(h->left_over_fd);
		h->left_over_fd = -1;
	}
}

void reuse_close(struct reuse *r)
{
	int d;

	for (d = 0; d < DIR_CNT; d++)
		if (r->inst[d].prog_id)
			close(r->inst[d].prog_fd);
}
