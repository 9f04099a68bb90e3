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
 * thousands per call; older kernels, and maps without batches (the trie
 * before 5.13), answer EINVAL, ENOTSUPP or EOPNOTSUPP, and then each key gets its own
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

/* The kernel or the map has no such batch command: go one key at a time. */
static int batch_refused(void)
{
	return errno == EINVAL || errno == ENOTSUPP || errno == EOPNOTSUPP;
}

/* Room in *keys (and *values, unless NULL) for `want` entries. */
static int make_room(struct addr_key **keys, struct block_entry **values, size_t *cap, size_t want)
{
	size_t grown = *cap ? *cap : 256;
	void *k, *v;

	while (grown < want)
		grown *= 2;
	if (grown == *cap)
		return 0;
	k = mem_resize(*keys, grown * sizeof(**keys));
	if (k)
		*keys = k;
	v = values && k ? mem_resize(*values, grown * sizeof(**values)) : NULL;
	if (v)
		*values = v;
	if (!k || (values && !v)) {
		errno = ENOMEM;
		return -1;
	}
	*cap = grown;
	return 0;
}

/*
 * The map's value size, if we can read its values: the first layout's are
 * 8 bytes (the counter alone); larger ones are a later layout's, which
 * would not fit our struct. -1 with errno (EPROTO for those).
 */
static long value_size_of(int fd)
{
	struct bpf_map_info info;
	uint32_t len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len) < 0)
		return -1;
	if (info.value_size > sizeof(struct block_entry) || info.value_size % sizeof(uint64_t)) {
		errno = EPROTO;
		return -1;
	}
	return info.value_size;
}

/*
 * A batch packs values at the map's value size: smaller values each go to
 * their own struct, from the last so that none is overwritten before it
 * moves; the expiry 0 (never).
 */
static void spread_values(struct block_entry *values, size_t cnt, size_t value_size)
{
	size_t i;

	for (i = cnt; value_size < sizeof(*values) && i-- > 0;) {
		struct block_entry e = { 0, 0 };

		memcpy(&e, (const char *)values + i * value_size, value_size);
		values[i] = e;
	}
}

/*
 * Where a batch call goes on. A hash's cursor is a bucket number, 4
 * bytes; the trie's (batches from Linux 5.13, the kernel's generic walk)
 * is the last key read. The kernel writes as many bytes as its kind
 * takes, so the room is a key's.
 */
union batch_cursor {
	uint32_t bucket;
	struct addr_key key;
};

/*
 * BPF_MAP_LOOKUP_BATCH: up to BLOCKLIST_CHUNK entries a call, keys and
 * values, each batch's values spread to our struct as it comes
 * (spread_values()). `scratch` takes the values when the caller wants
 * none. Returns 0, 1 when the kernel or map has no batches (nothing read),
 * or -1 with errno.
 */
static int read_batched(int fd, struct addr_key **keys, struct block_entry **values,
			struct block_entry *scratch, size_t value_size, size_t *cnt, size_t *cap)
{
	union batch_cursor at, next;

	memset(&at, 0, sizeof(at));
	memset(&next, 0, sizeof(next));
	/* A map holds at most --max-entries' ceiling: more is the end, as for the walk. */
	while (*cnt < BLOCKLIST_WALK_MAX) {
		uint32_t n = BLOCKLIST_CHUNK;
		struct block_entry *into;
		int rc;

		if (make_room(keys, values, cap, *cnt + BLOCKLIST_CHUNK) < 0)
			return -1;
		into = values ? *values + *cnt : scratch;
		/*
		 * Zeroed first: no stale bytes past a short answer, and valgrind,
		 * which does not know what a batch call writes, sees them set.
		 */
		memset(*keys + *cnt, 0, BLOCKLIST_CHUNK * sizeof(**keys));
		memset(into, 0, BLOCKLIST_CHUNK * sizeof(*into));
		rc = bpf_map_lookup_batch(fd, *cnt ? &at : NULL, &next, *keys + *cnt, into, &n, 0);
		if (rc < 0 && errno != ENOENT)
			return *cnt == 0 && batch_refused() ? 1 : -1;
		if (n > BLOCKLIST_CHUNK) {
			errno = EPROTO; /* more than was asked for: nothing to believe */
			return -1;
		}
		spread_values(into, n, value_size);
		*cnt += n;
		if (rc < 0 || n == 0)
			return 0; /* ENOENT: that was the last (and none at all is the end too) */
		at = next;
	}
	return 0;
}

/*
 * The walk without batches: BPF_MAP_GET_NEXT_KEY once per key. A key
 * deleted meanwhile restarts the kernel's walk from the first, so
 * BLOCKLIST_WALK_MAX keys end it.
 */
