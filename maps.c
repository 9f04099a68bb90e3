/* SPDX-License-Identifier: MIT */
/*
 * maps.c - steps 6 and 7: the maps created and filled (maps.h).
 */
#define _GNU_SOURCE /* prlimit() */
#include "maps.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/resource.h>
#include <unistd.h>

#include "blocklist.h"
#include "bpf_sys.h"
#include "common.h"
#include "mem.h"
#include "messages.h"
#include "perf_ring.h"
#include "ringbuf.h"
#include "text.h"

#define BTF_LOG_SIZE (64u << 10)

void maps_init(struct maps *m)
{
	int i;

	memset(m, 0, sizeof(*m));
	for (i = 0; i < MAP_ROLE_CNT; i++)
		m->fd[i] = -1;
	for (i = 0; i < DIR_CNT; i++)
		m->config_fd[i] = -1;
}

void kernel_btf_init(struct kernel_btf *btf)
{
	memset(btf, 0, sizeof(*btf));
	btf->fd = -1;
}

/* After step 9 the maps and programs hold the kernel's BTF: ours is done with. */
void kernel_btf_release(struct kernel_btf *btf)
{
	if (btf->fd >= 0)
		close(btf->fd);
	btf_free(&btf->parsed);
	kernel_btf_init(btf);
}

int memlock_raise(void)
{
	struct rlimit now, inf = { RLIM_INFINITY, RLIM_INFINITY };

	/*
	 * prlimit(2), not setrlimit(): the same for a single-threaded process,
	 * and musl's setrlimit() brings code to reach every thread, 4 KiB of it.
	 * Unlimited if we may (CAP_SYS_RESOURCE), else up to the hard limit.
	 */
	if (prlimit(0, RLIMIT_MEMLOCK, NULL, &now) < 0 || now.rlim_cur == RLIM_INFINITY)
		return 0;
	if (prlimit(0, RLIMIT_MEMLOCK, &inf, NULL) == 0)
		return 1;
	if (now.rlim_cur >= now.rlim_max)
		return 0;
	now.rlim_cur = now.rlim_max;
	return prlimit(0, RLIMIT_MEMLOCK, &now, NULL) == 0;
}

/*
 * Before the first map: the object's BTF, read and fixed up (btf.h), then
 * handed to the kernel. BTF is optional: an object without it loads as
 * before, and one whose BTF this reader or the kernel refuses (older than
 * 5.2 does not know DATASEC, for one) costs a warning, not the run.
 */
static void load_btf(struct kernel_btf *b, const struct object *obj)
{
	char err_text[256], *log;
	int err;

	if (!obj->elf.btf.len) {
		trace(1, "no .BTF section: maps and program load without types");
		return;
	}
	if (btf_parse(&b->parsed, &obj->elf, err_text, sizeof(err_text))) {
		report("warning: %s: %s; loading without BTF", obj->label, err_text);
		return;
	}
	trace(1,
	      "BTF: %" PRIu32 " types in %zu bytes, %" PRIu32
	      " DATASECs given their ELF sizes and offsets; .BTF.ext: %" PRIu32
	      " func_info and %" PRIu32 " line_info records for '%s'",
	      b->parsed.type_cnt, b->parsed.len, b->parsed.datasec_cnt, b->parsed.func_info_cnt,
	      b->parsed.line_info_cnt, obj->elf.prog_section);
	b->fd = bpf_btf_load(b->parsed.data, (uint32_t)b->parsed.len, NULL, 0);
	if (b->fd < 0) {
		/* Again with a log, for the kernel's reason. */
		err = errno;
		log = mem_alloc(BTF_LOG_SIZE);
		if (log) {
			log[0] = '\0';
			b->fd = bpf_btf_load(b->parsed.data, (uint32_t)b->parsed.len, log,
					     BTF_LOG_SIZE);
		}
		if (b->fd < 0)
			report("warning: the kernel refused the BTF of %s (BPF_BTF_LOAD: %s%s%s); loading without it",
			       obj->label, errno_text(err), log && log[0] ? ": " : "",
			       log ? text_last_line(log) : "");
		mem_free(log);
	}
	if (b->fd >= 0)
		trace(1, "BPF_BTF_LOAD: %zu bytes -> fd %d", b->parsed.len, b->fd);
}

