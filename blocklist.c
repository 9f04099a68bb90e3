/* SPDX-License-Identifier: MIT */
/*
 * blocklist.c - add and remove blocklist keys, all or nothing (blocklist.h).
 *
 * Callers hold the flock on the cgroup directory (cgroup.c, cgroup_lock()),
 * so no other cgroup-skb-egress changes the maps meanwhile; the program
 * itself only ever bumps counters, never adds or removes keys.
 */
#include "blocklist.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "addr.h"
#include "bpf_sys.h"
#include "mem.h"

#define ENOTSUPP 524 /* kernel-internal, but it leaks out of bpf(2) */

static int map_of(const struct blocklist *bl, const struct addr_key *key)
{
	return addr_is_single(key) ? bl->single_fd : bl->prefix_fd;
}

static void note_unchanged(struct blocklist_change *ch, const struct addr_key *key)
{
	if (ch->unchanged < sizeof(ch->first_unchanged) / sizeof(ch->first_unchanged[0]))
		ch->first_unchanged[ch->unchanged] = *key;
	ch->unchanged++;
}

static void note_failed(struct blocklist_change *ch, const struct blocklist *bl,
			const struct addr_key *key)
{
	ch->failed_key = *key;
	ch->failed_in_prefixes = map_of(bl, key) == bl->prefix_fd;
}

/*
 * Insert keys[0..cnt), none of which is in map `fd`, with values[0..cnt),
 * in as few calls as possible: BPF_MAP_UPDATE_BATCH (Linux 5.6) takes
 * thousands per call; older kernels, and maps without batches (the trie),
 * answer EINVAL, ENOTSUPP or EOPNOTSUPP, and then each key gets its own
 * BPF_MAP_UPDATE_ELEM. BPF_ANY, as batches take no other flag; no key is
 * there already (the caller looked, under the lock). On failure *tried
 * says how many keys from the start may be in the map.
 * Without `per_key`, a kernel that refuses batches gets no key at all
 * (EXDEV): the caller wants one system call or none.
 */
static int insert_keys_in(int fd, const struct addr_key *keys, const struct block_entry *values,
			  size_t cnt, int per_key, size_t *tried, struct blocklist_change *ch)
{
	int batch = 1, rc = 0;
	size_t done = 0;

	while (done < cnt && rc == 0) {
		uint32_t chunk =
			(uint32_t)(cnt - done < BLOCKLIST_CHUNK ? cnt - done : BLOCKLIST_CHUNK);
		uint32_t n = chunk;

		ch->update_calls[batch]++;
		if (batch &&
		    bpf_map_update_batch(fd, keys + done, values + done, &n, BPF_ANY) == 0) {
			done += chunk;
		} else if (batch && done == 0 &&
			   (errno == EINVAL || errno == ENOTSUPP || errno == EOPNOTSUPP)) {
			batch = 0; /* not here: one at a time */
			if (!per_key && cnt > 1) {
				errno = EXDEV;
				rc = -1;
			}
		} else if (batch) {
			/*
			 * The kernel reports how many it did before failing; a
			 * count it left as we passed it is not believed, and the
			 * whole chunk counts as tried.
			 */
			ch->failed_key = keys[done + (n < chunk ? n : 0)];
			done += n < chunk ? n : chunk;
			rc = -1;
		} else if (bpf_map_update_elem(fd, &keys[done], &values[done], BPF_ANY) == 0) {
			done++;
		} else {
			ch->failed_key = keys[done];
			rc = -1;
		}
	}
	*tried = done;
	return rc;
}

static int insert_keys(int fd, const struct addr_key *keys, const struct block_entry *values,
		       size_t cnt, size_t *tried, struct blocklist_change *ch)
{
	return insert_keys_in(fd, keys, values, cnt, 1, tried, ch);
}

/*
 * The trie's own keys, sorted. A lookup in an LPM trie answers with the
 * longest stored prefix that covers the key, so it cannot tell whether
 * 10.1.0.0/16 itself is there when 10.0.0.0/8 is: exact membership needs
 * the keys. Prefix lists are short; the walk is cheap.
 */
