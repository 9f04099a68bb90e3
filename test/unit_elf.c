/* SPDX-License-Identifier: MIT */
/*
 * unit_elf.c - tests of the ELF reader (elf_min.c) on the real object and on
 * hand-broken copies of it.
 */
#include <elf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "check.h"
#include "common.h"
#include "elf_min.h"
#include "unit.h"

/* ---- ways to break a copy of the object ------------------------------------ */

static void put_shdr(uint8_t *o, unsigned int i, const Elf64_Shdr *sh)
{
	Elf64_Ehdr eh = get_ehdr(o);

	memcpy(o + eh.e_shoff + i * sizeof(*sh), sh, sizeof(*sh));
}

/* Offset in the file of the symbol called `name`. */
static size_t find_symbol(const uint8_t *o, const char *name)
{
	unsigned int symtab = find_section(o, ".symtab");
	Elf64_Shdr sh = get_shdr(o, symtab), str = get_shdr(o, sh.sh_link);
	size_t off;

	for (off = sh.sh_offset; off < sh.sh_offset + sh.sh_size; off += sizeof(Elf64_Sym)) {
		Elf64_Sym sym;

		memcpy(&sym, o + off, sizeof(sym));
		if (strcmp((const char *)o + str.sh_offset + sym.st_name, name) == 0)
			return off;
	}
	return 0;
}

/* Parse `o` (object_len bytes) and expect failure with `needle` in the message. */
static int rejects(const uint8_t *o, size_t len, const char *needle)
{
	struct elf_obj obj;
	char err[512];
	int parsed = elf_obj_parse(&obj, o, len, "cgroup/skb", err, sizeof(err)) == 0;
	int ok = !parsed && strstr(err, needle);

	if (parsed)
		elf_obj_free(&obj);
	if (!ok)
		printf("    expected an error containing '%s', got '%s'\n", needle, err);
	return ok;
}

static Elf64_Rel get_rel(const uint8_t *o, unsigned int sec, unsigned int n)
{
	Elf64_Shdr sh = get_shdr(o, sec);
	Elf64_Rel r;

	memcpy(&r, o + sh.sh_offset + n * sizeof(r), sizeof(r));
	return r;
}

static void put_rel(uint8_t *o, unsigned int sec, unsigned int n, const Elf64_Rel *r)
{
	Elf64_Shdr sh = get_shdr(o, sec);

	memcpy(o + sh.sh_offset + n * sizeof(*r), r, sizeof(*r));
}

/* ---- ELF reader -------------------------------------------------------------- */

static void elf_reads_the_real_object(void)
{
	struct elf_obj obj;
	char err[512];
	const struct map_def *bl, *nets, *ev;
	size_t i;

	CHECK(elf_obj_parse(&obj, object, object_len, "cgroup/skb", err, sizeof(err)) == 0);
	CHECK(strcmp(obj.prog_section, "cgroup/skb") == 0);
	CHECK(strcmp(obj.prog_name, "block_skb") == 0);
	CHECK(strcmp(obj.license, "GPL") == 0 && obj.license_from_object);
	CHECK(obj.insn_cnt > 8 && obj.insns);
	if (!obj.insns)
		return; /* nothing more to look at (a failed parse leaves nothing to free) */
	CHECK(obj.map_cnt == 8);
	CHECK(strcmp(obj.name, "block_skb") == 0);
	bl = elf_obj_find_map(&obj, BLOCKLIST_MAP_NAME);
	nets = elf_obj_find_map(&obj, BLOCKNETS_MAP_NAME);
	ev = elf_obj_find_map(&obj, EVENTS_MAP_NAME);
	CHECK(bl && bl->type == 1 && bl->key_size == sizeof(struct addr_key) &&
	      bl->value_size == sizeof(struct block_entry) &&
	      bl->max_entries == BLOCKLIST_DEFAULT_ENTRIES && bl->map_flags == 0);
	CHECK(nets && nets->type == 11 && nets->key_size == sizeof(struct addr_key) &&
	      nets->value_size == sizeof(struct block_entry) && nets->map_flags == 1);
	CHECK(ev && ev->type == 4 && ev->key_size == 4 && ev->value_size == 4 &&
	      ev->max_entries == 0);
	/*
	 * Lookups in CONFIG (its settings, its verdicts, and its counts after
	 * a refused send), ACTIVE, each set's BLOCKLIST and BLOCKNETS for the
	 * block lookup and again for the allow lookup (the set in a register,
	 * A or B), an output to EVENTS, each on an ld_imm64: 14 as clang 14 lays it out.
	 */
	CHECK(obj.reloc_cnt == 14);
	CHECK(elf_obj_find_map(&obj, CONFIG_MAP_NAME) &&
	      elf_obj_find_map(&obj, CONFIG_MAP_NAME)->value_size == sizeof(struct prog_config));
	for (i = 0; i < obj.reloc_cnt; i++) {
		const struct map_reloc *r = &obj.relocs[i];

		CHECK(r->insn_index + 1 < obj.insn_cnt);
		CHECK(obj.insns[(size_t)r->insn_index * 8] == 0x18);
		CHECK(r->map_index < obj.map_cnt);
	}
	CHECK(elf_obj_find_map(&obj, "NOPE") == NULL);
	elf_obj_free(&obj);
}