static int read_walked(int fd, struct addr_key **keys, size_t *cnt, size_t *cap)
{
	struct addr_key cur, next;

	for (errno = 0;
	     *cnt < BLOCKLIST_WALK_MAX && bpf_map_get_next_key(fd, *cnt ? &cur : NULL, &next) == 0;
	     cur = next) {
		if (make_room(keys, NULL, cap, *cnt + 1) < 0)
			return -1;
		(*keys)[(*cnt)++] = next;
	}
	return errno != ENOENT && *cnt < BLOCKLIST_WALK_MAX ? -1 : 0;
}

/* Without batches, each key's value: one BPF_MAP_LOOKUP_ELEM each; keys deleted meanwhile go. */
static int lookup_each(int fd, struct addr_key *keys, struct block_entry *values, size_t *cnt)
{
	size_t i, kept = 0;

	for (i = 0; i < *cnt; i++) {
		memset(&values[kept], 0, sizeof(values[kept]));
		if (bpf_map_lookup_elem(fd, &keys[i], &values[kept]) == 0)
			keys[kept++] = keys[i];
		else if (errno != ENOENT)
			return -1;
	}
	*cnt = kept;
	return 0;
}

int blocklist_entries(int fd, struct addr_key **keys, struct block_entry **values, size_t *cnt)
{
	struct block_entry *scratch = values ? NULL : mem_alloc(BLOCKLIST_CHUNK * sizeof(*scratch));
	size_t cap = 0;
	long value_size;
	int rc = -1, err;

	*keys = NULL;
	if (values)
		*values = NULL;
	*cnt = 0;
	if (!values && !scratch) {
		errno = ENOMEM;
		return -1;
	}
	/* Also when only keys are wanted: the batch writes values, into `scratch`. */
	value_size = value_size_of(fd);
	rc = value_size < 0
		     ? -1
		     : read_batched(fd, keys, values, scratch, (size_t)value_size, cnt, &cap);
	if (rc == 1) {
		rc = read_walked(fd, keys, cnt, &cap);
		if (rc == 0 && values) {
			/* read_batched() made room for a batch of values; a walk's need all. */
			mem_free(*values);
			*values = mem_alloc((*cnt ? *cnt : 1) * sizeof(**values));
			rc = *values ? lookup_each(fd, *keys, *values, cnt) : (errno = ENOMEM, -1);
		}
	}
	err = errno;
	mem_free(scratch);
	if (rc < 0) {
		mem_free(*keys);
		*keys = NULL;
		if (values) {
			mem_free(*values);
			*values = NULL;
		}
		*cnt = 0;
	}
	errno = err;
	return rc;
}