/* BPF_MAP_CREATE for `def`, once more after raising RLIMIT_MEMLOCK if it says EPERM. */
static int create_map(const struct map_def *def, uint32_t max_entries, const struct map_btf *btf)
{
	int fd = bpf_map_create(def->type, def->name, def->key_size, def->value_size, max_entries,
				def->map_flags, btf);

	if (fd < 0 && errno == EPERM) {
		if (!memlock_raise()) {
			errno = EPERM;
			return -1;
		}
		fd = bpf_map_create(def->type, def->name, def->key_size, def->value_size,
				    max_entries, def->map_flags, btf);
	}
	return fd;
}

/*
 * One map, with its key and value types from BTF where the object names
 * them. Returns the fd, or -1 with errno.
 */
static int create_typed(struct kernel_btf *b, const struct map_def *def, uint32_t max_entries,
			const char *for_hook)
{
	struct map_btf types = { b->fd, 0, 0 };
	const struct map_btf *btf = NULL;
	int fd;

	if (b->fd >= 0 && !b->types_refused &&
	    btf_map_types(&b->parsed, def->name, &types.key_type_id, &types.value_type_id) == 0)
		btf = &types;
	fd = create_map(def, max_entries, btf);
	if (fd < 0 && btf) {
		int err = errno;

		/* Without the types; only if that works were they the reason. */
		fd = create_map(def, max_entries, NULL);
		if (fd < 0)
			return -1;
		report("warning: map %s: the kernel refused its BTF key and value types (%s); created without them",
		       def->name, errno_text(err));
		/* CONFIG's second copy, for the other hook, goes without them at once. */
		b->types_refused = 1;
		btf = NULL;
	}
	if (fd >= 0)
		trace(1,
		      "BPF_MAP_CREATE %s%s%s: map_type %" PRIu32 ", key_size %" PRIu32
		      ", value_size %" PRIu32 ", max_entries %" PRIu32 ", map_flags 0x%" PRIx32
		      ", btf_key_type_id %" PRIu32 ", btf_value_type_id %" PRIu32
		      " -> fd %d, map id %" PRIu32,
		      def->name, for_hook[0] ? " for " : "", for_hook, def->type, def->key_size,
		      def->value_size, max_entries, def->map_flags, btf ? btf->key_type_id : 0,
		      btf ? btf->value_type_id : 0, fd, trace_level() ? bpf_map_id(fd) : 0);
	return fd;
}

/*
 * How large each map is made: EVENTS has a slot for every CPU that may ever
 * run us, EVENTS_RING `ring_pages` pages for all of them, the blocklist maps take
 * --max-entries and must hold what is to be blocked. Decided before
 * creating anything: a million-entry map costs ~100 MiB.
 */
