/* SPDX-License-Identifier: MIT */
/*
 * object.c - step 3: the BPF object read, parsed and checked (object.h).
 *
 * The bytes come from embed.S (the object built from prog.bpf.c, linked
 * into the binary) or from --object FILE. elf_min.c turns them into a model
 * (program, map definitions, license, relocations) and checks every byte of
 * it; this file then checks what the rest of the loader relies on: the four
 * maps of common.h, with the right types and sizes, all used, none other.
 */
#include "object.h"
#include "text.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common.h"
#include "lz.h"
#include "mem.h"
#include "messages.h"

/* The object built from prog.bpf.c, linked in by embed.S. */
extern const uint8_t prog_obj_start[];
extern const uint8_t prog_obj_end[];

/*
 * Read --object FILE into a private buffer: opened once, checked with fstat
 * (a regular file of sane size), read in full. A file mmapped instead could
 * shrink under us and fault.
 */
static int read_file(const char *path, uint8_t **bytes, size_t *len)
{
	struct stat st;
	size_t got = 0;
	int fd, rc = EXIT_SYSTEM;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		report("opening BPF object %s: %s", path, errno_text(errno));
		return EXIT_USAGE;
	}
	if (fstat(fd, &st) < 0) {
		report("checking BPF object %s: %s", path, errno_text(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode) || st.st_size <= 0 || (uint64_t)st.st_size > OBJECT_MAX_BYTES) {
		report("BPF object %s: not a regular file of 1 to %u bytes", path,
		       OBJECT_MAX_BYTES);
		rc = EXIT_USAGE;
		goto out;
	}
	*bytes = mem_alloc((size_t)st.st_size);
	if (!*bytes) {
		report("reading BPF object %s: %s", path, errno_text(ENOMEM));
		goto out;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, *bytes + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			report("reading BPF object %s: %s", path,
			       n < 0 ? errno_text(errno) : "file shrank while being read");
			goto out;
		}
		got += (size_t)n;
	}
	*len = got;
	rc = EXIT_OK;
out:
	close(fd);
	return rc;
}

#define SINGLES_WANTED                                                                             \
	"a hash with 24-byte keys (struct addr_key) and 16-byte values (struct block_entry)"
#define PREFIXES_WANTED                                                                            \
	"an LPM trie with 24-byte keys (struct addr_key) and 16-byte values (struct block_entry)"

/* One map of the contract: its name, kind and sizes, and what to say when it is missing. */
static const struct contract_map {
	const char *name;
	uint32_t type, key_size, value_size;
	const char *wanted;
} contract[MAP_ROLE_CNT] = {
	[MAP_BLOCKLIST_A] = { BLOCKLIST_MAP_NAME, BPF_MAP_TYPE_HASH, sizeof(struct addr_key),
			      sizeof(struct block_entry), SINGLES_WANTED },
	[MAP_BLOCKNETS_A] = { BLOCKNETS_MAP_NAME, BPF_MAP_TYPE_LPM_TRIE, sizeof(struct addr_key),
			      sizeof(struct block_entry), PREFIXES_WANTED },
	[MAP_BLOCKLIST_B] = { BLOCKLIST_B_MAP_NAME, BPF_MAP_TYPE_HASH, sizeof(struct addr_key),
			      sizeof(struct block_entry), SINGLES_WANTED },
	[MAP_BLOCKNETS_B] = { BLOCKNETS_B_MAP_NAME, BPF_MAP_TYPE_LPM_TRIE, sizeof(struct addr_key),
			      sizeof(struct block_entry), PREFIXES_WANTED },
	[MAP_ACTIVE] = { ACTIVE_MAP_NAME, BPF_MAP_TYPE_ARRAY, 4, sizeof(struct active_set),
			 "an array of one 16-byte struct active_set (which set is read)" },
	[MAP_CONFIG] = { CONFIG_MAP_NAME, BPF_MAP_TYPE_ARRAY, 4, sizeof(struct prog_config),
			 "an array of at least two 24-byte struct prog_config (settings, counts; a third, verdicts)" },
	[MAP_EVENTS] = { EVENTS_MAP_NAME, BPF_MAP_TYPE_PERF_EVENT_ARRAY, 4, 4,
			 "a perf event array with 4-byte keys and values" },
};

/*
 * The section holding the program for transport `t`; for none, the perf
 * one, which loads on any kernel.
 */
static const char *program_section(enum transport t)
{
	return t == TRANSPORT_RING ? "cgroup/skb/ringbuf" : "cgroup/skb";
}

/* The program for the ring buffer sends its events to this map instead. */
static const struct contract_map events_ring = {
	EVENTS_RING_MAP_NAME, BPF_MAP_TYPE_RINGBUF, 0, 0,
	"a ring buffer (BPF_MAP_TYPE_RINGBUF), for the program in section cgroup/skb/ringbuf"
};
_Static_assert(sizeof(struct addr_key) == 24 && sizeof(struct prog_config) == 24 &&
		       sizeof(struct block_entry) == 16 && sizeof(struct active_set) == 16,
	       "the contract's messages name these sizes");