struct key_set {
	struct addr_key *key;
	size_t cnt;
};

int blocklist_keys(int fd, struct addr_key **keys, size_t *cnt)
{
	struct addr_key cur, next;
	size_t cap = 0;

	*keys = NULL;
	*cnt = 0;
	for (errno = 0;
	     *cnt < BLOCKLIST_WALK_MAX && bpf_map_get_next_key(fd, *cnt ? &cur : NULL, &next) == 0;
	     cur = next) {
		if (*cnt == cap) {
			struct addr_key *grown;

			cap = cap ? cap * 2 : 256;
			grown = mem_resize(*keys, cap * sizeof(*grown));
			if (!grown) {
				errno = ENOMEM;
				return -1;
			}
			*keys = grown;
		}
		(*keys)[(*cnt)++] = next;
	}
	return errno != ENOENT && *cnt < BLOCKLIST_WALK_MAX ? -1 : 0;
}

static int read_prefixes(int fd, struct key_set *set)
{
	if (blocklist_keys(fd, &set->key, &set->cnt) < 0)
		return -1;
	if (set->cnt > 1)
		addr_sort(set->key, set->cnt, sizeof(*set->key));
	return 0;
}

/* Whether `key` is in the blocklist, exactly: 1 (and its counter), 0, or -1 with errno. */
static int has_key(const struct blocklist *bl, const struct key_set *prefixes,
		   const struct addr_key *key, struct block_entry *value)
{
	if (addr_is_single(key)) {
		if (bpf_map_lookup_elem(bl->single_fd, key, value) == 0)
			return 1;
		return errno == ENOENT ? 0 : -1;
	}
	if (!addr_find(key, prefixes->key, prefixes->cnt))
		return 0;
	/* It is there itself, so the longest match is itself. */
	return bpf_map_lookup_elem(bl->prefix_fd, key, value) == 0 ? 1 : -1;
}

/* Whether any of the entries is a prefix: then the trie's keys are needed. */
static int any_prefix(const struct addr_entry *entries, size_t cnt)
{
	size_t i;

	for (i = 0; i < cnt; i++)
		if (!addr_is_single(&entries[i].key))
			return 1;
	return 0;
}

/* An entry there already, to be given a new expiry. */
struct refreshed {
	struct addr_key key;
	struct block_entry old; /* as it was: what a failure puts back */
	uint64_t expires;
};

/* Delete keys[0..cnt) from map `fd`, whatever each answers: undoing an insert. */
static void delete_keys(int fd, const struct addr_key *keys, size_t cnt)
{
	size_t i;

	for (i = 0; i < cnt; i++)
		bpf_map_delete_elem(fd, &keys[i]);
}

/* When an entry blocked `timeout_ns` from `now_ns` lapses: 0 for never. */
static uint64_t expiry(uint64_t now_ns, uint64_t timeout_ns)
{
	return timeout_ns ? now_ns + timeout_ns : 0;
}

/*
 * Give each of the `cnt` entries there already its new expiry, keeping the
 * counter it has now: read just before the write, so that only the drops
 * counted between the two are lost. Returns 0, or -1 with errno after
 * writing back the values of those done.
 */
static int refresh(const struct blocklist *bl, struct refreshed *r, size_t cnt,
		   struct blocklist_change *ch)
{
	size_t i;
	int err;

	for (i = 0; i < cnt; i++) {
		struct block_entry now = r[i].old;
		int fd = map_of(bl, &r[i].key);

		bpf_map_lookup_elem(fd, &r[i].key, &now);
		r[i].old = now;
		now.expires = r[i].expires;
		if (bpf_map_update_elem(fd, &r[i].key, &now, BPF_EXIST) < 0)
			goto undo;
	}
	return 0;
undo:
	err = errno;
	note_failed(ch, bl, &r[i].key);
	while (i--)
		bpf_map_update_elem(map_of(bl, &r[i].key), &r[i].key, &r[i].old, BPF_EXIST);
	errno = err;
	return -1;
}