static int size_maps(uint32_t size[MAP_ROLE_CNT], const struct object *obj,
		     const struct addr_list *block, uint32_t max_entries, unsigned int ring_pages)
{
	uint64_t ring_bytes = (uint64_t)ring_pages * getauxval(AT_PAGESZ);
	uint8_t possible[CPU_MAX];
	char err[160];
	int highest, role;

	for (role = 0; role < MAP_ROLE_CNT; role++)
		size[role] = object_map(obj, role)->max_entries;
	if (size[MAP_EVENTS] == 0 && object_map(obj, MAP_EVENTS)->type == BPF_MAP_TYPE_RINGBUF) {
		/* The kernel's limit is 64 GiB; ours is what fits max_entries, and sense. */
		if (ring_bytes == 0 || ring_bytes > (1u << 30)) {
			report("a ring buffer of %u pages is %" PRIu64
			       " bytes; 1 GiB at most: a smaller --ring-pages",
			       ring_pages, ring_bytes);
			return EXIT_USAGE;
		}
		size[MAP_EVENTS] = (uint32_t)ring_bytes;
	}
	if (size[MAP_EVENTS] == 0) {
		if (cpu_list_read("/sys/devices/system/cpu/possible", possible, &highest, err,
				  sizeof(err))) {
			report("%s", err);
			return EXIT_SYSTEM;
		}
		size[MAP_EVENTS] = (uint32_t)highest + 1;
	}
	for (role = MAP_BLOCKLIST_A; role <= MAP_BLOCKNETS_B; role++) {
		int prefixes = role == MAP_BLOCKNETS_A || role == MAP_BLOCKNETS_B;
		size_t want = 0, k;

		if (max_entries)
			size[role] = max_entries;
		for (k = 0; k < block->cnt; k++)
			want += addr_is_single(&block->e[k].key) != prefixes;
		if (want > size[role]) {
			report("%zu %s to block, but %s holds %" PRIu32
			       " (--max-entries); nothing was attached",
			       want, prefixes ? "prefixes" : "addresses",
			       object_map(obj, role)->name, size[role]);
			return EXIT_SYSTEM;
		}
	}
	return EXIT_OK;
}

int maps_create(struct maps *m, struct kernel_btf *btf, const struct object *obj,
		unsigned int hooks, const struct addr_list *block, uint32_t max_entries,
		unsigned int ring_pages)
{
	int role, d, rc;

	rc = size_maps(m->max_entries, obj, block, max_entries, ring_pages);
	if (rc)
		return rc;
	/* ACTIVE starts zeroed, as every array does: set A, nothing to expire. */
	m->layout = 2;
	m->set = SET_A;
	load_btf(btf, obj);
	for (role = 0; role < MAP_ROLE_CNT; role++) {
		struct map_def def_made = *object_map(obj, role);
		const struct map_def *def = &def_made;
		int *fd = &m->fd[role];

		/*
		 * Set B holds nothing until a switch fills it, so on a 64-bit
		 * kernel its hash is not preallocated: preallocating a second
		 * set of --max-entries doubled the kernel's part of `block` (a
		 * million entries: about 250 ms and 100 MiB more), for a set
		 * that may never be used. A 32-bit kernel preallocates it, as
		 * set A: only there is a 64-bit counter in an element allocated
		 * later 4 bytes off alignment (prog.bpf.c, SINGLES).
		 */
		if (role == MAP_BLOCKLIST_B && kernel_is_64bit())
			def_made.map_flags |= BPF_F_NO_PREALLOC;

		/* CONFIG once for each hook's program, so that each knows its direction. */
		for (d = 0; d < DIR_CNT; d++) {
			if (role == MAP_CONFIG ? !(hooks & (1u << d)) : d > 0)
				continue;
			if (role == MAP_CONFIG)
				fd = &m->config_fd[d];
			*fd = create_typed(btf, def, m->max_entries[role],
					   role == MAP_CONFIG ? direction_names[d] : "");
			if (*fd < 0) {
				int err = errno;
				char hint[192];

				report("creating map %s (type %u, key %u, value %u, %u entries) from %s: %s%s",
				       def->name, def->type, def->key_size, def->value_size,
				       m->max_entries[role], obj->label, errno_text(err),
				       def->type == BPF_MAP_TYPE_RINGBUF && err == EINVAL
					       ? "; a BPF ring buffer needs Linux 5.8 or later: --events perf"
					       : privilege_hint(err, hint, sizeof(hint)));
				return EXIT_SYSTEM;
			}
		}
	}
	return EXIT_OK;
}