/* The contract between prog.bpf.c and the loader, checked for any object. */
static int check_contract(struct object *o, enum transport t)
{
	uint32_t used = 0, wanted = 0; /* a bit per map (ELF_MAX_MAPS is 16) */
	size_t r, k;

	for (k = 0; k < MAP_ROLE_CNT; k++) {
		const struct contract_map *c =
			k == MAP_EVENTS && t == TRANSPORT_RING ? &events_ring : &contract[k];
		const struct map_def *m = elf_obj_find_map(&o->elf, c->name);

		if (!m || m->type != c->type || m->key_size != c->key_size ||
		    m->value_size != c->value_size || (k == MAP_CONFIG && m->max_entries < 2)) {
			report("%s: needs a map '%s': %s", o->label, c->name, c->wanted);
			return EXIT_USAGE;
		}
		o->map_index[k] = (size_t)(m - o->elf.maps);
		wanted |= 1u << o->map_index[k];
	}
	/*
	 * Later commands know our program by the seven maps it uses, and no
	 * others (instance.h): a program using another set would stay attached
	 * where `status`, `list` and `detach` cannot see it.
	 */
	for (r = 0; r < o->elf.reloc_cnt; r++)
		used |= 1u << o->elf.relocs[r].map_index;
	if (used != wanted) {
		report("%s: the program must use exactly the maps " BLOCKLIST_MAP_NAME
		       ", " BLOCKNETS_MAP_NAME ", " BLOCKLIST_B_MAP_NAME ", " BLOCKNETS_B_MAP_NAME
		       ", " ACTIVE_MAP_NAME ", " CONFIG_MAP_NAME
		       " and %s, by which later commands recognise it",
		       o->label, t == TRANSPORT_RING ? EVENTS_RING_MAP_NAME : EVENTS_MAP_NAME);
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

static const char *section_type_name(uint32_t type)
{
	static const char *const names[] = { "NULL", "PROGBITS", "SYMTAB", "STRTAB", "RELA",
					     "HASH", "DYNAMIC",	 "NOTE",   "NOBITS", "REL" };

	return type < sizeof(names) / sizeof(names[0]) ? names[type] : "other";
}

/* -v: what the ELF reader found, in the order it looks. */
static void trace_object(const struct object *o)
{
	const struct elf_obj *e = &o->elf;
	struct elf_section sec;
	char license[ELF_ESC_MAX];
	uint32_t i;
	size_t k;

	if (trace_level() < 1)
		return;
	trace(1, "%s: %zu bytes, %" PRIu32 " ELF sections", o->label, e->file.len, e->section_cnt);
	for (i = 1; elf_obj_section(e, i, &sec) == 0; i++)
		trace(1, "  section %2" PRIu32 " %-24s %-8s type 0x%" PRIx32 ", %llu bytes", i,
		      sec.name, section_type_name(sec.type), sec.type,
		      (unsigned long long)sec.size);
	trace(1, "program '%s' in section %" PRIu32 " '%s': %zu instructions, license '%s'",
	      e->prog_name, e->prog_index, e->prog_section, e->insn_cnt,
	      text_escape(e->license, license, sizeof(license)));
	for (k = 0; k < e->map_cnt; k++)
		trace(1,
		      "map definition %s: type %" PRIu32 ", key %" PRIu32 " bytes, value %" PRIu32
		      " bytes, max_entries %" PRIu32 ", flags 0x%" PRIx32,
		      e->maps[k].name, e->maps[k].type, e->maps[k].key_size, e->maps[k].value_size,
		      e->maps[k].max_entries, e->maps[k].map_flags);
	for (k = 0; k < e->reloc_cnt; k++)
		trace(1, "relocation: instruction %" PRIu32 " (ld_imm64) uses map %s",
		      e->relocs[k].insn_index, e->maps[e->relocs[k].map_index].name);
}

int object_load(struct object *o, const char *path, enum transport t)
{
	const uint8_t *bytes = prog_obj_start;
	size_t len = (size_t)(prog_obj_end - prog_obj_start);
	char err[512];
	int rc;

	o->label = "embedded BPF object";
	if (path) {
		rc = read_file(path, &o->copy, &len);
		if (rc)
			return rc;
		o->label = path;
		bytes = o->copy;
	} else if (lz_unpacked_size(bytes, len)) {
		/* The Makefile packs the object it embeds (lz.h); a test build embeds it as it is. */
		size_t packed = len;

		len = lz_unpacked_size(bytes, len);
		o->copy = len <= OBJECT_MAX_BYTES ? mem_alloc(len) : NULL;
		if (!o->copy || lz_unpack(bytes, packed, o->copy, len) != 0) {
			report("unpacking the embedded BPF object: %s; the binary is damaged",
			       o->copy			? "its packing does not hold"
			       : len > OBJECT_MAX_BYTES ? "it says it is larger than any object"
							: errno_text(ENOMEM));
			return EXIT_SYSTEM;
		}
		trace(1, "the embedded BPF object: %zu bytes packed, %zu unpacked (lz.c)", packed,
		      len);
		bytes = o->copy;
	}
	if (elf_obj_parse(&o->elf, bytes, len, program_section(t), err, sizeof(err))) {
		report("%s: %s", o->label, err);
		return EXIT_USAGE;
	}
	rc = check_contract(o, t);
	if (rc == EXIT_OK)
		trace_object(o);
	return rc;
}

void object_free(struct object *o)
{
	elf_obj_free(&o->elf);
	mem_free(o->copy);
	o->copy = NULL;
}

const struct map_def *object_map(const struct object *o, enum map_role role)
{
	return &o->elf.maps[o->map_index[role]];
}

/*
 * The object's first program's name, whichever program was read: a later
 * command reads the object without choosing, and must know an instance of
 * either program by its name.
 */
void object_program_name(const struct object *o, char out[BPF_OBJ_NAME_LEN])
{
	bpf_obj_name(out, o->elf.name[0] ? o->elf.name : "cgroup_skb");
}
