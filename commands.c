/* SPDX-License-Identifier: MIT */
/*
 * commands.c - status, list, unblock and detach (commands.h). Each looks at
 * what is on a cgroup's egress and ingress hooks and recognises our own
 * programs there (instance.c); run, block and log take loader.c's steps.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "commands.h"

#include "blocklist.h"
#include "common.h"
#include "instance.h"
#include "mem.h"
#include "messages.h"
#include "text.h"

/* Blocklist entries read back from the kernel. */
struct entries {
	struct entry {
		struct addr_key key; /* first, for addr_sort() */
		struct block_entry value;
	} * e;
	size_t cnt, cap;
	uint32_t max[2];  /* max_entries of BLOCKLIST and BLOCKNETS */
	size_t in_map[2]; /* entries read from each */
	uint64_t drops;	  /* over all block entries */
	size_t allows;	  /* allow entries among them */
};

/*
 * Append every key of map `fd` (blocklist.c walks it) with its value,
 * leaving out those lapsed by `now`: they block nothing, and are as good
 * as gone.
 */
static int collect(int fd, uint64_t now, struct entries *out)
{
	struct addr_key *keys;
	struct block_entry *values;
	size_t cnt, i;

	if (blocklist_entries(fd, &keys, &values, &cnt) < 0)
		return -1;
	if (out->cnt + cnt > out->cap) {
		struct entry *grown = mem_resize(out->e, (out->cnt + cnt) * sizeof(*grown));

		if (!grown) {
			mem_free(keys);
			mem_free(values);
			errno = ENOMEM;
			return -1;
		}
		out->e = grown;
		out->cap = out->cnt + cnt;
	}
	for (i = 0; i < cnt; i++) {
		struct entry *e = &out->e[out->cnt++];

		e->key = keys[i];
		e->value = values[i];
		if (e->value.expires && e->value.expires <= now) {
			out->cnt--;
			continue;
		}
		if (e->key.allow)
			out->allows++;
		else
			out->drops += e->value.drops;
	}
	mem_free(keys);
	mem_free(values);
	return 0;
}

/*
 * Both maps of instance `inst`, read whole. Collect first, print after: a
 * slow reader of our output must not stretch the walk. Returns 0, or -1
 * after saying why.
 */
static int read_instance(const char *cgroup_path, const struct instance *inst, uint64_t now,
			 struct entries *out)
{
	const uint32_t ids[2] = { inst->blocklist_id, inst->blocknets_id };
	size_t i;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < 2; i++) {
		struct bpf_map_info info;
		uint32_t len = sizeof(info);
		size_t before = out->cnt;
		int fd = bpf_map_get_fd_by_id(ids[i]), rc;

		memset(&info, 0, sizeof(info));
		rc = fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len) < 0 ? -1 : 0;
		/* A later layout's larger values: a lookup would write past our struct. */
		if (rc == 0 && info.value_size > sizeof(struct block_entry)) {
			errno = EPROTO;
			rc = -1;
		}
		if (rc == 0)
			rc = collect(fd, now, out);
		if (rc < 0)
			report("reading map id %" PRIu32 " of program id %" PRIu32 " on %s: %s%s",
			       ids[i], inst->prog_id, cgroup_path, errno_text(errno),
			       errno == EPERM ? GET_BY_ID_HINT : "");
		if (fd >= 0)
			close(fd);
		if (rc < 0) {
			mem_free(out->e);
			out->e = NULL;
			return -1;
		}
		out->max[i] = info.max_entries;
		out->in_map[i] = out->cnt - before;
		trace(1,
		      "BPF_MAP_GET_FD_BY_ID %" PRIu32
		      " (%s): %zu keys by BPF_MAP_GET_NEXT_KEY, each with BPF_MAP_LOOKUP_ELEM",
		      ids[i], info.name, out->in_map[i]);
	}
	return 0;
}

/*
 * What instance `inst`'s CONFIG holds: which events it sends, as text ("?"
 * when it cannot be read), and in *counts how many it could not send;
 * *counted is 0 when that is unknown (an instance from before the counts
 * has no CONFIG_COUNTS). Its policy too, and in *verdicts what decided
 * against it (*judged 0: an instance from before CONFIG_VERDICTS).
 */
