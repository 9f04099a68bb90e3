/* SPDX-License-Identifier: MIT */
/*
 * blocklist.h - changing the blocklist as a whole: all of a change, or none
 * of it.
 *
 * The blocklist is two maps with the same key (common.h struct addr_key)
 * and value (the packets dropped to the entry): BLOCKLIST, a hash of single
 * addresses, and BLOCKNETS, a longest-prefix-match trie of prefixes. Each
 * key goes to the map its kind belongs in. Adding keeps the counters of
 * keys already there; a change the kernel refuses half-way is undone before
 * returning, so a failed `block` or `unblock` leaves both maps exactly as it
 * found them. No messages here: the caller knows what to call things.
 */
#ifndef BLOCKLIST_H
#define BLOCKLIST_H

#include <stddef.h>
#include <stdint.h>

#include "common.h"

#define BLOCKLIST_CHUNK 4096	      /* keys per BPF_MAP_UPDATE_BATCH */
#define BLOCKLIST_WALK_MAX (1u << 26) /* --max-entries' ceiling */

struct blocklist {
	int single_fd; /* BLOCKLIST */
	int prefix_fd; /* BLOCKNETS */
};

struct blocklist_change {
	size_t changed;	  /* keys added, or removed */
	size_t unchanged; /* keys already there (add), or absent (remove) */
	struct addr_key first_unchanged[3];
	struct addr_key failed_key; /* on failure: the key the kernel refused */
	int failed_in_prefixes;	    /* ... and whether BLOCKNETS refused it */
	size_t update_calls[2];	    /* BPF_MAP_UPDATE_ELEM, BPF_MAP_UPDATE_BATCH: for -v */
};

/*
 * Add `keys` (cnt of them, unique) with zeroed counters. `fresh`: the maps
 * were just created and are empty, so no key needs looking up first.
 * Returns 0, or -1 with errno after undoing every addition.
 */
int blocklist_add(const struct blocklist *bl, const struct addr_key *keys, size_t cnt, int fresh,
		  struct blocklist_change *ch);

/*
 * Remove `keys`. Keys that are absent are counted in ch->unchanged; with
 * `strict`, any absent key means nothing is removed and 1 is returned.
 * Returns 0, or -1 with errno after putting back what was removed (with
 * the counters it had).
 */
int blocklist_remove(const struct blocklist *bl, const struct addr_key *keys, size_t cnt,
		     int strict, struct blocklist_change *ch);

/*
 * Every key of map `fd` (either map), unsorted, into a malloc'd *keys. A key
 * deleted meanwhile restarts the kernel's walk from the first; 2^26 keys
 * (--max-entries' ceiling) end it. Returns 0, or -1 with errno.
 */
int blocklist_keys(int fd, struct addr_key **keys, size_t *cnt);

#endif