static void elf_rejects_every_truncation(void)
{
	struct elf_obj obj;
	char err[512];
	size_t len;
	int all_failed = 1;

	/* A private allocation per length, so ASan catches any read past it. */
	for (len = 0; len < object_len; len++) {
		uint8_t *c = malloc(len ? len : 1);

		memcpy(c, object, len);
		if (elf_obj_parse(&obj, c, len, "cgroup/skb", err, sizeof(err)) == 0) {
			printf("    truncated to %zu bytes and still parsed\n", len);
			all_failed = 0;
			elf_obj_free(&obj);
		}
		free(c);
	}
	CHECK(all_failed);
	CHECK(rejects(NULL, 0, "shorter than an ELF64 header"));
}

static void elf_rejects_bad_headers(void)
{
	uint8_t *c = copy_object();
	Elf64_Ehdr eh = get_ehdr(object), bad;

	c[0] = 0x7e;
	CHECK(rejects(c, object_len, "bad magic"));
	memcpy(c, object, sizeof(eh));
	c[EI_CLASS] = ELFCLASS32;
	CHECK(rejects(c, object_len, "want ELFCLASS64"));
	memcpy(c, object, sizeof(eh));
	c[EI_DATA] = c[EI_DATA] == ELFDATA2LSB ? ELFDATA2MSB : ELFDATA2LSB;
	CHECK(rejects(c, object_len,
		      c[EI_DATA] == ELFDATA2MSB
			      ? "object is big-endian but this host is little-endian: rebuild with -target bpfel"
			      : "object is little-endian but this host is big-endian: rebuild with -target bpfeb"));
	bad = eh;
	bad.e_type = ET_EXEC;
	memcpy(c, &bad, sizeof(bad));
	CHECK(rejects(c, object_len, "want ET_REL"));
	bad = eh;
	bad.e_machine = EM_X86_64;
	memcpy(c, &bad, sizeof(bad));
	CHECK(rejects(c, object_len, "want EM_BPF"));
	bad = eh;
	bad.e_shentsize = 65535;
	memcpy(c, &bad, sizeof(bad));
	CHECK(rejects(c, object_len, "section header size 65535"));
	bad = eh;
	bad.e_shnum = 0;
	memcpy(c, &bad, sizeof(bad));
	CHECK(rejects(c, object_len, "e_shnum is 0"));
	bad = eh;
	bad.e_shstrndx = eh.e_shnum;
	memcpy(c, &bad, sizeof(bad));
	CHECK(rejects(c, object_len, "section-name table index"));
	memcpy(c, object, sizeof(eh));
	c[EI_VERSION] = 2;
	CHECK(rejects(c, object_len, "ELF header: version"));
	bad = eh;
	bad.e_shstrndx = SHN_XINDEX;
	memcpy(c, &bad, sizeof(bad));
	CHECK(rejects(c, object_len, "SHN_XINDEX"));
	bad = eh;
	bad.e_shoff = UINT64_MAX - 8; /* offset + size would wrap around */
	memcpy(c, &bad, sizeof(bad));
	CHECK(rejects(c, object_len, "runs past the end of the file"));
	free(c);
}