int maps_open_reused(struct maps *m, const struct reuse *r, const char *cgroup_path)
{
	const struct instance *inst = &r->inst[r->inst[DIR_EGRESS].prog_id ? 0 : 1];
	const struct {
		enum map_role role;
		uint32_t id;
	} shared[6] = { { MAP_BLOCKLIST_A, inst->set_ids[SET_A][0] },
			{ MAP_BLOCKNETS_A, inst->set_ids[SET_A][1] },
			{ MAP_EVENTS, inst->events_id },
			/* Not in the first layout: */
			{ MAP_BLOCKLIST_B, inst->set_ids[SET_B][0] },
			{ MAP_BLOCKNETS_B, inst->set_ids[SET_B][1] },
			{ MAP_ACTIVE, inst->active_id } };
	size_t i;
	int d;

	m->layout = inst->layout;
	m->set = inst->active.set;
	for (i = 0; i < (inst->layout == 1 ? 3 : 6); i++) {
		struct bpf_map_info info;
		uint32_t len = sizeof(info);
		int *fd = &m->fd[shared[i].role];

		memset(&info, 0, sizeof(info));
		*fd = bpf_map_get_fd_by_id(shared[i].id);
		if (*fd < 0 || bpf_obj_get_info_by_fd(*fd, &info, &len) < 0) {
			report("opening map id %" PRIu32 " of program id %" PRIu32 " on %s: %s%s",
			       shared[i].id, inst->prog_id, cgroup_path, errno_text(errno),
			       errno == EPERM ? GET_BY_ID_HINT : "");
			return EXIT_SYSTEM;
		}
		m->max_entries[shared[i].role] = info.max_entries;
		trace(1,
		      "reusing: BPF_MAP_GET_FD_BY_ID %" PRIu32 " -> fd %d (%s, max_entries %" PRIu32
		      ")",
		      shared[i].id, *fd, info.name, info.max_entries);
	}
	/* Each program has its own CONFIG. */
	for (d = 0; d < DIR_CNT; d++) {
		if (!r->inst[d].prog_id)
			continue;
		struct bpf_map_info info;
		uint32_t len = sizeof(info);

		memset(&info, 0, sizeof(info));
		m->config_fd[d] = bpf_map_get_fd_by_id(r->inst[d].config_id);
		if (m->config_fd[d] < 0 ||
		    bpf_obj_get_info_by_fd(m->config_fd[d], &info, &len) < 0) {
			report("opening map id %" PRIu32 " of program id %" PRIu32 " on %s: %s%s",
			       r->inst[d].config_id, r->inst[d].prog_id, cgroup_path,
			       errno_text(errno), errno == EPERM ? GET_BY_ID_HINT : "");
			return EXIT_SYSTEM;
		}
		/* A later version's larger values: a lookup would write past our struct. */
		if (info.value_size > sizeof(struct prog_config)) {
			report("program id %" PRIu32 " on %s has a " CONFIG_MAP_NAME " of %" PRIu32
			       "-byte values, this binary's are %zu: a later version loaded it; use that version, or detach it first",
			       r->inst[d].prog_id, cgroup_path, info.value_size,
			       sizeof(struct prog_config));
			return EXIT_SYSTEM;
		}
	}
	return EXIT_OK;
}

const char *maps_set_name(const struct maps *m, int prefixes)
{
	return set_map_name(m->layout, m->set, prefixes);
}

/* Both sets and ACTIVE, for a switch. */
static struct blocklist_sets sets_of(const struct maps *m)
{
	struct blocklist_sets s = { { { m->fd[MAP_BLOCKLIST_A], m->fd[MAP_BLOCKNETS_A] },
				      { m->fd[MAP_BLOCKLIST_B], m->fd[MAP_BLOCKNETS_B] } },
				    m->fd[MAP_ACTIVE],
				    0 };

	return s;
}

/*
 * What `block` makes of the list when it goes through the switch: the
 * active set's entries, with the time each has left, and `block`'s, whose
 * expiry wins for an entry in both. For `replace` (`allows_only`), the
 * list given, and the active set's allow entries when it gives none: a
 * feed replaces the blocklist, not the allow-list beside it. On failure
 * `out` is freed.
 */