static const char *config_of(const struct instance *inst, struct prog_config *counts, int *counted,
			     uint64_t *policy, struct verdict_counts *verdicts, int *judged)
{
	const uint32_t settings_key = CONFIG_SETTINGS, counts_key = CONFIG_COUNTS,
		       verdicts_key = CONFIG_VERDICTS;
	struct prog_config settings;
	struct bpf_map_info info;
	uint32_t len = sizeof(info);
	int fd = bpf_map_get_fd_by_id(inst->config_id), ok;

	memset(&settings, 0, sizeof(settings));
	memset(counts, 0, sizeof(*counts));
	memset(&info, 0, sizeof(info));
	/* A larger value (a later version's) would have the kernel write past our structs: "?". */
	if (fd >= 0 && (bpf_obj_get_info_by_fd(fd, &info, &len) < 0 ||
			info.value_size > sizeof(struct prog_config))) {
		close(fd);
		fd = -1;
	}
	ok = fd >= 0 && bpf_map_lookup_elem(fd, &settings_key, &settings) == 0 &&
	     settings.log <= LOG_NONE;
	*counted = fd >= 0 && info.value_size == sizeof(struct prog_config) &&
		   bpf_map_lookup_elem(fd, &counts_key, counts) == 0;
	/* An instance made before verdicts were counted has no third entry. */
	*judged = *counted && bpf_map_lookup_elem(fd, &verdicts_key, verdicts) == 0;
	*policy = ok ? settings.policy : UINT64_MAX; /* unknown: "?" */
	if (fd >= 0)
		close(fd);
	return ok ? log_mode_names[settings.log] : "?";
}

/* The policy as status says it: "?" when CONFIG could not be read. */
static const char *policy_name(uint64_t policy)
{
	return policy == POLICY_DENY ? "deny" : policy == POLICY_ALLOW ? "allow" : "?";
}