static void elf_rejects_section_past_end(void)
{
	uint8_t *c = copy_object();
	unsigned int prog = find_section(object, "cgroup/skb");
	Elf64_Shdr sh = get_shdr(object, prog);

	sh.sh_offset = object_len - 8;
	put_shdr(c, prog, &sh);
	CHECK(rejects(c, object_len, "runs past the end of the file"));
	sh.sh_offset = UINT64_MAX - 4;
	put_shdr(c, prog, &sh);
	CHECK(rejects(c, object_len, "runs past the end of the file"));
	sh = get_shdr(object, prog);
	sh.sh_size -= 4; /* no longer whole instructions */
	put_shdr(c, prog, &sh);
	CHECK(rejects(c, object_len, "not a multiple of the 8-byte instruction"));
	free(c);
}

static void elf_rejects_strings_without_nul(void)
{
	uint8_t *c = copy_object();
	Elf64_Ehdr eh = get_ehdr(object);
	Elf64_Shdr names = get_shdr(object, eh.e_shstrndx);

	memset(c + names.sh_offset, 'A', names.sh_size);
	CHECK(rejects(c, object_len, "not NUL-terminated"));
	free(c);
}

static void elf_rejects_bad_relocations(void)
{
	uint8_t *c = copy_object();
	unsigned int prog = find_section(object, "cgroup/skb");
	unsigned int rel = find_section(object, ".relcgroup/skb");
	Elf64_Shdr psh = get_shdr(object, prog);
	Elf64_Rel r0 = get_rel(object, rel, 0), r;

	CHECK(rel != 0);
	/* The last slot: an ld_imm64 there would need 8 bytes past the end. */
	r = r0;
	r.r_offset = psh.sh_size - 8;
	put_rel(c, rel, 0, &r);
	CHECK(rejects(c, object_len, "room for ld_imm64"));
	r.r_offset = UINT64_MAX - 7;
	put_rel(c, rel, 0, &r);
	CHECK(rejects(c, object_len, "room for ld_imm64"));
	r.r_offset = r0.r_offset + 4;
	put_rel(c, rel, 0, &r);
	CHECK(rejects(c, object_len, "not an instruction boundary"));
	/* Instruction 0 is `r6 = r1`, not an ld_imm64. */
	r.r_offset = 0;
	put_rel(c, rel, 0, &r);
	CHECK(rejects(c, object_len, "not ld_imm64"));
	r = r0;
	r.r_info = ELF64_R_INFO(100000, ELF64_R_TYPE(r0.r_info));
	put_rel(c, rel, 0, &r);
	CHECK(rejects(c, object_len, "out of range"));
	r = r0;
	r.r_info = ELF64_R_INFO(ELF64_R_SYM(r0.r_info), 10);
	put_rel(c, rel, 0, &r);
	CHECK(rejects(c, object_len, "BPF-to-BPF calls are not supported"));
	r.r_info = ELF64_R_INFO(ELF64_R_SYM(r0.r_info), 3);
	put_rel(c, rel, 0, &r);
	CHECK(rejects(c, object_len, "relocation type 3 is not supported"));
	/* The message names the section, the relocation index and the offset. */
	r = r0;
	r.r_offset = 0;
	put_rel(c, rel, 0, &r);
	CHECK(rejects(c, object_len, "'.relcgroup/skb': relocation 0 at offset 0x0"));
	free(c);
}

static void elf_rejects_repeated_relocations(void)
{
	uint8_t *c = copy_object();
	unsigned int prog = find_section(object, "cgroup/skb");
	unsigned int rel = find_section(object, ".relcgroup/skb");
	unsigned int btf_rel = find_section(object, ".rel.BTF");
	Elf64_Rel r0 = get_rel(object, rel, 0), r1 = get_rel(object, rel, 1);
	Elf64_Shdr sh;

	/* Two entries for one instruction. */
	r1.r_offset = r0.r_offset;
	put_rel(c, rel, 1, &r1);
	CHECK(rejects(c, object_len, "a second relocation for instruction"));
	/* A second section of relocations for the program: the same bytes, twice. */
	memcpy(c, object, object_len);
	sh = get_shdr(object, rel);
	sh.sh_name = get_shdr(object, btf_rel).sh_name;
	put_shdr(c, btf_rel, &sh);
	CHECK(prog != 0 && btf_rel != 0);
	CHECK(rejects(c, object_len, "a second relocation section for the program"));
	free(c);
}

