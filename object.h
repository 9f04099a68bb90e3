/* SPDX-License-Identifier: MIT */
/*
 * object.h - step 3: the BPF object read, parsed (elf_min.c) and checked
 * against the contract between prog.bpf.c and the loader, before the first
 * bpf(2) call.
 */
#ifndef OBJECT_H
#define OBJECT_H

#include <stddef.h>
#include <stdint.h>

#include "bpf_sys.h"
#include "elf_min.h"
#include "options.h"

#define OBJECT_MAX_BYTES (16u << 20)

/*
 * The seven maps of the contract (common.h), by what they are for: the
 * blocklist's two sets, each a hash of single addresses and a trie of
 * prefixes, then ACTIVE, CONFIG and EVENTS (or EVENTS_RING).
 */
enum map_role {
	MAP_BLOCKLIST_A,
	MAP_BLOCKNETS_A,
	MAP_BLOCKLIST_B,
	MAP_BLOCKNETS_B,
	MAP_ACTIVE,
	MAP_CONFIG,
	MAP_EVENTS
};
#define MAP_ROLE_CNT 7
#define MAP_SINGLES(set) (MAP_BLOCKLIST_A + 2 * (set)) /* set: SET_A or SET_B */
#define MAP_PREFIXES(set) (MAP_BLOCKNETS_A + 2 * (set))

struct object {
	const char *label; /* for messages: the path, or "embedded BPF object" */
	uint8_t *copy;	   /* --object: the file's bytes */
	struct elf_obj elf;
	size_t map_index[MAP_ROLE_CNT]; /* each role's map in elf.maps */
	int direct; /* step 8 set the program to read packets directly (program_set_access()) */
};

/*
 * Read the object (`path`, or the embedded one when NULL), parse it and
 * check its contract, taking the program for transport `t` (transport.h):
 * for the ring buffer, EVENTS_RING stands in for EVENTS. EXIT_OK, EXIT_USAGE for an object we refuse, or
 * EXIT_SYSTEM; the message is said.
 */
int object_load(struct object *o, const char *path, enum transport t);
void object_free(struct object *o);

/* The map definition playing `role`. */
const struct map_def *object_map(const struct object *o, enum map_role role);

/* The kernel name a run gives the program: its first function's, fitted to the kernel's rules. */
void object_program_name(const struct object *o, char out[BPF_OBJ_NAME_LEN]);

#endif