/* One line about program `id` on hook `d`, human or JSON. Returns 1 if it is ours. */
static int show_program(const struct command_target *t, struct text_out *out, int d, uint32_t id,
			uint32_t flags)
{
	char pid_text[48], counts[224], unsent[144] = "", judged_text[160] = "";
	struct prog_config sent = { 0 };
	struct verdict_counts v = { 0, 0, 0 };
	uint64_t policy = POLICY_ALLOW;
	struct instance inst;
	struct entries bl = { 0 };
	pid_t holder = 0;
	const char *log_mode = "?";
	int ours, filled = -1, counted = 0, judged = 0;

	ours = instance_recognise(t->cg->path, t->prog_name, id, &inst);
	if (ours < 0)
		return -1;
	if (ours) {
		holder = instance_holder(id);
		filled = read_instance(t->cg->path, &inst, blocklist_clock(), &bl);
		log_mode = config_of(&inst, &sent, &counted, &policy, &v, &judged);
		mem_free(bl.e);
		close(inst.prog_fd);
	}
	if (t->json) {
		/* holder_pid: a pid, 0 for nobody, null when /proc cannot tell. */
		if (holder < 0)
			text_format(pid_text, sizeof(pid_text), "null");
		else
			text_format(pid_text, sizeof(pid_text), "%ld", (long)holder);
		if (filled == 0)
			text_format(counts, sizeof(counts),
				    "\"entries\":%zu,\"max_entries\":%" PRIu32
				    ",\"prefixes\":%zu,\"max_prefixes\":%" PRIu32
				    ",\"allow_entries\":%zu,\"dropped\":%" PRIu64,
				    bl.in_map[0], bl.max[0], bl.in_map[1], bl.max[1], bl.allows,
				    bl.drops);
		else
			text_format(counts, sizeof(counts),
				    "\"entries\":null,\"max_entries\":null,\"prefixes\":null,"
				    "\"max_prefixes\":null,\"allow_entries\":null,\"dropped\":null");
		text_printf(out, "{\"cgroup\":");
		text_json_string(out, t->cg->path);
		text_printf(out,
			    ",\"direction\":\"%s\",\"attached\":true,\"prog_id\":%" PRIu32
			    ",\"ours\":%s,\"mode\":\"%s\"",
			    direction_names[d], id, ours ? "true" : "false", flags_text(flags));
		if (ours)
			text_printf(out,
				    ",\"persistent\":%s,\"log\":\"%s\",\"holder_pid\":%s,\"map_layout\":%d,\"set\":\"%c\",\"blocklist_map_id\":%" PRIu32
				    ",\"blocknets_map_id\":%" PRIu32
				    ",%s,\"events_map_id\":%" PRIu32 ",\"events\":\"%s\"",
				    inst.persistent ? "true" : "false", log_mode, pid_text,
				    inst.layout, inst.active.set == SET_B ? 'B' : 'A',
				    inst.blocklist_id, inst.blocknets_id, counts, inst.events_id,
				    inst.events_ring ? "ringbuf" : "perf");
		/* The verdicts of this hook's program: null from an instance that does not count them. */
		if (ours && judged)
			text_printf(out,
				    ",\"default\":\"%s\",\"entry_drops\":%" PRIu64
				    ",\"allowed\":%" PRIu64 ",\"denied\":%" PRIu64,
				    policy_name(policy), v.dropped, v.allowed, v.denied);
		else if (ours)
			text_printf(out,
				    ",\"default\":\"%s\",\"entry_drops\":null,\"allowed\":null,\"denied\":null",
				    policy_name(policy));
		/* unsent: events the program could not hand the kernel; null when it does not count them. */
		if (ours && !counted)
			text_printf(out, ",\"unsent\":null,\"lost\":null");
		else if (ours)
			text_printf(out, ",\"unsent\":%" PRIu64 ",\"lost\":%" PRIu32, sent.unsent,
				    sent.full);
		text_printf(out, "}\n");
	} else if (ours) {
		if (holder > 0)
			text_format(pid_text, sizeof(pid_text), "%s by pid %ld",
				    inst.persistent ? "persistent, read" : "run", (long)holder);
		if (filled == 0)
			text_format(counts, sizeof(counts),
				    "holds %zu of %" PRIu32 " entries, %" PRIu64
				    " packets dropped, %s map id %" PRIu32 " holds %zu of %" PRIu32
				    " prefixes",
				    bl.in_map[0], bl.max[0], bl.drops,
				    set_map_name(inst.layout, inst.active.set, 1),
				    inst.blocknets_id, bl.in_map[1], bl.max[1]);
		else
			text_format(counts, sizeof(counts), "entries unknown");
		if (counted && sent.unsent)
			text_format(unsent, sizeof(unsent), ", %" PRIu64 " events not sent (%s)",
				    sent.unsent, errno_text(-sent.error));
		if (counted && sent.full)
			text_format(unsent + strlen(unsent), sizeof(unsent) - strlen(unsent),
				    ", %" PRIu32 " events lost to a full ring", sent.full);
		if (judged)
			text_format(judged_text, sizeof(judged_text),
				    " (this hook: %" PRIu64 " dropped by entries, %" PRIu64
				    " let through by allow entries, %" PRIu64 " denied)",
				    v.dropped, v.allowed, v.denied);
		if (bl.allows)
			text_format(counts + strlen(counts), sizeof(counts) - strlen(counts),
				    " (%zu of the entries allow)", bl.allows);
		text_format(counts + strlen(counts), sizeof(counts) - strlen(counts),
			    ", default %s", policy_name(policy));
		text_printf(out,
			    "%s: %s program id %" PRIu32
			    " (cgroup-skb-egress, mode %s, %s, logging %s), %s map id %" PRIu32
			    " %s%s, %s map id %" PRIu32 "%s\n",
			    t->cg->path, direction_names[d], id, flags_text(flags),
			    holder > 0	      ? pid_text
			    : inst.persistent ? "persistent: stays until detach"
			    : holder == 0     ? "left attached: no process holds it"
					      : "/proc cannot tell who runs it",
			    log_mode, set_map_name(inst.layout, inst.active.set, 0),
			    inst.blocklist_id, counts, judged_text,
			    inst.events_ring ? EVENTS_RING_MAP_NAME : EVENTS_MAP_NAME,
			    inst.events_id, unsent);
	} else {
		text_printf(out, "%s: %s program id %" PRIu32 " (not ours, mode %s)\n", t->cg->path,
			    direction_names[d], id, flags_text(flags));
	}
	return ours;
}

/* status: what is on the cgroup's egress and ingress hooks. Exit 3 when nothing of ours is. */
int cmd_status(const struct command_target *t)
{
	struct text_out stdout_text, *out = &stdout_text;
	struct hook_programs on;
	uint32_t i;
	int ours = 0, d;

	text_out_init(out, STDOUT_FILENO);
	for (d = 0; d < DIR_CNT; d++) {
		if (hook_query(t->cg, d, &on))
			return EXIT_SYSTEM;
		if (on.cnt == 0 && t->json) {
			text_printf(out, "{\"cgroup\":");
			text_json_string(out, t->cg->path);
			text_printf(out, ",\"direction\":\"%s\",\"attached\":false}\n",
				    direction_names[d]);
		} else if (on.cnt == 0) {
			text_printf(out, "%s: no %s program attached\n", t->cg->path,
				    direction_names[d]);
		}
		/*
		 * Each program's lines go out before the next is looked at, so
		 * that a message on stderr about it comes after them, not before.
		 */
		for (i = 0; i < on.cnt; i++) {
			int one = show_program(t, out, d, on.ids[i], on.flags);

			text_flush(out);
			if (one < 0)
				return EXIT_SYSTEM;
			ours += one;
		}
		text_flush(out);
	}
	return ours ? EXIT_OK : EXIT_NONE;
}