static void elf_rejects_duplicate_map_names(void)
{
	uint8_t *c = copy_object();
	size_t bl = find_symbol(object, BLOCKLIST_MAP_NAME),
	       ev = find_symbol(object, EVENTS_MAP_NAME);
	Elf64_Sym a, b;

	memcpy(&a, object + bl, sizeof(a));
	memcpy(&b, object + ev, sizeof(b));
	b.st_name = a.st_name;
	memcpy(c + ev, &b, sizeof(b));
	CHECK(rejects(c, object_len, "a second map named 'BLOCKLIST_A'"));
	free(c);
}

static void elf_stores_names_escaped(void)
{
	uint8_t *c = copy_object();
	size_t bl = find_symbol(object, BLOCKLIST_MAP_NAME);
	unsigned int symtab = find_section(object, ".symtab");
	Elf64_Shdr str = get_shdr(object, get_shdr(object, symtab).sh_link);
	Elf64_Sym a;
	struct elf_obj obj;
	char err[512];

	memcpy(&a, object + bl, sizeof(a));
	c[str.sh_offset + a.st_name] = 0x1b; /* ESC, as in a terminal escape sequence */
	CHECK(elf_obj_parse(&obj, c, object_len, "cgroup/skb", err, sizeof(err)) == 0);
	CHECK(elf_obj_find_map(&obj, "\\x1bLOCKLIST_A") != NULL);
	CHECK(elf_obj_find_map(&obj, BLOCKLIST_MAP_NAME) == NULL);
	elf_obj_free(&obj);
	free(c);
}

static void elf_rejects_bad_map_definitions(void)
{
	uint8_t *c = copy_object();
	unsigned int maps = find_section(object, "maps");
	Elf64_Shdr sh = get_shdr(object, maps);

	/* BLOCKLIST_A is first: make its type 0. */
	memset(c + sh.sh_offset, 0, 4);
	CHECK(rejects(c, object_len, "none may be 0"));
	memcpy(c, object, object_len);
	/* A maps section too small for the definitions its symbols claim. */
	sh.sh_size = 12;
	put_shdr(c, maps, &sh);
	CHECK(rejects(c, object_len, "runs past the end of the section"));
	free(c);
}

static void elf_rejects_bad_map_symbols(void)
{
	uint8_t *c = copy_object();
	size_t at = find_symbol(object, BLOCKLIST_MAP_NAME);
	Elf64_Sym sym;

	CHECK(at != 0);
	memcpy(&sym, object + at, sizeof(sym));
	sym.st_size = 8;
	memcpy(c + at, &sym, sizeof(sym));
	CHECK(rejects(c, object_len, "'BLOCKLIST_A': definition is 8 bytes, want at least 20"));
	sym.st_size = 20;
	sym.st_value = UINT64_MAX - 4;
	memcpy(c + at, &sym, sizeof(sym));
	CHECK(rejects(c, object_len, "runs past the end of the section"));
	/* Two symbols on one definition: which map would a relocation mean? */
	sym.st_value = 4;
	memcpy(c + at, &sym, sizeof(sym));
	CHECK(rejects(c, object_len, "overlaps map"));
	free(c);
}

static void elf_rejects_bad_table_entries(void)
{
	uint8_t *c = copy_object();
	unsigned int symtab = find_section(object, ".symtab");
	unsigned int rel = find_section(object, ".relcgroup/skb");
	Elf64_Shdr sh = get_shdr(object, symtab);

	/* sh_entsize 0 would divide by zero in a reader that divides. */
	sh.sh_entsize = 0;
	put_shdr(c, symtab, &sh);
	CHECK(rejects(c, object_len, "symbol entry size 0"));
	memcpy(c, object, object_len);
	sh = get_shdr(object, rel);
	sh.sh_entsize = 0;
	put_shdr(c, rel, &sh);
	CHECK(rejects(c, object_len, "entry size 0"));
	sh = get_shdr(object, rel);
	sh.sh_size += 8; /* half a relocation */
	put_shdr(c, rel, &sh);
	CHECK(rejects(c, object_len, "want entries of 16"));
	sh = get_shdr(object, rel);
	sh.sh_link = 1; /* not the symbol table */
	put_shdr(c, rel, &sh);
	CHECK(rejects(c, object_len, "symbol table index 1"));
	free(c);
}

