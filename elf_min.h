/* SPDX-License-Identifier: MIT */
/*
 * elf_min.h - a small, bounds-checked reader for BPF ELF64 relocatable objects.
 *
 * It turns the bytes of a `clang -target bpf` object into a validated model:
 * one program (its instructions and section name; the caller names the
 * section when the object holds several), the legacy map definitions
 * from the `maps` section, the license, and one entry per map relocation. It
 * makes no system calls, keeps no global state and never reads outside the
 * buffer it is given, so it can be unit-tested and fuzzed on raw bytes.
 *
 * Everything is checked before the loader makes its first bpf(2) call.
 */
#ifndef ELF_MIN_H
#define ELF_MIN_H

#include <stddef.h>
#include <stdint.h>

#define ELF_MAX_MAPS 16
#define ELF_NAME_MAX 64	    /* longest section/symbol name we keep */
#define ELF_LICENSE_MAX 128 /* the kernel reads at most 128 bytes */
#define BPF_INSN_SIZE 8

/* A range of the caller's buffer, checked to lie inside it. */
struct elf_bytes {
	const uint8_t *p;
	size_t len;
};

/*
 * The one bounds check every read of untrusted bytes goes through (here and
 * in btf.c): a pointer to `size` bytes at `off` inside `b`, or NULL when any
 * of them lies outside. It never computes `off + size`, so it cannot
 * overflow.
 */
const uint8_t *elf_span(const struct elf_bytes *b, uint64_t off, uint64_t size);

/* elf_span() and a copy of the `size` bytes there into dst: 0, or -1 when they are not all inside. */
int elf_read(const struct elf_bytes *b, uint64_t off, void *dst, size_t size);

/* A NUL-terminated string at `off` that ends inside `table`, or NULL. */
const char *elf_string(const struct elf_bytes *table, uint64_t off);

/* ELF_ESC_MAX holds any name the reader keeps, escaped (text_escape()). */
#define ELF_ESC_MAX (ELF_NAME_MAX * 4 + 4)

/* One section header, for the -v trace. */
struct elf_section {
	char name[ELF_NAME_MAX]; /* escaped */
	uint32_t type;		 /* SHT_... */
	uint64_t size;
};

/* One `SEC("maps")` variable, read from its symbol and its bytes. */
struct map_def {
	char name[ELF_NAME_MAX]; /* symbol name, e.g. "BLOCKLIST" */
	uint32_t type;
	uint32_t key_size;
	uint32_t value_size;
	uint32_t max_entries;
	uint32_t map_flags;
	uint64_t offset; /* of the definition inside `maps` */
	uint32_t symbol_index;
};

/* An instruction that must receive a map's fd: `r1 = 0 ll` -> `r1 = map`. */
struct map_reloc {
	uint32_t insn_index; /* first slot of the two-slot ld_imm64 */
	uint32_t map_index;  /* into elf_obj.maps */
	uint32_t symbol_index;
};

struct elf_obj {
	/* The program: a copy of its instructions that the loader may patch. */
	char prog_section[ELF_NAME_MAX];
	char prog_name[ELF_NAME_MAX]; /* its function symbol, if any */
	char name[ELF_NAME_MAX];      /* the function of the object's first program */
	uint8_t *insns;
	size_t insn_cnt; /* 8-byte slots; an ld_imm64 takes two */

	char license[ELF_LICENSE_MAX];
	int license_from_object; /* 0: no `license` section, "GPL" assumed */

	struct map_def maps[ELF_MAX_MAPS];
	size_t map_cnt;

	struct map_reloc *relocs;
	size_t reloc_cnt;
	uint32_t section_cnt;
	uint32_t prog_index; /* the program's section */

	/*
	 * Views into the caller's buffer, which must outlive the elf_obj: BTF
	 * (btf.c) and the -v trace read sections and symbols after parsing.
	 * btf and btf_ext are empty when the object has no .BTF / .BTF.ext.
	 */
	struct elf_bytes file, shstrtab, symtab, strtab, btf, btf_ext;
	uint64_t shoff;
};

/*
 * Parse `len` bytes at `buf`, taking the program in the executable section
 * named `program` and leaving any other program alone; an object with one
 * program only gives that one, whatever its section's name. With `program`
 * NULL the object must hold exactly one. On success returns 0 and fills `obj`, which the
 * caller frees with elf_obj_free(). On failure returns -1, leaves nothing to
 * free, and writes one line to `err` naming the section, symbol or relocation
 * and offset at fault (names with non-printable bytes are escaped).
 */
int elf_obj_parse(struct elf_obj *obj, const uint8_t *buf, size_t len, const char *program,
		  char *err, size_t err_len);
void elf_obj_free(struct elf_obj *obj);

/* Section `index` (1 to section_cnt - 1): 0, or -1 if out of range. */
int elf_obj_section(const struct elf_obj *obj, uint32_t index, struct elf_section *out);

/* The name of section `index` as the object spells it (not escaped), or NULL. */
const char *elf_obj_section_name(const struct elf_obj *obj, uint32_t index);

/* The index and size of the section named `name` (unescaped): 0, or -1 if there is none. */
int elf_obj_find_section(const struct elf_obj *obj, const char *name, uint32_t *index,
			 uint64_t *size);

/* The value (offset) of symbol `name` in section `index`: 0, or -1 if there is none. */
int elf_obj_symbol_value(const struct elf_obj *obj, uint32_t index, const char *name,
			 uint64_t *value);

/* The map definition named `name`, or NULL. */
const struct map_def *elf_obj_find_map(const struct elf_obj *obj, const char *name);

#endif