/* ---- status --prometheus: the same counts, for node_exporter's textfile collector ---- */

/* What metrics need of one hook: whether ours is there, its instance and its counts. */
struct hook_metrics {
	int ours, counted, judged;
	struct instance inst;
	struct entries bl;
	struct prog_config sent;
	struct verdict_counts v;
	uint64_t policy;
};

/*
 * A label value as the exposition format wants it: \\, \" and \n escaped,
 * and bytes that are not UTF-8 (a Latin-1 directory name) as U+FFFD, which
 * node_exporter would otherwise refuse the whole file for.
 */
static void prom_label(struct text_out *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		size_t n = *p < 0x80 ? 1 : text_utf8_len(p);

		if (*p == '\\' || *p == '"')
			text_printf(out, "\\%c", *p);
		else if (*p == '\n')
			text_puts(out, "\\n");
		else if (n == 0)
			text_puts(out, "\xef\xbf\xbd");
		else
			text_put(out, (const char *)p, n);
		p += n ? n : 1;
	}
}

/* One family's HELP and TYPE lines; the samples follow, all together. */
static void prom_family(struct text_out *out, const char *name, const char *type, const char *help)
{
	text_printf(out, "# HELP cgroup_skb_egress_%s %s\n# TYPE cgroup_skb_egress_%s %s\n", name,
		    help, name, type);
}

/* One sample: NAME{cgroup="...",LABELS} VALUE. */
static void prom_sample(struct text_out *out, const char *cgroup, const char *name,
			const char *labels, uint64_t value)
{
	text_printf(out, "cgroup_skb_egress_%s{cgroup=\"", name);
	prom_label(out, cgroup);
	text_printf(out, "\"%s} %" PRIu64 "\n", labels, value);
}