static int merged_list(const struct blocklist *bl, const struct addr_list *block, uint64_t now,
		       int allows_only, struct addr_list *out)
{
	struct addr_list old = { 0 };
	size_t i;

	for (i = 0; allows_only && i < block->cnt; i++)
		if (block->e[i].key.allow)
			allows_only = 2; /* the list has its own: keep none */
	if (blocklist_read(bl, now, &old) < 0)
		goto fail;
	for (i = 0; i < block->cnt; i++)
		if (addr_list_add(out, &block->e[i].key, block->e[i].timeout_ns) < 0)
			goto nomem;
	for (i = 0; i < old.cnt; i++)
		if ((!allows_only || (allows_only == 1 && old.e[i].key.allow)) &&
		    addr_list_find(block, &old.e[i].key) < 0 &&
		    addr_list_add(out, &old.e[i].key, old.e[i].timeout_ns) < 0)
			goto nomem;
	addr_list_free(&old);
	addr_list_unique(out);
	return 0;
nomem:
	errno = ENOMEM;
fail:
	/* Nothing of a half-made list is left for the caller to free. */
	i = (size_t)errno;
	addr_list_free(&old);
	addr_list_free(out);
	errno = (int)i;
	return -1;
}

/*
 * Make the list `want` (unique) through the switch (blocklist.h). Says
 * what failed; EXIT_OK or EXIT_SYSTEM.
 */
static int switch_to(const struct maps *m, uint32_t from, const struct blocklist_sets *sets,
		     const struct addr_list *want, uint64_t now, const char *cgroup_path,
		     struct blocklist_change *ch)
{
	const uint32_t other = from == SET_B ? SET_A : SET_B;
	char text[ADDR_TEXT_MAX];
	size_t k, want_prefixes = 0;

	for (k = 0; k < want->cnt; k++)
		want_prefixes += !addr_is_single(&want->e[k].key);
	if (want->cnt - want_prefixes > m->max_entries[MAP_SINGLES(other)] ||
	    want_prefixes > m->max_entries[MAP_PREFIXES(other)]) {
		report("the list would be %zu addresses and %zu prefixes, but the maps of %s hold %" PRIu32
		       " and %" PRIu32
		       ": give a larger --max-entries, which grows them; nothing was changed",
		       want->cnt - want_prefixes, want_prefixes, cgroup_path,
		       m->max_entries[MAP_SINGLES(other)], m->max_entries[MAP_PREFIXES(other)]);
		return EXIT_SYSTEM;
	}
	trace(1, "switch: set %c becomes the list of %zu entries, then " ACTIVE_MAP_NAME " says %c",
	      'A' + (int)other, want->cnt, 'A' + (int)other);
	if (blocklist_switch(sets, from, want->e, want->cnt, now, ch) == 0) {
		trace(1,
		      "switched: " ACTIVE_MAP_NAME
		      " says %c since one BPF_MAP_UPDATE_ELEM of %" PRIu64
		      " us; %zu entries new, %zu kept, %zu removed",
		      'A' + (int)other, ch->switch_ns / 1000, ch->changed, ch->unchanged,
		      ch->removed);
		return EXIT_OK;
	}
	if (ch->failed_key.prefixlen)
		report("putting %s into set %c of %s: %s; the list is as it was",
		       addr_format(&ch->failed_key, text), 'A' + (int)other, cgroup_path,
		       errno_text(errno));
	else
		report("switching the list of %s: %s; it is as it was", cgroup_path,
		       errno_text(errno));
	return EXIT_SYSTEM;
}