int blocklist_add(const struct blocklist *bl, const struct addr_entry *entries, size_t cnt,
		  enum blocklist_mode mode, uint64_t now_ns, struct blocklist_change *ch)
{
	const int fresh = mode == BLOCKLIST_FRESH;
	struct addr_key *add = NULL;
	struct block_entry *values = NULL;
	struct refreshed *again = NULL;
	struct key_set trie = { NULL, 0 };
	size_t singles = 0, prefixes = 0, refreshes = 0, tried = 0, i;
	int rc = -1, err;

	memset(ch, 0, sizeof(*ch));
	if (!cnt)
		return 0;
	add = mem_alloc(cnt * sizeof(*add));
	values = mem_alloc(cnt * sizeof(*values));
	again = fresh ? NULL : mem_alloc(cnt * sizeof(*again));
	if (!add || !values || (!fresh && !again)) {
		errno = ENOMEM;
		goto out;
	}
	if (!fresh && any_prefix(entries, cnt) && read_prefixes(bl->prefix_fd, &trie) < 0) {
		ch->failed_in_prefixes = 1; /* and failed_key all zero: "reading BLOCKNETS" */
		goto out;
	}
	/*
	 * The keys to insert, single addresses at the front and prefixes at the
	 * back, with their values. On maps in use, only keys not there yet;
	 * one already there keeps its counter, and gets its new expiry.
	 */
	for (i = 0; i < cnt; i++) {
		const struct addr_key *key = &entries[i].key;
		struct block_entry value = { 0, expiry(now_ns, entries[i].timeout_ns) };
		struct block_entry old = { 0, 0 };
		int there = fresh ? 0 : has_key(bl, &trie, key, &old);

		if (there > 0 && old.expires == value.expires) {
			note_unchanged(ch, key);
		} else if (there > 0) {
			again[refreshes].key = *key;
			again[refreshes].old = old;
			again[refreshes++].expires = value.expires;
		} else if (there < 0) {
			note_failed(ch, bl, key);
			goto out;
		} else if (addr_is_single(key)) {
			values[singles] = value;
			add[singles++] = *key;
		} else {
			prefixes++;
			values[cnt - prefixes] = value;
			add[cnt - prefixes] = *key;
		}
	}
	/* More than one system call, which a kill could cut short: the caller switches instead. */
	if (mode == BLOCKLIST_ONE_CALL && singles + prefixes + refreshes > 1 &&
	    (prefixes || refreshes || singles > BLOCKLIST_CHUNK)) {
		errno = EXDEV;
		goto out;
	}
	if (insert_keys_in(bl->single_fd, add, values, singles, mode != BLOCKLIST_ONE_CALL, &tried,
			   ch) < 0) {
		err = errno;
		delete_keys(bl->single_fd, add, tried);
		errno = err;
		goto out;
	}
	if (insert_keys(bl->prefix_fd, add + cnt - prefixes, values + cnt - prefixes, prefixes,
			&tried, ch) < 0) {
		err = errno;
		ch->failed_in_prefixes = 1;
		delete_keys(bl->prefix_fd, add + cnt - prefixes, tried);
		delete_keys(bl->single_fd, add, singles);
		errno = err;
		goto out;
	}
	if (refreshes && refresh(bl, again, refreshes, ch) < 0) {
		err = errno;
		delete_keys(bl->prefix_fd, add + cnt - prefixes, prefixes);
		delete_keys(bl->single_fd, add, singles);
		errno = err;
		goto out;
	}
	ch->changed = singles + prefixes;
	ch->refreshed = refreshes;
	rc = 0;
out:
	err = errno;
	mem_free(add);
	mem_free(values);
	mem_free(again);
	mem_free(trie.key);
	errno = err;
	return rc;
}