int cmd_metrics(const struct command_target *t, unsigned int top)
{
	/* Per hook, from CONFIG; a hook whose program does not count one has no sample of it. */
	static const struct {
		const char *name, *help;
	} per_hook[] = {
		{ "dropped_packets_total", "Packets dropped by block entries, by hook." },
		{ "allowed_packets_total",
		  "Packets let through by allow entries that a block entry or default deny would have dropped." },
		{ "denied_packets_total",
		  "Packets dropped by default deny: no allow entry matched." },
		{ "events_lost_total", "Events the program could not write: the ring was full." },
		{ "events_unsent_total",
		  "Events the kernel refused for another reason (no reader)." },
	};
	struct hook_metrics h[DIR_CNT];
	const struct hook_metrics *any = NULL;
	struct text_out out;
	struct hook_programs on;
	char labels[64];
	const char *cg = t->cg->path;
	size_t i, k;
	int d, rc = EXIT_NONE;

	memset(h, 0, sizeof(h));
	for (d = 0; d < DIR_CNT; d++) {
		if (hook_query(t->cg, d, &on))
			rc = EXIT_SYSTEM;
		for (i = 0; rc != EXIT_SYSTEM && i < on.cnt && !h[d].ours; i++) {
			int ours = instance_recognise(cg, t->prog_name, on.ids[i], &h[d].inst);

			if (ours < 0 || (ours && read_instance(cg, &h[d].inst, blocklist_clock(),
							       &h[d].bl) < 0))
				rc = EXIT_SYSTEM;
			if (ours > 0) {
				config_of(&h[d].inst, &h[d].sent, &h[d].counted, &h[d].policy,
					  &h[d].v, &h[d].judged);
				close(h[d].inst.prog_fd);
				h[d].ours = 1;
				any = any ? any : &h[d];
			}
		}
	}
	/* Half the metrics would read as true ones: on a failure, none (said on stderr). */
	if (rc == EXIT_SYSTEM) {
		for (d = 0; d < DIR_CNT; d++)
			mem_free(h[d].bl.e);
		return rc;
	}
	text_out_init(&out, STDOUT_FILENO);
	prom_family(&out, "attached", "gauge", "1 when a program of ours is on the hook.");
	for (d = 0; d < DIR_CNT; d++) {
		text_format(labels, sizeof(labels), ",hook=\"%s\"", direction_names[d]);
		prom_sample(&out, cg, "attached", labels, (uint64_t)h[d].ours);
	}
	for (k = 0; k < sizeof(per_hook) / sizeof(per_hook[0]); k++) {
		prom_family(&out, per_hook[k].name, "counter", per_hook[k].help);
		for (d = 0; d < DIR_CNT; d++) {
			const uint64_t value[] = { h[d].v.dropped, h[d].v.allowed, h[d].v.denied,
						   h[d].sent.full, h[d].sent.unsent };

			if (!h[d].ours || (k < 3 ? !h[d].judged : !h[d].counted))
				continue;
			text_format(labels, sizeof(labels), ",hook=\"%s\"", direction_names[d]);
			prom_sample(&out, cg, per_hook[k].name, labels, value[k]);
		}
	}
	if (any) {
		prom_family(&out, "entries", "gauge",
			    "Entries in the blocklist's active set, by kind (allow entries included).");
		prom_sample(&out, cg, "entries", ",kind=\"address\"", any->bl.in_map[0]);
		prom_sample(&out, cg, "entries", ",kind=\"prefix\"", any->bl.in_map[1]);
		prom_family(&out, "entries_max", "gauge", "Room in the blocklist's maps, by kind.");
		prom_sample(&out, cg, "entries_max", ",kind=\"address\"", any->bl.max[0]);
		prom_sample(&out, cg, "entries_max", ",kind=\"prefix\"", any->bl.max[1]);
		prom_family(&out, "allow_entries", "gauge", "Allow entries among the entries.");
		prom_sample(&out, cg, "allow_entries", "", any->bl.allows);
		prom_family(&out, "default_deny", "gauge",
			    "1 when what no allow entry matches is dropped.");
		if (any->policy <= POLICY_DENY)
			prom_sample(&out, cg, "default_deny", "", any->policy == POLICY_DENY);
		/* A gauge: entries that go (unblock, lapse, replace) take their counts along. */
		prom_family(&out, "entry_dropped_packets", "gauge",
			    "Packets dropped by the block entries there now, counted in the entries.");
		prom_sample(&out, cg, "entry_dropped_packets", "", any->bl.drops);
	}
	/* --top N: the block entries that dropped most, each by its address. */
	if (any && top) {
		struct entries *bl = &h[any == &h[0] ? 0 : 1].bl;
		char text[ADDR_TEXT_MAX];

		prom_family(&out, "address_dropped_packets_total", "counter",
			    "Packets dropped by one block entry (the --top entries that dropped most).");
		for (k = 0; k < top; k++) {
			size_t best = bl->cnt;

			for (i = 0; i < bl->cnt; i++)
				if (!bl->e[i].key.allow && bl->e[i].value.drops &&
				    (best == bl->cnt ||
				     bl->e[i].value.drops > bl->e[best].value.drops))
					best = i;
			if (best == bl->cnt)
				break;
			text_format(labels, sizeof(labels), ",address=\"%s\"",
				    addr_format(&bl->e[best].key, text));
			prom_sample(&out, cg, "address_dropped_packets_total", labels,
				    bl->e[best].value.drops);
			bl->e[best].value.drops = 0; /* taken */
		}
	}
	for (d = 0; d < DIR_CNT; d++)
		mem_free(h[d].bl.e);
	if (text_flush(&out) < 0) {
		report("writing the metrics: %s", errno_text(out.err));
		return EXIT_SYSTEM;
	}
	return rc == EXIT_SYSTEM ? rc : any ? EXIT_OK : EXIT_NONE;
}

/*
 * Call `fn` once for each instance of ours on the cgroup: for each
 * blocklist, however many hooks its programs sit on. Returns the first
 * failing result of `fn`, EXIT_SYSTEM if a hook cannot be read, or
 * EXIT_NONE (after saying so) when there is no instance of ours.
 */
struct instance_job {
	int (*fn)(const struct command_target *t, struct text_out *out, const struct instance *inst,
		  const char *hooks, const struct instance_job *job);
	const struct addr_list *addrs; /* unblock: what to remove */
	int strict;
};

static int each_instance(const struct command_target *t, const struct instance_job *job)
{
	struct text_out stdout_text, *out = &stdout_text;
	struct {
		struct instance inst;
		unsigned int dirs; /* the hooks its programs sit on */
	} found[DIR_CNT * HOOK_QUERY_MAX];
	struct hook_programs on;
	size_t found_cnt = 0, k;
	uint32_t i;
	int d, rc = EXIT_OK;

	text_out_init(out, STDOUT_FILENO);
	for (d = 0; d < DIR_CNT && rc == EXIT_OK; d++) {
		if (hook_query(t->cg, d, &on)) {
			rc = EXIT_SYSTEM;
			break;
		}
		for (i = 0; i < on.cnt && rc == EXIT_OK; i++) {
			struct instance inst;
			int ours = instance_recognise(t->cg->path, t->prog_name, on.ids[i], &inst);

			if (ours < 0)
				rc = EXIT_SYSTEM;
			if (ours <= 0)
				continue;
			for (k = 0;
			     k < found_cnt && found[k].inst.blocklist_id != inst.blocklist_id; k++)
				;
			if (k < found_cnt) {
				found[k].dirs |= 1u << d;
				close(inst.prog_fd);
			} else {
				found[found_cnt].inst = inst;
				found[found_cnt++].dirs = 1u << d;
			}
		}
	}
	/* Each instance's lines go out before the next one's header on stderr. */
	for (k = 0; k < found_cnt; k++) {
		if (rc == EXIT_OK)
			rc = job->fn(t, out, &found[k].inst, hook_set_names[found[k].dirs & 3],
				     job);
		text_flush(out);
		close(found[k].inst.prog_fd);
	}
	if (rc == EXIT_OK && !found_cnt) {
		report("nothing of ours is attached to %s", t->cg->path);
		rc = EXIT_NONE;
	}
	return rc;
}

