/* SPDX-License-Identifier: MIT */
/*
 * blocklist.h - changing the BLOCKLIST map as a whole: all of a change, or
 * none of it.
 *
 * A key is a host-order IPv4 address (addr.h), its value the packets the
 * program dropped to it. Adding keeps the counters of addresses already
 * there; a change the kernel refuses half-way is undone before returning,
 * so a failed `block` or `unblock` leaves the list exactly as it found it.
 * No messages here: the caller knows what to call things.
 */
#ifndef BLOCKLIST_H
#define BLOCKLIST_H

#include <stddef.h>
#include <stdint.h>

#define BLOCKLIST_CHUNK 4096 /* keys per BPF_MAP_UPDATE_BATCH */

struct blocklist_change {
	size_t changed;	  /* keys added, or removed */
	size_t unchanged; /* keys already there (add), or absent (remove) */
	uint32_t first_unchanged[3];
	uint32_t failed_key; /* on failure: the key the kernel refused */
	size_t calls;	     /* bpf(2) calls made, for the curious */
};

/*
 * Add `keys` (cnt of them, unique) with zeroed counters. `fresh`: the map
 * was just created and is empty, so no key needs looking up first. Returns
 * 0, or -1 with errno after undoing every addition.
 */
int blocklist_add(int map_fd, const uint32_t *keys, size_t cnt, int fresh,
		  struct blocklist_change *ch);

/*
 * Remove `keys`. Keys that are absent are counted in ch->unchanged; with
 * `strict`, any absent key means nothing is removed and 1 is returned.
 * Returns 0, or -1 with errno after putting back what was removed (with
 * the counters it had).
 */
int blocklist_remove(int map_fd, const uint32_t *keys, size_t cnt, int strict,
		     struct blocklist_change *ch);

#endif