int maps_fill(const struct maps *m, const struct addr_list *block, enum fill_how how,
	      const char *cgroup_path, const char *prog_ids)
{
	const struct blocklist bl = { m->fd[MAP_SINGLES(m->set)], m->fd[MAP_PREFIXES(m->set)] };
	const struct blocklist_sets sets = sets_of(m);
	const int fresh = how == FILL_NEW;
	const uint32_t first = 0;
	struct blocklist_change ch;
	struct active_set active, was;
	struct addr_list merged = { 0 };
	uint64_t now = blocklist_clock();
	char text[ADDR_TEXT_MAX];
	size_t k;
	long purged;
	int rc;

	if (m->layout == 1 && how == FILL_REPLACE) {
		report("the instance on %s was attached by an earlier version, whose maps cannot be switched: "
		       "`detach` it and block the list again; nothing was changed",
		       cgroup_path);
		return EXIT_SYSTEM;
	}
	/*
	 * Lapsed entries are deleted by whichever command comes next under the
	 * lock; ACTIVE's next_expiry says when there are any, so that most
	 * commands need not walk the maps.
	 */
	purged = blocklist_purge_due(&bl, m->fd[MAP_ACTIVE], now, &active);
	if (purged < 0) {
		report("deleting the lapsed entries of %s on %s: %s", maps_set_name(m, 0),
		       cgroup_path, errno_text(errno));
		return EXIT_SYSTEM;
	}
	trace(1, "%ld lapsed entr%s deleted", purged, purged == 1 ? "y" : "ies");
	if (how == FILL_REPLACE) {
		if (merged_list(&bl, block, now, 1, &merged) < 0) {
			report("reading the list of %s: %s; nothing was changed", cgroup_path,
			       errno_text(errno));
			return EXIT_SYSTEM;
		}
		rc = switch_to(m, m->set, &sets, &merged, now, cgroup_path, &ch);
		if (rc == EXIT_OK)
			report("replaced the list of %s on %s: %zu entries, %zu of them new, %zu kept with their counters; %zu removed",
			       prog_ids, cgroup_path, merged.cnt, ch.changed, ch.unchanged,
			       ch.removed);
		addr_list_free(&merged);
		return rc;
	}
	was = active;
	for (k = 0; k < block->cnt; k++) {
		uint64_t at = block->e[k].timeout_ns ? now + block->e[k].timeout_ns : 0;

		if (at && m->layout == 1) {
			report("the instance on %s was attached by an earlier version, whose %s has no expiries: "
			       "block without --timeout, or `detach` it and block again; nothing was added",
			       cgroup_path, maps_set_name(m, 0));
			return EXIT_SYSTEM;
		}
		if (at && (!active.next_expiry || at < active.next_expiry))
			active.next_expiry = at;
		/* Before the entry, as the hint: the program looks for allow entries from then on. */
		active.allows |= block->e[k].key.allow && m->layout != 1;
	}
	/* Before the entries: a hint too early costs a walk, one too late would leave them. */
	if (memcmp(&active, &was, sizeof(active)) != 0 &&
	    bpf_map_update_elem(m->fd[MAP_ACTIVE], &first, &active, BPF_EXIST) < 0) {
		report("writing " ACTIVE_MAP_NAME " of %s: %s; nothing was %s", cgroup_path,
		       errno_text(errno), fresh ? "attached" : "added");
		return EXIT_SYSTEM;
	}
	/*
	 * On a list in use, a change of one system call is made in place; a
	 * larger one, which a kill could cut short, through the switch (the
	 * first layout has none: in place, undone on failure).
	 */
	rc = blocklist_add(&bl, block->e, block->cnt,
			   fresh	    ? BLOCKLIST_FRESH
			   : m->layout == 1 ? BLOCKLIST_IN_PLACE
					    : BLOCKLIST_ONE_CALL,
			   now, &ch);
	if (rc < 0 && errno == EXDEV) {
		trace(1, "%zu entries: more than one system call; through the switch", block->cnt);
		if (merged_list(&bl, block, now, 0, &merged) < 0) {
			report("reading the list of %s: %s; nothing was added", cgroup_path,
			       errno_text(errno));
			return EXIT_SYSTEM;
		}
		rc = switch_to(m, m->set, &sets, &merged, now, cgroup_path, &ch);
		addr_list_free(&merged);
		if (rc == EXIT_OK)
			report("added %zu address%s to %s on %s (%zu already there, now with the expiry asked for)",
			       ch.changed, ch.changed == 1 ? "" : "es", prog_ids, cgroup_path,
			       block->cnt - ch.changed);
		return rc;
	}
	if (rc < 0) {
		int err = errno;
		char full[160] = "";

		/* A full hash says E2BIG, a full trie ENOSPC. */
		if ((err == E2BIG || err == ENOSPC) && !fresh)
			text_format(full, sizeof(full),
				    "; it is full (%" PRIu32
				    " entries): give a larger --max-entries, which grows it",
				    m->max_entries[ch.failed_in_prefixes ? MAP_PREFIXES(m->set)
									 : MAP_SINGLES(m->set)]);
		report("adding %s to %s of %s: %s%s; nothing was %s",
		       addr_format(&ch.failed_key, text), maps_set_name(m, ch.failed_in_prefixes),
		       cgroup_path, errno_text(err), full, fresh ? "attached" : "added");
		return EXIT_SYSTEM;
	}
	trace(1,
	      "%zu key%s into %s and %s: %zu BPF_MAP_UPDATE_BATCH and %zu BPF_MAP_UPDATE_ELEM calls",
	      ch.changed, ch.changed == 1 ? "" : "s", maps_set_name(m, 0), maps_set_name(m, 1),
	      ch.update_calls[1], ch.update_calls[0]);
	if (!fresh && ch.refreshed)
		report("added %zu address%s to %s on %s (%zu there already with a new expiry, %zu as they were)",
		       ch.changed, ch.changed == 1 ? "" : "es", prog_ids, cgroup_path, ch.refreshed,
		       ch.unchanged);
	else if (!fresh)
		report("added %zu address%s to %s on %s (%zu already there)", ch.changed,
		       ch.changed == 1 ? "" : "es", prog_ids, cgroup_path, ch.unchanged);
	return EXIT_OK;
}