/*
 * Under the lock: delete the entries of `inst` that have lapsed by `now`,
 * if ACTIVE says there are any (blocklist.c). 0, or -1 after saying why.
 */
static int purge_instance(const struct command_target *t, const struct instance *inst, uint64_t now)
{
	struct blocklist bl = { bpf_map_get_fd_by_id(inst->blocklist_id),
				bpf_map_get_fd_by_id(inst->blocknets_id) };
	int active_fd = inst->active_id ? bpf_map_get_fd_by_id(inst->active_id) : -1;
	struct active_set active;
	long purged = -1;

	if (bl.single_fd >= 0 && bl.prefix_fd >= 0 && (active_fd >= 0 || !inst->active_id))
		purged = blocklist_purge_due(&bl, active_fd, now, &active);
	if (purged < 0)
		report("deleting the lapsed entries of program id %" PRIu32 " on %s: %s%s",
		       inst->prog_id, t->cg->path, errno_text(errno),
		       errno == EPERM ? GET_BY_ID_HINT : "");
	else
		trace(1, "%ld lapsed entr%s deleted", purged, purged == 1 ? "y" : "ies");
	if (bl.single_fd >= 0)
		close(bl.single_fd);
	if (bl.prefix_fd >= 0)
		close(bl.prefix_fd);
	if (active_fd >= 0)
		close(active_fd);
	return purged < 0 ? -1 : 0;
}

/* Every address and prefix in one instance's blocklist with its drop counter, sorted. */
static int list_instance(const struct command_target *t, struct text_out *out,
			 const struct instance *inst, const char *hooks,
			 const struct instance_job *job)
{
	struct entries bl = { 0 };
	char text[ADDR_TEXT_MAX], left[32];
	uint64_t now;
	size_t i;
	int rc;

	/*
	 * Read under the lock (an unblock meanwhile would restart the kernel's
	 * walk), print after it: a reader that stops reading our output must
	 * not hold up a block.
	 */
	(void)job;
	if (cgroup_lock(t->cg, t->signals->fd))
		return EXIT_SYSTEM;
	now = blocklist_clock();
	rc = purge_instance(t, inst, now);
	if (rc == 0)
		rc = read_instance(t->cg->path, inst, now, &bl);
	cgroup_unlock(t->cg);
	if (rc < 0)
		return EXIT_SYSTEM;
	if (bl.cnt)
		addr_sort(bl.e, bl.cnt, sizeof(*bl.e));
	/* Which hooks the list applies to: on stderr, so that stdout stays "address count". */
	if (!t->json)
		report("program id %" PRIu32 " on %s (%s): %zu entries", inst->prog_id, t->cg->path,
		       hooks, bl.cnt);
	for (i = 0; i < bl.cnt; i++) {
		const struct block_entry *v = &bl.e[i].value;
		/* The time left in whole seconds, rounded up: 0 would read as lapsed. */
		uint64_t secs = v->expires ? (v->expires - now + 999999999u) / 1000000000u : 0;

		addr_format(&bl.e[i].key, text);
		if (!t->json) {
			/* "ADDR DROPS[ LEFTs][ allow]", put together by hand: a line per entry. */
			char tail[48];
			size_t n = 0;

			tail[n++] = ' ';
			n += text_u64(tail + n, v->drops);
			if (secs) {
				tail[n++] = ' ';
				n += text_u64(tail + n, secs);
				tail[n++] = 's';
			}
			text_puts(out, text);
			text_put(out, tail, n);
			text_puts(out, bl.e[i].key.allow ? " allow\n" : "\n");
			continue;
		}
		if (secs)
			text_format(left, sizeof(left), "%" PRIu64, secs);
		else
			text_format(left, sizeof(left), "null");
		/* An allow entry counts the packets it let through, and says it allows. */
		text_printf(out, "{\"cgroup\":");
		text_json_string(out, t->cg->path);
		text_printf(out,
			    ",\"prog_id\":%" PRIu32
			    ",\"direction\":\"%s\",\"family\":\"%s\",\"allow\":%s,\"address\":\"%s\",\"prefix\":%s,\"%s\":%" PRIu64
			    ",\"expires_in\":%s}\n",
			    inst->prog_id, strchr(hooks, ' ') ? "both" : hooks,
			    bl.e[i].key.family == ADDR_IPV4 ? "ipv4" : "ipv6",
			    bl.e[i].key.allow ? "true" : "false", text,
			    addr_is_single(&bl.e[i].key) ? "false" : "true",
			    bl.e[i].key.allow ? "passed" : "dropped", v->drops, left);
	}
	mem_free(bl.e);
	return EXIT_OK;
}