int blocklist_keys(int fd, struct addr_key **keys, size_t *cnt)
{
	return blocklist_entries(fd, keys, NULL, cnt);
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

/*
 * Delete keys[0..cnt) from map `fd`, whatever each answers (undoing an
 * insert, emptying a set): BPF_MAP_DELETE_BATCH, which stops at a key it
 * cannot delete (one absent, say), so the batch goes on after it; one
 * BPF_MAP_DELETE_ELEM per key where there are no batches.
 */
static void delete_keys(int fd, const struct addr_key *keys, size_t cnt)
{
	size_t done = 0;

	while (done < cnt) {
		uint32_t chunk =
			(uint32_t)(cnt - done < BLOCKLIST_CHUNK ? cnt - done : BLOCKLIST_CHUNK);
		uint32_t n = chunk;

		if (bpf_map_delete_batch(fd, keys + done, &n) == 0) {
			done += chunk;
		} else if (done == 0 && batch_refused()) {
			break;
		} else {
			done += (n < chunk ? n : chunk - 1) + 1; /* past the key it stopped at */
		}
	}
	for (; done < cnt; done++)
		bpf_map_delete_elem(fd, &keys[done]);
}

/*
 * Delete every entry of map `fd`: BPF_MAP_LOOKUP_AND_DELETE_BATCH, which
 * needs no list of the keys first; else read them and delete them.
 */
static void empty_map(int fd)
{
	struct addr_key *keys = mem_alloc(BLOCKLIST_CHUNK * sizeof(*keys));
	struct block_entry *values = mem_alloc(BLOCKLIST_CHUNK * sizeof(*values));
	union batch_cursor at, next;
	uint32_t n = 1;
	size_t cnt = 0;
	/* Values larger than ours would be written past the buffer: those maps go to the walk. */
	int emptied = 0, fits = value_size_of(fd) >= 0;

	memset(&at, 0, sizeof(at));
	memset(&next, 0, sizeof(next));
	/* Until ENOENT, the end; anything else (refused, failed, nothing done) goes to the walk. */
	while (keys && values && fits && n) {
		n = BLOCKLIST_CHUNK;
		if (bpf_map_lookup_batch(fd, cnt ? &at : NULL, &next, keys, values, &n, 1) < 0) {
			emptied = errno == ENOENT;
			break;
		}
		cnt += n;
		at = next;
	}
	mem_free(keys);
	mem_free(values);
	if (emptied)
		return;
	if (blocklist_keys(fd, &keys, &cnt) == 0) {
		delete_keys(fd, keys, cnt);
		mem_free(keys);
	}
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

/* Keys and values staged for one map of a set, BLOCKLIST_CHUNK at most. */
struct staged {
	int fd;
	struct addr_key *keys;
	struct block_entry *values;
	size_t cnt;
};

/*
 * Put what `st` holds into its map (insert_keys()), and empty it; on
 * failure, say which map refused. 0, or -1 with errno.
 */
static int flush_staged(const struct blocklist *bl, struct staged *st, struct blocklist_change *ch)
{
	size_t tried, n = st->cnt;

	st->cnt = 0;
	if (!n || insert_keys(st->fd, st->keys, st->values, n, &tried, ch) == 0)
		return 0;
	ch->failed_in_prefixes = st->fd == bl->prefix_fd;
	return -1;
}

/*
 * BLOCKLIST_FRESH: every entry is new, so none is looked up. Keys and
 * values are staged BLOCKLIST_CHUNK at a time, a buffer for each map,
 * which stays in the CPU's cache: arrays of the whole list would be
 * written once and read once through memory (a million entries: 40 MB).
 * On failure, what went in is deleted again, a key per call (rare, and
 * the maps are attached nowhere).
 */
static int add_fresh(const struct blocklist *bl, const struct addr_entry *entries, size_t cnt,
		     uint64_t now_ns, struct blocklist_change *ch)
{
	struct staged st[2] = { { bl->single_fd, NULL, NULL, 0 },
				{ bl->prefix_fd, NULL, NULL, 0 } };
	size_t i = 0, k;
	int rc = -1, err;

	for (k = 0; k < 2; k++) {
		st[k].keys = mem_alloc(BLOCKLIST_CHUNK * sizeof(*st[k].keys));
		st[k].values = mem_alloc(BLOCKLIST_CHUNK * sizeof(*st[k].values));
		if (!st[k].keys || !st[k].values) {
			errno = ENOMEM;
			goto out;
		}
	}
	while (i < cnt) {
		struct staged *to = &st[!addr_is_single(&entries[i].key)];

		to->keys[to->cnt] = entries[i].key;
		to->values[to->cnt].drops = 0;
		to->values[to->cnt++].expires = expiry(now_ns, entries[i].timeout_ns);
		i++; /* entries[0..i) may be in a map from here */
		if (to->cnt == BLOCKLIST_CHUNK && flush_staged(bl, to, ch) < 0)
			goto undo;
	}
	if (flush_staged(bl, &st[0], ch) < 0 || flush_staged(bl, &st[1], ch) < 0)
		goto undo;
	ch->changed = cnt;
	rc = 0;
	goto out;
undo:
	err = errno;
	while (i-- > 0)
		bpf_map_delete_elem(map_of(bl, &entries[i].key), &entries[i].key);
	errno = err;
out:
	err = errno;
	for (k = 0; k < 2; k++) {
		mem_free(st[k].keys);
		mem_free(st[k].values);
	}
	errno = err;
	return rc;
}

int blocklist_add(const struct blocklist *bl, const struct addr_entry *entries, size_t cnt,
		  enum blocklist_mode mode, uint64_t now_ns, struct blocklist_change *ch)
{
	struct addr_key *add = NULL;
	struct block_entry *values = NULL;
	struct refreshed *again = NULL;
	struct key_set trie = { NULL, 0 };
	size_t singles = 0, prefixes = 0, refreshes = 0, tried = 0, i;
	int rc = -1, err;

	memset(ch, 0, sizeof(*ch));
	if (!cnt)
		return 0;
	if (mode == BLOCKLIST_FRESH)
		return add_fresh(bl, entries, cnt, now_ns, ch);
	add = mem_alloc(cnt * sizeof(*add));
	values = mem_alloc(cnt * sizeof(*values));
	again = mem_alloc(cnt * sizeof(*again));
	if (!add || !values || !again) {
		errno = ENOMEM;
		goto out;
	}
	if (any_prefix(entries, cnt) && read_prefixes(bl->prefix_fd, &trie) < 0) {
		ch->failed_in_prefixes = 1; /* and failed_key all zero: "reading BLOCKNETS" */
		goto out;
	}
	/*
	 * The keys to insert, single addresses at the front and prefixes at the
	 * back, with their values: only keys not there yet; one already there
	 * keeps its counter, and gets its new expiry.
	 */
	for (i = 0; i < cnt; i++) {
		const struct addr_key *key = &entries[i].key;
		struct block_entry value = { 0, expiry(now_ns, entries[i].timeout_ns) };
		struct block_entry old = { 0, 0 };
		int there = has_key(bl, &trie, key, &old);

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
 * Call fn for every entry of set `bl`, both maps, with its value
 * (blocklist_entries(), which leaves out an entry deleted while it reads). Returns 0, the first
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
		struct block_entry *values;
		size_t cnt;

		if (blocklist_entries(fds[k], &keys, &values, &cnt) < 0)
			return -1;
		for (i = 0; i < cnt && rc == 0; i++)
			rc = fn(ctx, fds[k], &keys[i], &values[i]);
		mem_free(keys);
		mem_free(values);
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

/* An entry of a set as read: its key and value. */
struct old_entry {
	struct addr_key key; /* first, for addr_sort() */
	struct block_entry value;
};

/*
 * Both maps of a set, read once, under the lock: every entry (lapsed ones
 * too) with its value, sorted, and each map's keys, to delete them by.
 */
struct snapshot {
	struct old_entry *e;
	size_t cnt;
	struct addr_key *keys[2]; /* [0] the hash's, [1] the trie's */
	size_t keys_cnt[2];
};

static void snapshot_free(struct snapshot *snap)
{
	mem_free(snap->e);
	mem_free(snap->keys[0]);
	mem_free(snap->keys[1]);
	memset(snap, 0, sizeof(*snap));
}

static int read_snapshot(const struct blocklist *bl, struct snapshot *snap)
{
	const int fds[2] = { bl->single_fd, bl->prefix_fd };
	size_t i, k;
	int err;

	memset(snap, 0, sizeof(*snap));
	for (k = 0; k < 2; k++) {
		struct block_entry *values;
		const size_t cnt = snap->cnt;
		struct old_entry *grown;

		if (blocklist_entries(fds[k], &snap->keys[k], &values, &snap->keys_cnt[k]) < 0)
			goto fail;
		grown = snap->keys_cnt[k]
				? mem_resize(snap->e, (cnt + snap->keys_cnt[k]) * sizeof(*grown))
				: snap->e;
		if (snap->keys_cnt[k] && !grown) {
			mem_free(values);
			errno = ENOMEM;
			goto fail;
		}
		snap->e = grown;
		for (i = 0; i < snap->keys_cnt[k]; i++) {
			snap->e[cnt + i].key = snap->keys[k][i];
			snap->e[cnt + i].value = values[i];
		}
		snap->cnt += snap->keys_cnt[k];
		mem_free(values);
	}
	addr_sort(snap->e, snap->cnt, sizeof(*snap->e));
	return 0;
fail:
	err = errno;
	snapshot_free(snap);
	errno = err;
	return -1;
}

/*
 * The live entries of `snap` (not lapsed by `now_ns`) with the time each
 * has left, appended to `out`. 0, or -1 with ENOMEM.
 */
static int append_live(const struct snapshot *snap, uint64_t now_ns, struct addr_list *out)
{
	size_t i;

	for (i = 0; i < snap->cnt; i++) {
		const struct block_entry *e = &snap->e[i].value;

		if (e->expires && e->expires <= now_ns)
			continue; /* lapsed: not part of the list */
		if (addr_list_add(out, &snap->e[i].key, e->expires ? e->expires - now_ns : 0) < 0) {
			errno = ENOMEM;
			return -1;
		}
	}
	return 0;
}

int blocklist_read(const struct blocklist *bl, uint64_t now_ns, struct addr_list *out)
{
	struct snapshot snap;
	int rc, err;

	if (read_snapshot(bl, &snap) < 0)
		return -1;
	rc = append_live(&snap, now_ns, out);
	err = errno;
	snapshot_free(&snap);
	addr_list_unique(out);
	errno = err;
	return rc;
}

/* Delete every key of set `bl`, whatever each answers. */
static void empty_set(const struct blocklist *bl)
{
	empty_map(bl->single_fd);
	empty_map(bl->prefix_fd);
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

/*
 * blocklist_switch() from set `active`, whose entries `old` holds: each
 * kept entry's counter comes from it, and its keys are what is deleted
 * after the switch.
 */
static int switch_from(const struct blocklist_sets *s, uint32_t active, const struct snapshot *old,
		       const struct addr_entry *entries, size_t cnt, uint64_t now_ns,
		       struct blocklist_change *ch)
{
	const struct blocklist *from = &s->set[active], *to = &s->set[!active];
	const uint32_t first = 0;
	struct active_set next = { !active, 0, 0 };
	struct addr_key *keys = NULL;
	struct block_entry *values = NULL;
	uint64_t *copied = NULL; /* the counter as copied, for the drops counted after */
	size_t singles = 0, prefixes = 0, tried, i;
	int rc = -1, err;

	memset(ch, 0, sizeof(*ch));
	keys = mem_alloc((cnt ? cnt : 1) * sizeof(*keys));
	values = mem_alloc((cnt ? cnt : 1) * sizeof(*values));
	copied = mem_alloc((cnt ? cnt : 1) * sizeof(*copied));
	if (!keys || !values || !copied) {
		errno = ENOMEM;
		goto out;
	}
	/* A set not in use may hold what a killed command left: it starts empty. */
	empty_set(to);
	for (i = 0; i < cnt; i++) {
		const struct addr_key *key = &entries[i].key;
		long was = addr_search(old->e, old->cnt, sizeof(*old->e), key);
		uint64_t drops = was >= 0 ? old->e[was].value.drops : 0;
		size_t at;

		if (was >= 0)
			ch->unchanged++; /* kept: its counter goes with it */
		else
			ch->changed++;
		at = addr_is_single(key) ? singles++ : cnt - ++prefixes;
		keys[at] = *key;
		values[at].drops = drops;
		values[at].expires = expiry(now_ns, entries[i].timeout_ns);
		copied[at] = drops;
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
	ch->removed = old->cnt - ch->unchanged;
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
		delete_keys(from->single_fd, old->keys[0], old->keys_cnt[0]);
		delete_keys(from->prefix_fd, old->keys[1], old->keys_cnt[1]);
	}
	rc = 0;
out:
	err = errno;
	mem_free(keys);
	mem_free(values);
	mem_free(copied);
	errno = err;
	return rc;
}

int blocklist_switch(const struct blocklist_sets *s, uint32_t active,
		     const struct addr_entry *entries, size_t cnt, uint64_t now_ns,
		     struct blocklist_change *ch)
{
	struct snapshot old;
	int rc, err;

	memset(ch, 0, sizeof(*ch));
	if (read_snapshot(&s->set[active], &old) < 0)
		return -1;
	rc = switch_from(s, active, &old, entries, cnt, now_ns, ch);
	err = errno;
	snapshot_free(&old);
	errno = err;
	return rc;
}

int blocklist_remove_switched(const struct blocklist_sets *s, uint32_t active,
			      const struct addr_list *remove, int strict, uint64_t now_ns,
			      struct blocklist_change *ch)
{
	struct snapshot snap;
	struct addr_list old = { 0 }, rest = { 0 };
	size_t absent = 0, i, j;
	int rc = -1, err;

	memset(ch, 0, sizeof(*ch));
	if (read_snapshot(&s->set[active], &snap) < 0)
		return -1;
	/* Sorted and unique already: the snapshot is. */
	if (append_live(&snap, now_ns, &old) < 0)
		goto out;
	/*
	 * The list without them, and those of them it does not hold, in one
	 * walk of both (each is sorted and unique).
	 */
	for (i = 0, j = 0; i < old.cnt || j < remove->cnt;) {
		int c = i == old.cnt	   ? 1
			: j == remove->cnt ? -1
					   : addr_cmp(&old.e[i].key, &remove->e[j].key);

		if (c > 0) {
			note_unchanged(ch, &remove->e[j++].key);
			absent++;
		} else if (c < 0 && addr_list_add(&rest, &old.e[i].key, old.e[i].timeout_ns) < 0) {
			errno = ENOMEM;
			goto out;
		} else {
			i++;
			j += c == 0;
		}
	}
	if (strict && absent) {
		rc = 1;
		goto out;
	}
	{
		size_t unchanged = ch->unchanged;
		struct addr_key first[3];

		memcpy(first, ch->first_unchanged, sizeof(first));
		if (switch_from(s, active, &snap, rest.e, rest.cnt, now_ns, ch) < 0)
			goto out;
		ch->changed = ch->removed;
		ch->unchanged = unchanged;
		memcpy(ch->first_unchanged, first, sizeof(first));
	}
	rc = 0;
out:
	err = errno;
	snapshot_free(&snap);
	addr_list_free(&old);
	addr_list_free(&rest);
	errno = err;
	return rc;
}