int maps_fill_upgrade(const struct maps *m, const struct instance *old,
		      const struct addr_list *block, enum fill_how how, const char *cgroup_path,
		      const char *why)
{
	/* The new maps are set A, the old instance's list "set B", which the switch reads and keeps. */
	struct blocklist_sets sets = sets_of(m);
	struct blocklist_change ch;
	struct addr_list merged = { 0 };
	const struct addr_list *want = block;
	uint64_t now = blocklist_clock();
	int rc = EXIT_SYSTEM;

	sets.set[SET_B].single_fd = bpf_map_get_fd_by_id(old->blocklist_id);
	sets.set[SET_B].prefix_fd = bpf_map_get_fd_by_id(old->blocknets_id);
	sets.keep_old = 1;
	if (sets.set[SET_B].single_fd < 0 || sets.set[SET_B].prefix_fd < 0) {
		report("opening the blocklist of program id %" PRIu32 " on %s: %s%s", old->prog_id,
		       cgroup_path, errno_text(errno), errno == EPERM ? GET_BY_ID_HINT : "");
		goto out;
	}
	if (merged_list(&sets.set[SET_B], block, now, how == FILL_REPLACE, &merged) < 0) {
		report("reading the list of program id %" PRIu32 " on %s: %s; nothing was changed",
		       old->prog_id, cgroup_path, errno_text(errno));
		goto out;
	}
	want = &merged;
	trace(1, "upgrading program id %" PRIu32 " (%s): %zu entries into the new maps",
	      old->prog_id, why, want->cnt);
	rc = switch_to(m, SET_B, &sets, want, now, cgroup_path, &ch);
	if (rc == EXIT_OK)
		report("upgrading program id %" PRIu32
		       " on %s (%s): %zu entries, %zu of them carried with their counters",
		       old->prog_id, cgroup_path, why, want->cnt, ch.unchanged);
out:
	addr_list_free(&merged);
	if (sets.set[SET_B].single_fd >= 0)
		close(sets.set[SET_B].single_fd);
	if (sets.set[SET_B].prefix_fd >= 0)
		close(sets.set[SET_B].prefix_fd);
	return rc;
}