int blocklist_remove(const struct blocklist *bl, const struct addr_entry *entries, size_t cnt,
		     int strict, struct blocklist_change *ch)
{
	struct removed {
		struct addr_key key;
		struct block_entry value;
	} *gone = NULL;
	struct key_set trie = { NULL, 0 };
	size_t gone_cnt = 0, i, j;
	int rc = -1, err;

	memset(ch, 0, sizeof(*ch));
	if (!cnt)
		return 0;
	gone = mem_alloc(cnt * sizeof(*gone));
	if (!gone) {
		errno = ENOMEM;
		return -1;
	}
	if (any_prefix(entries, cnt) && read_prefixes(bl->prefix_fd, &trie) < 0) {
		ch->failed_in_prefixes = 1;
		goto out;
	}
	/* Look first, so that --strict can refuse before anything changes. */
	for (i = 0; i < cnt; i++) {
		const struct addr_key *key = &entries[i].key;
		int there = has_key(bl, &trie, key, &gone[gone_cnt].value);

		if (there > 0) {
			gone[gone_cnt++].key = *key;
		} else if (there == 0) {
			note_unchanged(ch, key);
		} else {
			note_failed(ch, bl, key);
			goto out;
		}
	}
	if (strict && ch->unchanged) {
		rc = 1;
		goto out;
	}
	for (i = 0; i < gone_cnt; i++) {
		/* ENOENT: gone already, which is what was asked. */
		if (bpf_map_delete_elem(map_of(bl, &gone[i].key), &gone[i].key) == 0 ||
		    errno == ENOENT)
			continue;
		err = errno;
		note_failed(ch, bl, &gone[i].key);
		/* Put back what went, with the counts it had. */
		for (j = 0; j < i; j++)
			bpf_map_update_elem(map_of(bl, &gone[j].key), &gone[j].key, &gone[j].value,
					    BPF_NOEXIST);
		errno = err;
		goto out;
	}
	ch->changed = gone_cnt;
	rc = 0;
out:
	err = errno;
	mem_free(gone);
	mem_free(trie.key);
	errno = err;
	return rc;
}