/*
 * list: each blocked address and the packets dropped to it, for every
 * program of ours on the hook. Exit 3 when there is none.
 */
int cmd_list(const struct command_target *t)
{
	const struct instance_job job = { list_instance, NULL, 0 };

	return each_instance(t, &job);
}

/* blocklist_remove_switched() on instance `inst`, its maps reached by id. */
static int remove_switched(const struct instance *inst, const struct addr_list *remove, int strict,
			   struct blocklist_change *ch)
{
	struct blocklist_sets sets = { { { -1, -1 }, { -1, -1 } }, -1, 0 };
	int *fds[5] = { &sets.set[0].single_fd, &sets.set[0].prefix_fd, &sets.set[1].single_fd,
			&sets.set[1].prefix_fd, &sets.active_fd };
	const uint32_t ids[5] = { inst->set_ids[0][0], inst->set_ids[0][1], inst->set_ids[1][0],
				  inst->set_ids[1][1], inst->active_id };
	int r = 0, err, i;

	memset(ch, 0, sizeof(*ch));
	for (i = 0; i < 5; i++) {
		*fds[i] = bpf_map_get_fd_by_id(ids[i]);
		if (*fds[i] < 0)
			r = -1;
	}
	if (r == 0)
		r = blocklist_remove_switched(&sets, inst->active.set, remove, strict,
					      blocklist_clock(), ch);
	err = errno;
	for (i = 0; i < 5; i++)
		if (*fds[i] >= 0)
			close(*fds[i]);
	errno = err;
	return r;
}

/* Remove the addresses from one instance's blocklist; all of them, or none. */
static int unblock_instance(const struct command_target *t, struct text_out *out,
			    const struct instance *inst, const char *hooks,
			    const struct instance_job *job)
{
	(void)out;
	(void)hooks; /* one blocklist, whichever hooks it serves */
	struct blocklist bl = { bpf_map_get_fd_by_id(inst->blocklist_id),
				bpf_map_get_fd_by_id(inst->blocknets_id) };
	struct blocklist_change ch;
	char text[ADDR_TEXT_MAX], absent[3 * ADDR_TEXT_MAX + 8] = "";
	const char *kind;
	size_t i, used = 0;
	int r = -2, rc = EXIT_SYSTEM;

	if (bl.single_fd < 0 || bl.prefix_fd < 0) {
		report("opening the blocklist of program id %" PRIu32 ": %s%s", inst->prog_id,
		       errno_text(errno), errno == EPERM ? GET_BY_ID_HINT : "");
		goto out;
	}
	if (purge_instance(t, inst, blocklist_clock()) < 0)
		goto out;
	trace(1,
	      "BPF_MAP_GET_FD_BY_ID %" PRIu32 " and %" PRIu32
	      " -> fds %d and %d; removing %zu keys",
	      inst->blocklist_id, inst->blocknets_id, bl.single_fd, bl.prefix_fd, job->addrs->cnt);
	/*
	 * One address is one system call, made in place; more, which a kill
	 * could cut short, go through the switch (the first layout has none).
	 */
	/* unallow's keys are all allow entries (cli.c), unblock's none. */
	kind = job->addrs->cnt && job->addrs->e[0].key.allow ? "allowed" : "blocked";
	if (job->addrs->cnt > 1 && inst->layout == 2)
		r = remove_switched(inst, job->addrs, job->strict, &ch);
	else
		r = blocklist_remove(&bl, job->addrs->e, job->addrs->cnt, job->strict, &ch);
	if (r < 0 && ch.failed_key.prefixlen) {
		report("removing %s from the blocklist of program id %" PRIu32
		       " on %s: %s; nothing was removed",
		       addr_format(&ch.failed_key, text), inst->prog_id, t->cg->path,
		       errno_text(errno));
		goto out;
	}
	if (r < 0) {
		report("switching the list of program id %" PRIu32 " on %s: %s; it is as it was",
		       inst->prog_id, t->cg->path, errno_text(errno));
		goto out;
	}
	for (i = 0; i < ch.unchanged && i < 3; i++)
		used += (size_t)text_format(absent + used, sizeof(absent) - used, "%s%s",
					    i ? ", " : "",
					    addr_format(&ch.first_unchanged[i], text));
	if (ch.unchanged > 3)
		text_format(absent + used, sizeof(absent) - used, ", ...");
	if (r > 0) {
		report("%zu address%s not %s on %s (%s); --strict: nothing was removed",
		       ch.unchanged, ch.unchanged == 1 ? " is" : "es are", kind, t->cg->path,
		       absent);
		goto out;
	}
	if (ch.unchanged)
		report("removed %zu address%s from program id %" PRIu32
		       " on %s; %zu %s not %s (%s)",
		       ch.changed, ch.changed == 1 ? "" : "es", inst->prog_id, t->cg->path,
		       ch.unchanged, ch.unchanged == 1 ? "was" : "were", kind, absent);
	else
		report("removed %zu address%s from program id %" PRIu32 " on %s", ch.changed,
		       ch.changed == 1 ? "" : "es", inst->prog_id, t->cg->path);
	rc = EXIT_OK;
out:
	if (bl.single_fd >= 0)
		close(bl.single_fd);
	if (bl.prefix_fd >= 0)
		close(bl.prefix_fd);
	return rc;
}