int maps_write_config(const struct maps *m, int log_mode, int policy, const char *cgroup_path)
{
	const uint32_t key = CONFIG_SETTINGS;
	int d;

	for (d = 0; d < DIR_CNT; d++) {
		struct prog_config config;

		if (m->config_fd[d] < 0)
			continue;
		/* What is not asked for stays: a reader's log mode, the instance's policy. */
		memset(&config, 0, sizeof(config));
		if (bpf_map_lookup_elem(m->config_fd[d], &key, &config) < 0)
			memset(&config, 0, sizeof(config));
		if (log_mode >= 0)
			config.log = (uint32_t)log_mode;
		if (policy >= 0)
			config.policy = (uint64_t)policy;
		config.direction = (uint32_t)d;
		if (bpf_map_update_elem(m->config_fd[d], &key, &config, BPF_ANY) < 0) {
			report("writing " CONFIG_MAP_NAME " of the %s program on %s: %s",
			       direction_names[d], cgroup_path, errno_text(errno));
			return EXIT_SYSTEM;
		}
		trace(1,
		      "BPF_MAP_UPDATE_ELEM " CONFIG_MAP_NAME
		      " for %s (fd %d): [0] = { log %s, direction %s, policy %s }",
		      direction_names[d], m->config_fd[d], log_mode_names[config.log % 3],
		      direction_names[d], config.policy == POLICY_DENY ? "deny" : "allow");
	}
	return EXIT_OK;
}

int maps_policy_of(uint32_t config_id, const char *cgroup_path)
{
	const uint32_t key = CONFIG_SETTINGS;
	struct prog_config config;
	struct bpf_map_info info;
	uint32_t len = sizeof(info);
	int fd = bpf_map_get_fd_by_id(config_id), policy = -1;

	memset(&config, 0, sizeof(config));
	memset(&info, 0, sizeof(info));
	/* A larger value (a later version's) would have the kernel write past ours. */
	if (fd >= 0 && bpf_obj_get_info_by_fd(fd, &info, &len) == 0 &&
	    info.value_size == sizeof(config) && bpf_map_lookup_elem(fd, &key, &config) == 0)
		policy = config.policy == POLICY_DENY ? POLICY_DENY : POLICY_ALLOW;
	else
		report("reading the policy of the instance on %s (" CONFIG_MAP_NAME " id %" PRIu32
		       "): %s; nothing was changed: give --default allow or deny",
		       cgroup_path, config_id,
		       fd >= 0 && info.value_size != sizeof(config) ? "a value of another size"
								    : errno_text(errno));
	if (fd >= 0)
		close(fd);
	return policy;
}

int maps_event_counts(const struct maps *m, struct event_counts *c)
{
	const uint32_t key = CONFIG_COUNTS;
	int d, read = 0;

	memset(c, 0, sizeof(*c));
	for (d = 0; d < DIR_CNT; d++) {
		struct prog_config counts;

		memset(&counts, 0, sizeof(counts));
		if (m->config_fd[d] < 0 || bpf_map_lookup_elem(m->config_fd[d], &key, &counts) < 0)
			continue;
		c->full += counts.full;
		c->unsent += counts.unsent;
		if (counts.unsent)
			c->error = counts.error;
		read++;
	}
	return read ? 0 : -1;
}

void maps_fds_for_hook(const struct maps *m, int d, int fds[MAP_ROLE_CNT])
{
	memcpy(fds, m->fd, sizeof(m->fd));
	fds[MAP_CONFIG] = m->config_fd[d];
}

void maps_close(struct maps *m)
{
	int i;

	for (i = 0; i < MAP_ROLE_CNT; i++)
		if (m->fd[i] >= 0)
			close(m->fd[i]);
	for (i = 0; i < DIR_CNT; i++)
		if (m->config_fd[i] >= 0)
			close(m->config_fd[i]);
	maps_init(m);
}