static void elf_rejects_bad_symbol_tables(void)
{
	uint8_t *c = copy_object();
	unsigned int symtab = find_section(object, ".symtab");
	unsigned int addrsig = find_section(object, ".llvm_addrsig");
	size_t at = find_symbol(object, BLOCKLIST_MAP_NAME);
	Elf64_Shdr sh = get_shdr(object, symtab);
	Elf64_Sym sym;

	sh.sh_type = SHT_PROGBITS; /* as if stripped */
	put_shdr(c, symtab, &sh);
	CHECK(rejects(c, object_len, "no symbol table (SHT_SYMTAB): was the object stripped?"));
	memcpy(c, object, object_len);
	sh = get_shdr(object, addrsig);
	sh.sh_type = SHT_SYMTAB;
	put_shdr(c, addrsig, &sh);
	CHECK(rejects(c, object_len, "a second symbol table"));
	memcpy(c, object, object_len);
	sh = get_shdr(object, symtab);
	sh.sh_link = 1000;
	put_shdr(c, symtab, &sh);
	CHECK(rejects(c, object_len, "string table index 1000 out of range"));
	sh.sh_link = symtab; /* itself: not a string table */
	put_shdr(c, symtab, &sh);
	CHECK(rejects(c, object_len, "has type 2, want SHT_STRTAB"));
	memcpy(c, object, object_len);
	memcpy(&sym, object + at, sizeof(sym));
	sym.st_name = 0xfffffff0u;
	memcpy(c + at, &sym, sizeof(sym));
	CHECK(rejects(c, object_len, "name offset 4294967280 is outside the string table"));
	free(c);
}

static void elf_rejects_global_data(void)
{
	uint8_t *c = copy_object();
	size_t at = find_symbol(object, BLOCKLIST_MAP_NAME);
	Elf64_Sym sym;

	/* The program's first ld_imm64 now points into 'license', as a global would. */
	memcpy(&sym, object + at, sizeof(sym));
	sym.st_shndx = (uint16_t)find_section(object, "license");
	memcpy(c + at, &sym, sizeof(sym));
	CHECK(rejects(c, object_len, "'license', not 'maps': global data is not supported"));
	free(c);
}

/* The object holds two programs: the caller names the one it takes. */
static void elf_takes_the_program_asked_for(void)
{
	struct elf_obj obj;
	char err[512];
	size_t i;
	int to_ring = 0;

	CHECK(elf_obj_parse(&obj, object, object_len, "cgroup/skb/ringbuf", err, sizeof(err)) == 0);
	CHECK(strcmp(obj.prog_section, "cgroup/skb/ringbuf") == 0);
	CHECK(strcmp(obj.prog_name, "block_skb_ring") == 0);
	/* Both go by the first program's name in the kernel. */
	CHECK(strcmp(obj.name, "block_skb") == 0);
	for (i = 0; i < obj.reloc_cnt; i++)
		to_ring +=
			strcmp(obj.maps[obj.relocs[i].map_index].name, EVENTS_RING_MAP_NAME) == 0;
	CHECK(obj.reloc_cnt == 14 && to_ring == 1);
	elf_obj_free(&obj);
	CHECK(elf_obj_parse(&obj, object, object_len, NULL, err, sizeof(err)) == -1 &&
	      strstr(err, "a second program") != NULL);
	CHECK(elf_obj_parse(&obj, object, object_len, "cgroup/skb/other", err, sizeof(err)) == -1 &&
	      strstr(err, "2 programs, and none in a section named 'cgroup/skb/other'") != NULL);
}

static void elf_handles_nobits_sections(void)
{
	uint8_t *c = copy_object();
	unsigned int maps = find_section(object, "maps");
	unsigned int prog = find_section(object, "cgroup/skb");
	unsigned int ring = find_section(object, "cgroup/skb/ringbuf");
	Elf64_Shdr sh = get_shdr(object, maps);

	/* Like .bss: no bytes in the file, so nothing to read definitions from. */
	sh.sh_type = SHT_NOBITS;
	sh.sh_offset = UINT64_MAX; /* must never be used */
	put_shdr(c, maps, &sh);
	CHECK(rejects(c, object_len, "'maps': has no data in the file (SHT_NOBITS)"));
	memcpy(c, object, object_len);
	sh = get_shdr(object, prog);
	sh.sh_type = SHT_NOBITS;
	put_shdr(c, prog, &sh);
	sh = get_shdr(object, ring);
	sh.sh_type = SHT_NOBITS;
	put_shdr(c, ring, &sh);
	CHECK(rejects(c, object_len, "no program"));
	free(c);
}