uint64_t blocklist_clock(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/*
 * Call fn for every entry of set `bl`, both maps, with its value; an entry
 * deleted between the walk and its lookup is skipped. Returns 0, the first
 * non-zero fn returns, or -1 with errno when the kernel will not answer.
 */
static int each_entry(const struct blocklist *bl,
		      int (*fn)(void *ctx, int fd, const struct addr_key *key,
				const struct block_entry *value),
		      void *ctx)
{
	const int fds[2] = { bl->single_fd, bl->prefix_fd };
	size_t i, k;
	int rc = 0;

	for (k = 0; k < 2 && rc == 0; k++) {
		struct addr_key *keys;
		size_t cnt;

		if (blocklist_keys(fds[k], &keys, &cnt) < 0)
			return -1;
		for (i = 0; i < cnt && rc == 0; i++) {
			struct block_entry e = { 0, 0 };

			if (bpf_map_lookup_elem(fds[k], &keys[i], &e) == 0)
				rc = fn(ctx, fds[k], &keys[i], &e);
			else if (errno != ENOENT)
				rc = -1;
		}
		mem_free(keys);
	}
	return rc;
}

struct purging {
	uint64_t now_ns, next_expiry;
	size_t removed;
};

/* each_entry(): delete a lapsed entry, or note when a live one lapses. */
static int purge_one(void *ctx, int fd, const struct addr_key *key, const struct block_entry *e)
{
	struct purging *p = ctx;

	if (!e->expires)
		return 0;
	if (e->expires > p->now_ns) {
		if (!p->next_expiry || e->expires < p->next_expiry)
			p->next_expiry = e->expires;
	} else if (bpf_map_delete_elem(fd, key) == 0) {
		p->removed++;
	}
	return 0;
}

long blocklist_purge_due(const struct blocklist *bl, int active_fd, uint64_t now_ns,
			 struct active_set *active)
{
	const uint32_t first = 0;
	struct active_set was;
	struct purging p = { now_ns, 0, 0 };

	memset(active, 0, sizeof(*active));
	if (active_fd < 0)
		return 0;
	if (bpf_map_lookup_elem(active_fd, &first, active) < 0)
		return -1;
	if (!active->next_expiry || now_ns < active->next_expiry)
		return 0;
	was = *active;
	if (each_entry(bl, purge_one, &p) < 0)
		return -1;
	active->next_expiry = p.next_expiry;
	/* Only the hint changes: set stays as read, and we hold the lock. */
	if (active->next_expiry != was.next_expiry &&
	    bpf_map_update_elem(active_fd, &first, active, BPF_EXIST) < 0)
		return -1;
	return (long)p.removed;
}

struct reading {
	uint64_t now_ns;
	struct addr_list *out;
};

/* each_entry(): a live entry into the list, with the time it has left. */
static int read_one(void *ctx, int fd, const struct addr_key *key, const struct block_entry *e)
{
	struct reading *r = ctx;

	(void)fd;
	if (e->expires && e->expires <= r->now_ns)
		return 0; /* lapsed: not part of the list */
	if (addr_list_add(r->out, key, e->expires ? e->expires - r->now_ns : 0) < 0) {
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

int blocklist_read(const struct blocklist *bl, uint64_t now_ns, struct addr_list *out)
{
	struct reading r = { now_ns, out };

	if (each_entry(bl, read_one, &r) < 0)
		return -1;
	addr_list_unique(out);
	return 0;
}

/* Delete every key of set `bl`, whatever each answers. */
static void empty_set(const struct blocklist *bl)
{
	const int fds[2] = { bl->single_fd, bl->prefix_fd };
	struct addr_key *keys;
	size_t cnt, k;

	for (k = 0; k < 2; k++)
		if (blocklist_keys(fds[k], &keys, &cnt) == 0) {
			delete_keys(fds[k], keys, cnt);
			mem_free(keys);
		}
}

/*
 * After a switch: the drops the program counted in map `from_fd` since each
 * of keys[0..cnt) was copied (with copied[i]) are added to its entry in
 * `to_fd`.
 */
static void carry_drops(int from_fd, int to_fd, const struct addr_key *keys, const uint64_t *copied,
			size_t cnt)
{
	size_t i;

	for (i = 0; i < cnt; i++) {
		struct block_entry was = { 0, 0 }, is = { 0, 0 };

		if (bpf_map_lookup_elem(from_fd, &keys[i], &was) < 0 || was.drops == copied[i] ||
		    bpf_map_lookup_elem(to_fd, &keys[i], &is) < 0)
			continue;
		is.drops += was.drops - copied[i];
		bpf_map_update_elem(to_fd, &keys[i], &is, BPF_EXIST);
	}
}

int blocklist_switch(const struct blocklist_sets *s, uint32_t active,
		     const struct addr_entry *entries, size_t cnt, uint64_t now_ns,
		     struct blocklist_change *ch)
{
	const struct blocklist *from = &s->set[active], *to = &s->set[!active];
	const uint32_t first = 0;
	struct active_set next = { !active, 0, 0 };
	struct addr_key *keys = NULL, *old_singles = NULL;
	struct block_entry *values = NULL;
	uint64_t *copied = NULL; /* the counter as copied, for the drops counted after */
	struct key_set trie = { NULL, 0 };
	size_t singles = 0, prefixes = 0, old_cnt = 0, tried, i;
	int rc = -1, err;

	memset(ch, 0, sizeof(*ch));
	keys = mem_alloc((cnt ? cnt : 1) * sizeof(*keys));
	values = mem_alloc((cnt ? cnt : 1) * sizeof(*values));
	copied = mem_alloc((cnt ? cnt : 1) * sizeof(*copied));
	if (!keys || !values || !copied) {
		errno = ENOMEM;
		goto out;
	}
	if (read_prefixes(from->prefix_fd, &trie) < 0 ||
	    blocklist_keys(from->single_fd, &old_singles, &old_cnt) < 0) {
		ch->failed_in_prefixes = !trie.key;
		goto out;
	}
	old_cnt += trie.cnt;
	/* A set not in use may hold what a killed command left: it starts empty. */
	empty_set(to);
	for (i = 0; i < cnt; i++) {
		const struct addr_key *key = &entries[i].key;
		struct block_entry old = { 0, 0 };
		size_t at;
		int there = has_key(from, &trie, key, &old);

		if (there < 0) {
			note_failed(ch, from, key);
			goto out;
		}
		if (there)
			ch->unchanged++; /* kept: its counter goes with it */
		else
			ch->changed++;
		at = addr_is_single(key) ? singles++ : cnt - ++prefixes;
		keys[at] = *key;
		values[at].drops = old.drops;
		values[at].expires = expiry(now_ns, entries[i].timeout_ns);
		copied[at] = old.drops;
		if (values[at].expires &&
		    (!next.next_expiry || values[at].expires < next.next_expiry))
			next.next_expiry = values[at].expires;
		next.allows |= key->allow;
	}
	if (insert_keys(to->single_fd, keys, values, singles, &tried, ch) < 0 ||
	    insert_keys(to->prefix_fd, keys + cnt - prefixes, values + cnt - prefixes, prefixes,
			&tried, ch) < 0) {
		err = errno;
		ch->failed_in_prefixes = tried < prefixes && singles == 0;
		empty_set(to);
		errno = err;
		goto out;
	}
	/*
	 * The switch: one update, after which every packet is judged by the
	 * new set. Killed before it, the old list stands whole; after it, the
	 * new one does.
	 */
	ch->update_calls[0]++;
	ch->switch_ns = blocklist_clock();
	rc = bpf_map_update_elem(s->active_fd, &first, &next, BPF_EXIST);
	err = errno;
	ch->switch_ns = blocklist_clock() - ch->switch_ns;
	if (rc < 0) {
		rc = -1;
		empty_set(to);
		errno = err;
		goto out;
	}
	ch->switched = 1;
	ch->removed = old_cnt - ch->unchanged;
	/*
	 * Drops the program counted in the old set between the copy and the
	 * switch go over to the new one. Those counted in the microseconds
	 * between a lookup and its update here can be missed.
	 */
	carry_drops(from->single_fd, to->single_fd, keys, copied, singles);
	carry_drops(from->prefix_fd, to->prefix_fd, keys + cnt - prefixes, copied + cnt - prefixes,
		    prefixes);
	/* The old set's keys were read above, under the lock: nobody has added one since. */
	if (!s->keep_old) {
		delete_keys(from->single_fd, old_singles, old_cnt - trie.cnt);
		delete_keys(from->prefix_fd, trie.key, trie.cnt);
	}
	rc = 0;
out:
	err = errno;
	mem_free(keys);
	mem_free(values);
	mem_free(copied);
	mem_free(old_singles);
	mem_free(trie.key);
	errno = err;
	return rc;
}

int blocklist_remove_switched(const struct blocklist_sets *s, uint32_t active,
			      const struct addr_list *remove, int strict, uint64_t now_ns,
			      struct blocklist_change *ch)
{
	struct addr_list old = { 0 }, rest = { 0 };
	size_t absent = 0, i;
	int rc = -1, err;

	memset(ch, 0, sizeof(*ch));
	if (blocklist_read(&s->set[active], now_ns, &old) < 0)
		return -1;
	for (i = 0; i < remove->cnt; i++)
		if (addr_list_find(&old, &remove->e[i].key) < 0)
			note_unchanged(ch, &remove->e[i].key), absent++;
	if (strict && absent) {
		rc = 1;
		goto out;
	}
	/* The list without them (`remove` is sorted and unique, as old is). */
	for (i = 0; i < old.cnt; i++) {
		if (addr_list_find(remove, &old.e[i].key) >= 0)
			continue;
		if (addr_list_add(&rest, &old.e[i].key, old.e[i].timeout_ns) < 0) {
			errno = ENOMEM;
			goto out;
		}
	}
	{
		size_t unchanged = ch->unchanged;
		struct addr_key first[3];

		memcpy(first, ch->first_unchanged, sizeof(first));
		if (blocklist_switch(s, active, rest.e, rest.cnt, now_ns, ch) < 0)
			goto out;
		ch->changed = ch->removed;
		ch->unchanged = unchanged;
		memcpy(ch->first_unchanged, first, sizeof(first));
	}
	rc = 0;
out:
	err = errno;
	addr_list_free(&old);
	addr_list_free(&rest);
	errno = err;
	return rc;
}
