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
 * Insert keys[0..cnt), none of which is in map `fd`, with zeroed counters,
 * in as few calls as possible: BPF_MAP_UPDATE_BATCH (Linux 5.6) takes
 * thousands per call; older kernels, and maps without batches (the trie),
 * answer EINVAL, ENOTSUPP or EOPNOTSUPP, and then each key gets its own
 * BPF_MAP_UPDATE_ELEM. BPF_ANY, as batches take no other flag; no key is
 * there already (the caller looked, under the lock). On failure *tried
 * says how many keys from the start may be in the map.
 */
static int insert_keys(int fd, const struct addr_key *keys, size_t cnt, size_t *tried,
		       struct blocklist_change *ch)
{
	static const uint64_t zero;
	uint64_t *zeros = mem_alloc(BLOCKLIST_CHUNK * sizeof(*zeros));
	int batch = zeros != NULL, rc = 0;
	size_t done = 0;

	while (done < cnt && rc == 0) {
		uint32_t chunk =
			(uint32_t)(cnt - done < BLOCKLIST_CHUNK ? cnt - done : BLOCKLIST_CHUNK);
		uint32_t n = chunk;

		ch->update_calls[batch]++;
		if (batch && bpf_map_update_batch(fd, keys + done, zeros, &n, BPF_ANY) == 0) {
			done += chunk;
		} else if (batch && done == 0 &&
			   (errno == EINVAL || errno == ENOTSUPP || errno == EOPNOTSUPP)) {
			batch = 0; /* not here: one at a time */
		} else if (batch) {
			/*
			 * The kernel reports how many it did before failing; a
			 * count it left as we passed it is not believed, and the
			 * whole chunk counts as tried.
			 */
			ch->failed_key = keys[done + (n < chunk ? n : 0)];
			done += n < chunk ? n : chunk;
			rc = -1;
		} else if (bpf_map_update_elem(fd, &keys[done], &zero, BPF_ANY) == 0) {
			done++;
		} else {
			ch->failed_key = keys[done];
			rc = -1;
		}
	}
	*tried = done;
	mem_free(zeros);
	return rc;
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
		   const struct addr_key *key, uint64_t *drops)
{
	if (addr_is_single(key)) {
		if (bpf_map_lookup_elem(bl->single_fd, key, drops) == 0)
			return 1;
		return errno == ENOENT ? 0 : -1;
	}
	if (!addr_find(key, prefixes->key, prefixes->cnt))
		return 0;
	/* It is there itself, so the longest match is itself. */
	return bpf_map_lookup_elem(bl->prefix_fd, key, drops) == 0 ? 1 : -1;
}

/* Whether any of the keys is a prefix: then the trie's keys are needed. */
static int any_prefix(const struct addr_key *keys, size_t cnt)
{
	size_t i;

	for (i = 0; i < cnt; i++)
		if (!addr_is_single(&keys[i]))
			return 1;
	return 0;
}

/* Delete keys[0..cnt) from map `fd`, whatever each answers: undoing an insert. */
static void delete_keys(int fd, const struct addr_key *keys, size_t cnt)
{
	size_t i;

	for (i = 0; i < cnt; i++)
		bpf_map_delete_elem(fd, &keys[i]);
}

int blocklist_add(const struct blocklist *bl, const struct addr_key *keys, size_t cnt, int fresh,
		  struct blocklist_change *ch)
{
	struct addr_key *add = NULL;
	struct key_set trie = { NULL, 0 };
	size_t singles = 0, prefixes = 0, tried = 0, i;
	int rc = -1, err;

	memset(ch, 0, sizeof(*ch));
	if (!cnt)
		return 0;
	add = mem_alloc(cnt * sizeof(*add));
	if (!add) {
		errno = ENOMEM;
		return -1;
	}
	if (!fresh && any_prefix(keys, cnt) && read_prefixes(bl->prefix_fd, &trie) < 0) {
		ch->failed_in_prefixes = 1; /* and failed_key all zero: "reading BLOCKNETS" */
		goto out;
	}
	/*
	 * The keys to insert, single addresses at the front and prefixes at the
	 * back. On maps in use, only keys not there yet: one already there
	 * keeps its counter.
	 */
	for (i = 0; i < cnt; i++) {
		uint64_t drops;
		int there = fresh ? 0 : has_key(bl, &trie, &keys[i], &drops);

		if (there > 0) {
			note_unchanged(ch, &keys[i]);
			continue;
		}
		if (there < 0) {
			note_failed(ch, bl, &keys[i]);
			goto out;
		}
		if (addr_is_single(&keys[i]))
			add[singles++] = keys[i];
		else
			add[cnt - ++prefixes] = keys[i];
	}
	if (insert_keys(bl->single_fd, add, singles, &tried, ch) < 0) {
		err = errno;
		delete_keys(bl->single_fd, add, tried);
		errno = err;
		goto out;
	}
	if (insert_keys(bl->prefix_fd, add + cnt - prefixes, prefixes, &tried, ch) < 0) {
		err = errno;
		ch->failed_in_prefixes = 1;
		delete_keys(bl->prefix_fd, add + cnt - prefixes, tried);
		delete_keys(bl->single_fd, add, singles);
		errno = err;
		goto out;
	}
	ch->changed = singles + prefixes;
	rc = 0;
out:
	err = errno;
	mem_free(add);
	mem_free(trie.key);
	errno = err;
	return rc;
}

int blocklist_remove(const struct blocklist *bl, const struct addr_key *keys, size_t cnt,
		     int strict, struct blocklist_change *ch)
{
	struct removed {
		struct addr_key key;
		uint64_t drops;
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
	if (any_prefix(keys, cnt) && read_prefixes(bl->prefix_fd, &trie) < 0) {
		ch->failed_in_prefixes = 1;
		goto out;
	}
	/* Look first, so that --strict can refuse before anything changes. */
	for (i = 0; i < cnt; i++) {
		int there = has_key(bl, &trie, &keys[i], &gone[gone_cnt].drops);

		if (there > 0) {
			gone[gone_cnt++].key = keys[i];
		} else if (there == 0) {
			note_unchanged(ch, &keys[i]);
		} else {
			note_failed(ch, bl, &keys[i]);
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
			bpf_map_update_elem(map_of(bl, &gone[j].key), &gone[j].key, &gone[j].drops,
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