/*
 * unblock: remove addresses from every program of ours on the hook. The
 * program stays attached, even with an empty list; `detach` removes it.
 */
int cmd_unblock(const struct command_target *t, const struct addr_list *addrs, int strict)
{
	const struct instance_job job = { unblock_instance, addrs, strict };

	if (cgroup_lock(t->cg, t->signals->fd))
		return EXIT_SYSTEM;
	if (signals_pending(t->signals, "unblocking", "changed"))
		return EXIT_SYSTEM;
	return each_instance(t, &job);
}

/*
 * detach: take every program of ours off the hook, whoever runs it (a
 * running instance notices within a second and exits). Programs that are
 * not ours are never touched. Exit 3 when there was nothing of ours.
 */
int cmd_detach(const struct command_target *t)
{
	struct hook_programs on;
	const uint32_t *ids = on.ids;
	uint32_t i;
	int detached = 0, rc = EXIT_OK, d;

	if (cgroup_lock(t->cg, t->signals->fd))
		return EXIT_SYSTEM;
	if (signals_pending(t->signals, "detaching", "changed"))
		return EXIT_SYSTEM;
	for (d = 0; d < DIR_CNT; d++) {
		if (hook_query(t->cg, d, &on))
			return EXIT_SYSTEM;
		for (i = 0; i < on.cnt; i++) {
			struct instance inst;
			pid_t holder;
			int found = instance_recognise(t->cg->path, t->prog_name, ids[i], &inst);

			if (found < 0) {
				rc = EXIT_SYSTEM;
				continue;
			}
			if (!found) {
				report("left %s program id %" PRIu32 " on %s alone: it is not ours",
				       direction_names[d], ids[i], t->cg->path);
				continue;
			}
			holder = instance_holder(ids[i]);
			/*
			 * Without the multi flag the hook holds one program and the
			 * kernel detaches it whatever fd we name: it is this one.
			 */
			if (bpf_prog_detach(inst.prog_fd, t->cg->fd, direction_attach_type(d)) <
			    0) {
				report("detaching %s program id %" PRIu32 " from %s: %s",
				       direction_names[d], ids[i], t->cg->path, errno_text(errno));
				rc = EXIT_SYSTEM;
			} else {
				trace(1,
				      "BPF_PROG_DETACH: program fd %d (id %" PRIu32
				      ") from cgroup fd %d, %s",
				      inst.prog_fd, ids[i], t->cg->fd, direction_names[d]);
				detached++;
				if (holder > 0)
					report("detached %s program id %" PRIu32
					       " from %s; pid %ld ran it and will exit",
					       direction_names[d], ids[i], t->cg->path,
					       (long)holder);
				else
					report("detached %s program id %" PRIu32 " from %s",
					       direction_names[d], ids[i], t->cg->path);
			}
			close(inst.prog_fd);
		}
	}
	if (rc == EXIT_OK && !detached) {
		report("nothing of ours is attached to %s", t->cg->path);
		rc = EXIT_NONE;
	}
	return rc;
}
