/* SPDX-License-Identifier: MIT */
/*
 * blocklist.h - changing the blocklist as a whole: all of a change, or none
 * of it.
 *
 * A set of the blocklist (common.h: there are two, A and B) is two maps
 * with the same key (struct addr_key) and value (struct block_entry: the
 * packets dropped to the entry, and when it lapses): BLOCKLIST_A or _B, a
 * hash of single addresses, and BLOCKNETS_A or _B, a longest-prefix-match
 * trie of prefixes. Each
 * key goes to the map its kind belongs in. Adding keeps the counters of
 * keys already there; a change the kernel refuses half-way is undone before
 * returning, so a failed `block` or `unblock` leaves both maps exactly as it
 * found them. No messages here: the caller knows what to call things.
 */
#ifndef BLOCKLIST_H
#define BLOCKLIST_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "common.h"

#define BLOCKLIST_CHUNK 4096	      /* keys per BPF_MAP_UPDATE_BATCH */
#define BLOCKLIST_WALK_MAX (1u << 26) /* --max-entries' ceiling */

struct blocklist {
	int single_fd; /* BLOCKLIST_A or _B */
	int prefix_fd; /* BLOCKNETS_A or _B */
};

/* Both sets and ACTIVE, which says which of them the programs read: what a switch works on. */
struct blocklist_sets {
	struct blocklist set[2]; /* [SET_A], [SET_B] */
	int active_fd;
	/*
	 * The set switched from belongs to another instance, being upgraded
	 * (maps.c): it is read, never emptied; its program still blocks by it.
	 */
	int keep_old;
};

struct blocklist_change {
	size_t changed;	    /* keys added, or removed */
	size_t removed;	    /* switch: keys of the old list not in the new one */
	int switched;	    /* switch: ACTIVE was switched (the change stands) */
	uint64_t switch_ns; /* switch: how long the one update of ACTIVE took */
	size_t refreshed;   /* add: keys there already, given a new expiry */
	size_t unchanged;   /* keys already there as asked (add), or absent (remove) */
	struct addr_key first_unchanged[3];
	struct addr_key failed_key; /* on failure: the key the kernel refused */
	int failed_in_prefixes;	    /* ... and whether BLOCKNETS refused it */
	size_t update_calls[2];	    /* BPF_MAP_UPDATE_ELEM, BPF_MAP_UPDATE_BATCH: for -v */
};

/* How blocklist_add() may change the maps. */
enum blocklist_mode {
	BLOCKLIST_FRESH,    /* just created, empty, not attached: no key needs looking up */
	BLOCKLIST_IN_PLACE, /* in use: as many calls as it takes, undone on failure */
	BLOCKLIST_ONE_CALL, /* in use: one system call, or nothing changed and EXDEV */
};

/*
 * Add `entries` (cnt of them, unique): each lapses its timeout_ns after
 * `now_ns` (CLOCK_MONOTONIC), or never. An entry there already keeps its
 * counter and gets the new expiry. Returns 0, or -1 with errno after
 * undoing every change; with BLOCKLIST_ONE_CALL, EXDEV when the change
 * would take more than one call, before anything changed.
 */
int blocklist_add(const struct blocklist *bl, const struct addr_entry *entries, size_t cnt,
		  enum blocklist_mode mode, uint64_t now_ns, struct blocklist_change *ch);

/*
 * Remove `entries` (their keys). Keys that are absent are counted in
 * ch->unchanged; with `strict`, any absent key means nothing is removed
 * and 1 is returned. Returns 0, or -1 with errno after putting back what
 * was removed (with the counters it had).
 */
int blocklist_remove(const struct blocklist *bl, const struct addr_entry *entries, size_t cnt,
		     int strict, struct blocklist_change *ch);

/*
 * Every key of map `fd` (either map), unsorted, into a malloc'd *keys, and
 * with `values` each key's value into a malloc'd *values. Read with
 * BPF_MAP_LOOKUP_BATCH, BLOCKLIST_CHUNK entries a call, where the kernel
 * has it for the map (a hash from Linux 5.6, the trie from 5.13); else
 * walked a key a call (BPF_MAP_GET_NEXT_KEY), then looked up a value a
 * call: a key deleted meanwhile restarts the kernel's walk from the first,
 * and is left out. 2^26 keys (--max-entries' ceiling) end either. Values
 * of the first layout (8 bytes) come with expires 0; a map with values
 * larger than ours is EPROTO. Returns 0, or -1 with errno and nothing
 * allocated.
 */
int blocklist_entries(int fd, struct addr_key **keys, struct block_entry **values, size_t *cnt);
/* blocklist_entries() without the values. */
int blocklist_keys(int fd, struct addr_key **keys, size_t *cnt);

/* Now on the clock the program's expiries are on (bpf_ktime_get_ns(): CLOCK_MONOTONIC), in ns. */
uint64_t blocklist_clock(void);

/*
 * When ACTIVE (`active_fd`; -1 for the first layout, which has no expiries)
 * says that entries of set `bl` have lapsed by `now_ns`, delete them and
 * put when the next one lapses in ACTIVE. *active: what ACTIVE holds.
 * Returns how many were deleted, or -1 with errno.
 */
long blocklist_purge_due(const struct blocklist *bl, int active_fd, uint64_t now_ns,
			 struct active_set *active);

/*
 * Every entry of set `bl` not lapsed by `now_ns`, with the time it has left,
 * appended to `out` (then sorted and unique). Returns 0, or -1 with errno.
 */
int blocklist_read(const struct blocklist *bl, uint64_t now_ns, struct addr_list *out);

/*
 * The switch, for a change too large for one system call (blocklist.h's
 * top; common.h, struct active_set): make the set not in use (`active` is
 * the one in use) exactly `entries` (unique), each with the counter it has
 * in the active set and its own expiry, then switch ACTIVE to it with one
 * update, carry over the drops counted meanwhile, and empty the old set.
 * Until the switch, a failure, or a SIGKILL, leaves the active set as it
 * was; after it, the new list stands. In *ch: changed (new keys),
 * unchanged (kept), removed. Returns 0, or -1 with errno and nothing
 * switched.
 */
int blocklist_switch(const struct blocklist_sets *s, uint32_t active,
		     const struct addr_entry *entries, size_t cnt, uint64_t now_ns,
		     struct blocklist_change *ch);

/*
 * blocklist_remove() through the switch: the list becomes the active set's
 * entries less those in `remove` (sorted and unique). The same results: 0,
 * 1 (strict, and some were absent: nothing changed), or -1 with errno and
 * nothing changed.
 */
int blocklist_remove_switched(const struct blocklist_sets *s, uint32_t active,
			      const struct addr_list *remove, int strict, uint64_t now_ns,
			      struct blocklist_change *ch);

#endif