static void elf_rejects_unknown_map_types(void)
{
	uint8_t *c = copy_object();
	Elf64_Shdr sh = get_shdr(object, find_section(object, "maps"));
	uint32_t type = 200;

	memcpy(c + sh.sh_offset, &type, 4);
	CHECK(rejects(c, object_len, "'BLOCKLIST_A': unknown map type 200"));
	free(c);
}

static void elf_rejects_relocations_to_special_sections(void)
{
	uint8_t *c = copy_object();
	size_t at = find_symbol(object, BLOCKLIST_MAP_NAME);
	Elf64_Sym sym;

	memcpy(&sym, object + at, sizeof(sym));
	sym.st_shndx = SHN_ABS;
	memcpy(c + at, &sym, sizeof(sym));
	CHECK(rejects(c, object_len,
		      "symbol 'BLOCKLIST_A' is in section 65521 'special', not 'maps'"));
	free(c);
}

static void elf_license_rules(void)
{
	uint8_t *c = copy_object();
	unsigned int lic = find_section(object, "license");
	Elf64_Ehdr eh = get_ehdr(object);
	Elf64_Shdr sh = get_shdr(object, lic), names = get_shdr(object, eh.e_shstrndx);
	struct elf_obj obj;
	char err[512];

	memset(c + sh.sh_offset, 'X', sh.sh_size);
	CHECK(rejects(c, object_len, "'license': not NUL-terminated"));
	/* No license section at all: GPL is assumed, as Aya does. */
	memcpy(c, object, object_len);
	c[names.sh_offset + sh.sh_name] = 'L';
	CHECK(elf_obj_parse(&obj, c, object_len, "cgroup/skb", err, sizeof(err)) == 0);
	CHECK(strcmp(obj.license, "GPL") == 0 && !obj.license_from_object);
	elf_obj_free(&obj);
	free(c);
}

static void elf_escapes_names_in_messages(void)
{
	uint8_t *c = copy_object();
	unsigned int maps = find_section(object, "maps");
	Elf64_Ehdr eh = get_ehdr(object);
	Elf64_Shdr sh = get_shdr(object, maps), names = get_shdr(object, eh.e_shstrndx);

	/* "maps" becomes "\x1baps": no longer the maps section, and printed safely. */
	c[names.sh_offset + sh.sh_name] = 0x1b;
	CHECK(rejects(c, object_len, "'\\x1baps', not 'maps'"));
	free(c);
}

static void elf_rejects_btf_defined_maps(void)
{
	uint8_t *c = copy_object();
	unsigned int lic = find_section(object, "license");
	Elf64_Ehdr eh = get_ehdr(object);
	Elf64_Shdr sh = get_shdr(object, lic), names = get_shdr(object, eh.e_shstrndx);

	memcpy(c + names.sh_offset + sh.sh_name, ".maps", 6);
	CHECK(rejects(c, object_len, "BTF-defined maps are not supported"));
	free(c);
}

void unit_elf(void)
{
	RUN(elf_reads_the_real_object);
	RUN(elf_rejects_every_truncation);
	RUN(elf_rejects_bad_headers);
	RUN(elf_rejects_section_past_end);
	RUN(elf_rejects_strings_without_nul);
	RUN(elf_rejects_bad_relocations);
	RUN(elf_rejects_repeated_relocations);
	RUN(elf_rejects_duplicate_map_names);
	RUN(elf_stores_names_escaped);
	RUN(elf_rejects_bad_map_definitions);
	RUN(elf_rejects_bad_map_symbols);
	RUN(elf_rejects_bad_table_entries);
	RUN(elf_rejects_bad_symbol_tables);
	RUN(elf_rejects_global_data);
	RUN(elf_takes_the_program_asked_for);
	RUN(elf_handles_nobits_sections);
	RUN(elf_rejects_unknown_map_types);
	RUN(elf_rejects_relocations_to_special_sections);
	RUN(elf_license_rules);
	RUN(elf_escapes_names_in_messages);
	RUN(elf_rejects_btf_defined_maps);
}
