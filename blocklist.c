/* SPDX-License-Identifier: MIT */
/*
 * blocklist.c - add and remove BLOCKLIST keys, all or nothing (blocklist.h).
 *
 * Callers hold the flock on the cgroup directory (loader.c lock_cgroup()),
 * so no other cgroup-skb-egress changes the map meanwhile; the program
 * itself only ever bumps counters, never adds or removes keys.
 */
#include "blocklist.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bpf_sys.h"

#define ENOTSUPP 524 /* kernel-internal, but it leaks out of bpf(2) */

static void note_unchanged(struct blocklist_change *ch, uint32_t key)
{
	if (ch->unchanged < sizeof(ch->first_unchanged) / sizeof(ch->first_unchanged[0]))
		ch->first_unchanged[ch->unchanged] = key;
	ch->unchanged++;
}

/*
 * Insert keys[0..cnt), none of which is in the map, with zeroed counters,
 * in as few calls as possible: BPF_MAP_UPDATE_BATCH (Linux 5.6) takes
 * thousands per call; older kernels answer EINVAL or ENOTSUPP, and then
 * each key gets its own BPF_MAP_UPDATE_ELEM. BPF_ANY, as batches take no
 * other flag; no key is there already (the caller looked, under the lock).
 * On failure *tried says how many keys from the start may be in the map.
 */
static int insert_keys(int fd, const uint32_t *keys, size_t cnt, size_t *tried,
		       struct blocklist_change *ch)
{
	static const uint64_t zero;
	uint64_t *zeros = calloc(BLOCKLIST_CHUNK, sizeof(*zeros));
	int batch = zeros != NULL, rc = 0;
	size_t done = 0;

	while (done < cnt && rc == 0) {
		uint32_t chunk =
			(uint32_t)(cnt - done < BLOCKLIST_CHUNK ? cnt - done : BLOCKLIST_CHUNK);
		uint32_t n = chunk;

		ch->calls++;
		if (batch && bpf_map_update_batch(fd, keys + done, zeros, &n, BPF_ANY) == 0) {
			done += chunk;
		} else if (batch && done == 0 && (errno == EINVAL || errno == ENOTSUPP)) {
			batch = 0; /* not on this kernel: one at a time */
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
	if (rc == 0)
		errno = 0;
	free(zeros);
	return rc;
}

int blocklist_add(int map_fd, const uint32_t *keys, size_t cnt, int fresh,
		  struct blocklist_change *ch)
{
	uint32_t *new_keys = NULL;
	const uint32_t *add = keys;
	size_t add_cnt = cnt, tried = 0, i;
	int rc = -1, err;

	memset(ch, 0, sizeof(*ch));
	if (!fresh && cnt) {
		/* Only keys not there yet: one already there keeps its counter. */
		new_keys = malloc(cnt * sizeof(*new_keys));
		if (!new_keys) {
			errno = ENOMEM;
			return -1;
		}
		for (i = 0, add_cnt = 0; i < cnt; i++) {
			uint64_t drops;

			ch->calls++;
			if (bpf_map_lookup_elem(map_fd, &keys[i], &drops) == 0) {
				note_unchanged(ch, keys[i]);
			} else if (errno == ENOENT) {
				new_keys[add_cnt++] = keys[i];
			} else {
				ch->failed_key = keys[i];
				goto out;
			}
		}
		add = new_keys;
	}
	if (insert_keys(map_fd, add, add_cnt, &tried, ch) < 0) {
		err = errno;
		for (i = 0; i < tried; i++)
			bpf_map_delete_elem(map_fd, &add[i]);
		ch->calls += tried;
		errno = err;
		goto out;
	}
	ch->changed = add_cnt;
	rc = 0;
out:
	err = errno;
	free(new_keys);
	errno = err;
	return rc;
}

int blocklist_remove(int map_fd, const uint32_t *keys, size_t cnt, int strict,
		     struct blocklist_change *ch)
{
	struct removed {
		uint32_t key;
		uint64_t drops;
	} *gone = NULL;
	size_t gone_cnt = 0, i, j;
	int rc = -1, err;

	memset(ch, 0, sizeof(*ch));
	if (cnt) {
		gone = malloc(cnt * sizeof(*gone));
		if (!gone) {
			errno = ENOMEM;
			return -1;
		}
	}
	/* Look first, so that --strict can refuse before anything changes. */
	for (i = 0; i < cnt; i++) {
		ch->calls++;
		if (bpf_map_lookup_elem(map_fd, &keys[i], &gone[gone_cnt].drops) == 0) {
			gone[gone_cnt++].key = keys[i];
		} else if (errno == ENOENT) {
			note_unchanged(ch, keys[i]);
		} else {
			ch->failed_key = keys[i];
			goto out;
		}
	}
	if (strict && ch->unchanged) {
		rc = 1;
		goto out;
	}
	for (i = 0; i < gone_cnt; i++) {
		ch->calls++;
		/* ENOENT: gone already, which is what was asked. */
		if (bpf_map_delete_elem(map_fd, &gone[i].key) == 0 || errno == ENOENT)
			continue;
		err = errno;
		ch->failed_key = gone[i].key;
		/* Put back what went, with the counts it had. */
		for (j = 0; j < i; j++)
			bpf_map_update_elem(map_fd, &gone[j].key, &gone[j].drops, BPF_NOEXIST);
		ch->calls += i;
		errno = err;
		goto out;
	}
	ch->changed = gone_cnt;
	rc = 0;
out:
	err = errno;
	free(gone);
	errno = err;
	return rc;
}
