/* SPDX-License-Identifier: MIT */
/*
 * unit.c - tests of the pure code, no root needed: the ELF reader on the real
 * object and on hand-broken copies of it, the perf ring reader on a synthetic
 * ring, the CPU list parser, the address parser and the disassembler.
 *
 * Usage: unit BPF_OBJECT   (build/prog.bpf.o)
 */
#include <elf.h>
#include <inttypes.h>
#include <linux/bpf.h>
#include <linux/btf.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "btf.h"
#include "check.h"
#include "common.h"
#include "disasm.h"
#include "elf_min.h"
#include "mem.h"
#include "perf_ring.h"
#include "text.h"

/* ---- the object under test, and ways to break a copy of it ---------------- */

static uint8_t *object;
static size_t object_len;

static uint8_t *copy_object(void)
{
	uint8_t *c = malloc(object_len);

	memcpy(c, object, object_len);
	return c;
}

static Elf64_Ehdr get_ehdr(const uint8_t *o)
{
	Elf64_Ehdr eh;

	memcpy(&eh, o, sizeof(eh));
	return eh;
}

static Elf64_Shdr get_shdr(const uint8_t *o, unsigned int i)
{
	Elf64_Ehdr eh = get_ehdr(o);
	Elf64_Shdr sh;

	memcpy(&sh, o + eh.e_shoff + i * sizeof(sh), sizeof(sh));
	return sh;
}

static void put_shdr(uint8_t *o, unsigned int i, const Elf64_Shdr *sh)
{
	Elf64_Ehdr eh = get_ehdr(o);

	memcpy(o + eh.e_shoff + i * sizeof(*sh), sh, sizeof(*sh));
}

/* Index of the section called `name` (the test trusts its own object). */
static unsigned int find_section(const uint8_t *o, const char *name)
{
	Elf64_Ehdr eh = get_ehdr(o);
	Elf64_Shdr names = get_shdr(o, eh.e_shstrndx);
	unsigned int i;

	for (i = 1; i < eh.e_shnum; i++) {
		Elf64_Shdr sh = get_shdr(o, i);

		if (strcmp((const char *)o + names.sh_offset + sh.sh_name, name) == 0)
			return i;
	}
	return 0;
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
	int parsed = elf_obj_parse(&obj, o, len, err, sizeof(err)) == 0;
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

	CHECK(elf_obj_parse(&obj, object, object_len, err, sizeof(err)) == 0);
	CHECK(strcmp(obj.prog_section, "cgroup/skb") == 0);
	CHECK(strcmp(obj.prog_name, "block_skb") == 0);
	CHECK(strcmp(obj.license, "GPL") == 0 && obj.license_from_object);
	CHECK(obj.insn_cnt > 8 && obj.insns);
	CHECK(obj.map_cnt == 4);
	bl = elf_obj_find_map(&obj, BLOCKLIST_MAP_NAME);
	nets = elf_obj_find_map(&obj, BLOCKNETS_MAP_NAME);
	ev = elf_obj_find_map(&obj, EVENTS_MAP_NAME);
	CHECK(bl && bl->type == 1 && bl->key_size == sizeof(struct addr_key) &&
	      bl->value_size == 8 && bl->max_entries == BLOCKLIST_DEFAULT_ENTRIES);
	CHECK(nets && nets->type == 11 && nets->key_size == sizeof(struct addr_key) &&
	      nets->value_size == 8 && nets->map_flags == 1);
	CHECK(ev && ev->type == 4 && ev->key_size == 4 && ev->value_size == 4 &&
	      ev->max_entries == 0);
	/* Lookups in BLOCKLIST, BLOCKNETS and CONFIG, an output to EVENTS, each on an ld_imm64. */
	CHECK(obj.reloc_cnt == 4);
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
		if (elf_obj_parse(&obj, c, len, err, sizeof(err)) == 0) {
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
	CHECK(rejects(c, object_len, "a second map named 'BLOCKLIST'"));
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
	CHECK(elf_obj_parse(&obj, c, object_len, err, sizeof(err)) == 0);
	CHECK(elf_obj_find_map(&obj, "\\x1bLOCKLIST") != NULL);
	CHECK(elf_obj_find_map(&obj, BLOCKLIST_MAP_NAME) == NULL);
	elf_obj_free(&obj);
	free(c);
}

static void elf_rejects_bad_map_definitions(void)
{
	uint8_t *c = copy_object();
	unsigned int maps = find_section(object, "maps");
	Elf64_Shdr sh = get_shdr(object, maps);

	/* BLOCKLIST is first: make its type 0. */
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
	CHECK(rejects(c, object_len, "'BLOCKLIST': definition is 8 bytes, want at least 20"));
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

static void elf_handles_nobits_sections(void)
{
	uint8_t *c = copy_object();
	unsigned int maps = find_section(object, "maps");
	unsigned int prog = find_section(object, "cgroup/skb");
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
	CHECK(rejects(c, object_len, "no program"));
	free(c);
}

static void elf_rejects_unknown_map_types(void)
{
	uint8_t *c = copy_object();
	Elf64_Shdr sh = get_shdr(object, find_section(object, "maps"));
	uint32_t type = 200;

	memcpy(c + sh.sh_offset, &type, 4);
	CHECK(rejects(c, object_len, "'BLOCKLIST': unknown map type 200"));
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
		      "symbol 'BLOCKLIST' is in section 65521 'special', not 'maps'"));
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
	CHECK(elf_obj_parse(&obj, c, object_len, err, sizeof(err)) == 0);
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

/* ---- perf ring reader ---------------------------------------------------------- */

#define RING 4096

struct seen {
	uint32_t addr[16];
	int32_t action[16];
	uint32_t size[16];
	int n;
	uint64_t lost;
	int lost_cpu;
};

static void collect(void *ctx, const void *raw, uint32_t size)
{
	struct seen *s = ctx;
	struct packet_log ev;

	if (s->n < 16 && size >= sizeof(ev)) {
		memcpy(&ev, raw, sizeof(ev));
		s->addr[s->n] = (uint32_t)ev.addr[0] << 24 | (uint32_t)ev.addr[1] << 16 |
				(uint32_t)ev.addr[2] << 8 | ev.addr[3];
		s->action[s->n] = ev.action;
		s->size[s->n] = size;
	}
	s->n++;
}

static void count_lost(void *ctx, int cpu, uint64_t lost)
{
	struct seen *s = ctx;

	s->lost += lost;
	s->lost_cpu = cpu;
}

/* Write `len` bytes at free-running position `pos`, wrapping like the kernel. */
static void ring_put(uint8_t *data, uint64_t pos, const void *src, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		data[(pos + i) & (RING - 1)] = ((const uint8_t *)src)[i];
}

/* A PERF_RECORD_SAMPLE as the kernel writes one: header, raw size, 20 bytes of record. */
static uint64_t put_sample(uint8_t *data, uint64_t pos, uint32_t addr, int32_t action)
{
	uint8_t rec[32] = { 0 };
	struct perf_event_header h = { .type = PERF_RECORD_SAMPLE, .size = sizeof(rec) };
	uint32_t raw_size = 20;
	struct packet_log ev = { { (uint8_t)(addr >> 24), (uint8_t)(addr >> 16),
				   (uint8_t)(addr >> 8), (uint8_t)addr },
				 ADDR_IPV4,
				 (uint8_t)action,
				 0,
				 0 };

	memcpy(rec, &h, sizeof(h));
	memcpy(rec + 8, &raw_size, 4);
	memcpy(rec + 12, &ev, sizeof(ev));
	ring_put(data, pos, rec, sizeof(rec));
	return pos + sizeof(rec);
}

static uint64_t put_lost(uint8_t *data, uint64_t pos, uint64_t lost)
{
	uint8_t rec[24] = { 0 };
	struct perf_event_header h = { .type = PERF_RECORD_LOST, .size = sizeof(rec) };

	memcpy(rec, &h, sizeof(h));
	memcpy(rec + 16, &lost, 8);
	ring_put(data, pos, rec, sizeof(rec));
	return pos + sizeof(rec);
}

static void ring_reads_samples_lost_and_unknown(void)
{
	struct perf_event_mmap_page meta;
	static uint8_t data[RING], scratch[RING];
	struct perf_ring_stats st = { 0 };
	struct seen s = { 0 };
	struct perf_event_header other = { .type = 99, .size = 16 };
	uint64_t pos = 0;

	memset(&meta, 0, sizeof(meta));
	pos = put_sample(data, pos, 0x7f000002, 0);
	pos = put_lost(data, pos, 5);
	ring_put(data, pos, &other, sizeof(other));
	pos += other.size;
	pos = put_sample(data, pos, 0x01020304, 1);
	meta.data_head = pos;
	perf_ring_read(&meta, data, RING, scratch, 3,
		       &(struct perf_ring_handler){ collect, count_lost, &s }, &st);
	CHECK(s.n == 2);
	CHECK(s.addr[0] == 0x7f000002 && s.action[0] == 0);
	CHECK(s.addr[1] == 0x01020304 && s.action[1] == 1);
	CHECK(s.size[0] == 20); /* the raw size is passed on as is */
	CHECK(st.samples == 2 && st.lost == 5 && st.unknown == 1 && st.corrupt == 0);
	CHECK(s.lost == 5 && s.lost_cpu == 3);
	CHECK(meta.data_tail == pos);
	/* Nothing new: a second read does nothing. */
	perf_ring_read(&meta, data, RING, scratch, 3,
		       &(struct perf_ring_handler){ collect, count_lost, &s }, &st);
	CHECK(s.n == 2 && st.samples == 2);
}

static void ring_reads_a_record_that_wraps(void)
{
	struct perf_event_mmap_page meta;
	static uint8_t data[RING], scratch[RING];
	struct perf_ring_stats st = { 0 };
	struct seen s = { 0 };
	/* Counters past 2^32 and 16 bytes before the end: the sample straddles it. */
	uint64_t start = (1ull << 32) * 3 + RING - 16, pos;

	memset(&meta, 0, sizeof(meta));
	pos = put_sample(data, start, 0xc0000201, 1);
	pos = put_sample(data, pos, 0xc0000202, 0);
	meta.data_tail = start;
	meta.data_head = pos;
	perf_ring_read(&meta, data, RING, scratch, 3,
		       &(struct perf_ring_handler){ collect, count_lost, &s }, &st);
	CHECK(s.n == 2);
	CHECK(s.addr[0] == 0xc0000201 && s.action[0] == 1);
	CHECK(s.addr[1] == 0xc0000202 && s.action[1] == 0);
	CHECK(meta.data_tail == pos && st.corrupt == 0);
}

/* A 32-bit kernel's counters wrap at 2^32: head is then below tail. */
static void ring_follows_32_bit_counters(void)
{
	struct perf_event_mmap_page meta;
	static uint8_t data[RING], scratch[RING];
	struct perf_ring_stats st = { 0 };
	struct seen s = { 0 };
	uint64_t start = (1ull << 32) - 16, pos;

	memset(&meta, 0, sizeof(meta));
	pos = put_sample(data, start, 0x0a000001, 0);
	pos = put_sample(data, pos, 0x0a000002, 1);
	meta.data_tail = start;
	meta.data_head = pos & 0xffffffffu; /* 48 after the wrap */
	perf_ring_read(&meta, data, RING, scratch, 0,
		       &(struct perf_ring_handler){ collect, count_lost, &s }, &st);
	CHECK(s.n == 2 && st.corrupt == 0);
	CHECK(s.addr[0] == 0x0a000001 && s.addr[1] == 0x0a000002);
	CHECK(meta.data_tail == 48);
}

static void ring_survives_corrupt_headers(void)
{
	struct perf_event_mmap_page meta;
	static uint8_t data[RING], scratch[RING];
	struct perf_ring_stats st = { 0 };
	struct seen s = { 0 };
	struct perf_event_header zero = { .type = PERF_RECORD_SAMPLE, .size = 0 };
	struct perf_event_header huge = { .type = PERF_RECORD_SAMPLE, .size = 4000 };
	uint8_t short_sample[16] = { 0 };
	struct perf_event_header sh = { .type = PERF_RECORD_SAMPLE, .size = 16 };
	uint32_t too_big = 100;

	/* size 0 would loop forever: the rest of the ring is given up instead. */
	memset(&meta, 0, sizeof(meta));
	ring_put(data, 0, &zero, sizeof(zero));
	meta.data_head = 64;
	perf_ring_read(&meta, data, RING, scratch, 3,
		       &(struct perf_ring_handler){ collect, count_lost, &s }, &st);
	CHECK(st.corrupt == 1 && meta.data_tail == 64 && s.n == 0);
	/* A record longer than what the kernel published. */
	ring_put(data, 64, &huge, sizeof(huge));
	meta.data_head = 128;
	perf_ring_read(&meta, data, RING, scratch, 3,
		       &(struct perf_ring_handler){ collect, count_lost, &s }, &st);
	CHECK(st.corrupt == 2 && meta.data_tail == 128 && s.n == 0);
	/* A sample whose raw size claims more than the record holds. */
	memcpy(short_sample, &sh, sizeof(sh));
	memcpy(short_sample + 8, &too_big, 4);
	ring_put(data, 128, short_sample, sizeof(short_sample));
	meta.data_head = 144;
	perf_ring_read(&meta, data, RING, scratch, 3,
		       &(struct perf_ring_handler){ collect, count_lost, &s }, &st);
	CHECK(st.corrupt == 3 && meta.data_tail == 144 && s.n == 0);
	/* A size that is not a multiple of 8: the next header would be misplaced. */
	sh.size = 12;
	ring_put(data, 144, &sh, sizeof(sh));
	meta.data_head = 160;
	perf_ring_read(&meta, data, RING, scratch, 3,
		       &(struct perf_ring_handler){ collect, count_lost, &s }, &st);
	CHECK(st.corrupt == 4 && meta.data_tail == 160 && s.n == 0);
	meta.data_tail = 144;
	/* A head that ran more than a ring ahead of the tail. */
	meta.data_head = 144 + 2 * RING;
	perf_ring_read(&meta, data, RING, scratch, 3,
		       &(struct perf_ring_handler){ collect, count_lost, &s }, &st);
	CHECK(st.corrupt == 5 && meta.data_tail == meta.data_head);
}

static void cpu_lists(void)
{
	uint8_t set[CPU_MAX];
	int hi;

	CHECK(cpu_list_parse("0-1\n", set, &hi) == 2 && hi == 1 && set[0] && set[1]);
	CHECK(cpu_list_parse("0,2-3,8", set, &hi) == 4 && hi == 8 && !set[1] && set[8]);
	CHECK(cpu_list_parse("0", set, &hi) == 1 && hi == 0);
	CHECK(cpu_list_parse("", set, &hi) == -1);
	CHECK(cpu_list_parse("x", set, &hi) == -1);
	CHECK(cpu_list_parse("3-1", set, &hi) == -1);
	CHECK(cpu_list_parse("0-", set, &hi) == -1);
	CHECK(cpu_list_parse("0-99999", set, &hi) == -2);
	CHECK(cpu_list_parse("0,1024", set, &hi) == -2);
	CHECK(cpu_list_parse("-1", set, &hi) == -1);
}

/* ---- addresses --------------------------------------------------------------- */

/* Parse `text`, expecting success, and return its formatted key (static buffer). */
static const char *parsed(const char *text)
{
	static char out[ADDR_TEXT_MAX + 8];
	struct addr_key k;
	char why[200];

	if (addr_parse(text, &k, why, sizeof(why)) != 0) {
		snprintf(out, sizeof(out), "error");
		printf("    '%s': %s\n", text, why);
		return out;
	}
	return addr_format(&k, out);
}

static void prefixes_parse_both_families(void)
{
	static const struct {
		const char *in, *out;
	} good[] = {
		{ "192.0.2.1", "192.0.2.1" },
		{ "192.0.2.1/32", "192.0.2.1" },
		{ "10.0.0.0/8", "10.0.0.0/8" },
		{ "0.0.0.0/0", "0.0.0.0/0" },
		{ "0.0.0.0", "0.0.0.0" },
		{ "255.255.255.255", "255.255.255.255" },
		{ "::", "::" },
		{ "::/0", "::/0" },
		{ "::1", "::1" },
		{ "2001:db8::1", "2001:db8::1" },
		{ "2001:DB8:0:0:0:0:0:1", "2001:db8::1" },
		{ "2001:db8::/32", "2001:db8::/32" },
		{ "2001:0db8:0000:0000:0001:0000:0000:0001", "2001:db8::1:0:0:1" },
		{ "2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1" },
		{ "1::", "1::" },
		{ "fd00::/64", "fd00::/64" },
		{ "::ffff:1.2.3.4", "1.2.3.4" },
		{ "::ffff:0102:0304", "1.2.3.4" },
		{ "::ffff:10.0.0.0/104", "10.0.0.0/8" },
		{ "::ffff:0:0/96", "0.0.0.0/0" },
		{ "::1.2.3.4", "::102:304" },
		{ "2001:db8::/128", "2001:db8::" },
	};
	static const char *const bad[] = {
		"",
		"/8",
		"10.0.0.1/8",
		"10.0.0.0/33",
		"10.0.0.0/-1",
		"10.0.0.0/08",
		"10.0.0.0/",
		"10.0.0.0/8/8",
		"10.0.0.0/ 8",
		"01.2.3.4",
		"1.2.3",
		"1.2.3.4 ",
		"::/129",
		"fe80::1%eth0",
		"fe80::%1/64",
		"2001:db8::1/32",
		"2001:db8:::1",
		"12345::",
		"2001:db8::g",
		"1.2.3.4/32x",
		"::ffff:1.2.3.5/127",
		"0x7f.0.0.1",
		"abc",
		"2001:db8::/+32",
	};
	struct addr_key k, l;
	char why[200];
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (strcmp(parsed(good[i].in), good[i].out) != 0) {
			printf("    '%s' gave '%s', want '%s'\n", good[i].in, parsed(good[i].in),
			       good[i].out);
			check_failed = 1;
		}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (addr_parse(bad[i], &k, why, sizeof(why)) == 0) {
			printf("    accepted '%s'\n", bad[i]);
			check_failed = 1;
		}
	CHECK(addr_parse(NULL, &k, why, sizeof(why)) == -1);
	/* The key's bytes: what the BPF program builds from a packet must equal them. */
	CHECK(addr_parse("1.2.3.4", &k, why, sizeof(why)) == 0 && k.family == ADDR_IPV4 &&
	      k.prefixlen == 64 && k.addr[0] == 1 && k.addr[3] == 4 && k.addr[4] == 0 &&
	      addr_is_single(&k));
	CHECK(addr_parse("::ffff:1.2.3.4", &l, why, sizeof(why)) == 0 &&
	      memcmp(&k, &l, sizeof(k)) == 0);
	CHECK(addr_parse("2001:db8::/32", &k, why, sizeof(why)) == 0 && k.family == ADDR_IPV6 &&
	      k.prefixlen == 64 && !addr_is_single(&k) && k.addr[0] == 0x20 && k.addr[4] == 0);
	/* Errors say what was probably meant. */
	CHECK(addr_parse("10.0.0.1/8", &k, why, sizeof(why)) == -1 &&
	      strcmp(why,
		     "'10.0.0.1/8' has bits set beyond the /8 prefix: the network is 10.0.0.0/8") ==
		      0);
	CHECK(addr_parse("2001:db8::1/32", &k, why, sizeof(why)) == -1 &&
	      strstr(why, "the network is 2001:db8::/32") != NULL);
	CHECK(addr_parse("fe80::1%eth0", &k, why, sizeof(why)) == -1 &&
	      strstr(why, "zone ids") != NULL);
	CHECK(addr_parse("10.0.0.0/33", &k, why, sizeof(why)) == -1 &&
	      strstr(why, "from 0 to 32") != NULL);
	/* Order: IPv4 first, then by address, then the shorter prefix first. */
	CHECK(addr_parse("10.0.0.0/8", &k, why, sizeof(why)) == 0 &&
	      addr_parse("10.0.0.0/16", &l, why, sizeof(why)) == 0 && addr_cmp(&k, &l) < 0);
	CHECK(addr_parse("255.0.0.0/8", &k, why, sizeof(why)) == 0 &&
	      addr_parse("::/0", &l, why, sizeof(why)) == 0 && addr_cmp(&k, &l) < 0);
}

/* A pipe's read end holding `data`: what addr_file_read() and text_line() read. */
static int fd_with(const char *data, size_t len)
{
	int p[2];

	if (pipe(p) || write(p[1], data, len) != (ssize_t)len)
		abort();
	close(p[1]);
	return p[0];
}

static void address_files(void)
{
	static const char good[] = "# blocklist\n\n  1.2.3.4  \r\n10.0.0.1 # a comment\n"
				   "1.2.3.4\n\t2001:db8::/32\n10.0.0.0/8";
	static const char bad[] = "1.2.3.4\n\n# fine so far\n1.2.3\n5.6.7.8\n";
	static const char host_bits[] = "10.0.0.1/8\n";
	static char long_line[TEXT_LINE_MAX + 100];
	struct addr_list list = { 0 };
	char err[300] = "", text[ADDR_TEXT_MAX];
	int fd;

	fd = fd_with(good, sizeof(good) - 1);
	CHECK(addr_file_read(fd, "good.txt", &list, err, sizeof(err)) == 0);
	close(fd);
	CHECK(list.cnt == 5 && strcmp(addr_format(&list.key[0], text), "1.2.3.4") == 0 &&
	      strcmp(addr_format(&list.key[3], text), "2001:db8::/32") == 0);
	addr_list_unique(&list);
	CHECK(list.cnt == 4 && strcmp(addr_format(&list.key[0], text), "1.2.3.4") == 0 &&
	      strcmp(addr_format(&list.key[1], text), "10.0.0.0/8") == 0 &&
	      strcmp(addr_format(&list.key[2], text), "10.0.0.1") == 0 &&
	      strcmp(addr_format(&list.key[3], text), "2001:db8::/32") == 0);
	/* A bad line: named with its number, and nothing of the file is kept. */
	fd = fd_with(bad, sizeof(bad) - 1);
	CHECK(addr_file_read(fd, "bad.txt", &list, err, sizeof(err)) == -1);
	close(fd);
	CHECK(strncmp(err, "bad.txt:4: '1.2.3' is not an IPv4 or IPv6 address", 49) == 0);
	CHECK(list.cnt == 4);
	fd = fd_with(host_bits, sizeof(host_bits) - 1);
	CHECK(addr_file_read(fd, "nets.txt", &list, err, sizeof(err)) == -1);
	close(fd);
	CHECK(strcmp(err,
		     "nets.txt:1: '10.0.0.1/8' has bits set beyond the /8 prefix: the network is 10.0.0.0/8") ==
	      0);
	/* A good first line, then one too long (the buffer is static, so zeroed). */
	memset(long_line, 'x', sizeof(long_line) - 1);
	long_line[7] = '\n';
	long_line[0] = '1';
	long_line[1] = '.';
	long_line[2] = '2';
	long_line[3] = '.';
	long_line[4] = '3';
	long_line[5] = '.';
	long_line[6] = '4';
	fd = fd_with(long_line, sizeof(long_line) - 1);
	CHECK(addr_file_read(fd, "long.txt", &list, err, sizeof(err)) == -1);
	close(fd);
	CHECK(strcmp(err, "long.txt:2: line longer than 4095 bytes") == 0 && list.cnt == 4);
	addr_list_free(&list);
	CHECK(list.cnt == 0 && list.key == NULL);
}

/* A line longer than text_out's buffer comes out whole, in order. */
static void text_prints_long_lines_whole(void)
{
	static char path[5000], got[2 * sizeof(path)];
	struct text_out out;
	int p[2];
	ssize_t n, total = 0;

	memset(path, 'p', sizeof(path) - 1);
	if (pipe(p))
		abort();
	text_out_init(&out, p[1]);
	text_printf(&out, "%s", "head ");
	text_printf(&out, "{\"cgroup\":\"%s\"}\n", path);
	text_printf(&out, "%s\n", "next");
	CHECK(text_flush(&out) == 0);
	close(p[1]);
	while ((n = read(p[0], got + total, sizeof(got) - 1 - (size_t)total)) > 0)
		total += n;
	close(p[0]);
	got[total] = '\0';
	CHECK((size_t)total == 5 + 11 + sizeof(path) - 1 + 3 + 5);
	CHECK(strncmp(got, "head {\"cgroup\":\"ppp", 19) == 0 &&
	      strcmp(got + total - 8, "\"}\nnext\n") == 0);
}

/* text_format() keeps snprintf()'s contract for every conversion the tool uses. */
#define SAME_AS_SNPRINTF(size, ...)                                                                \
	do {                                                                                       \
		char ours[size], libc[size];                                                       \
		int n_ours = text_format(ours, sizeof(ours), __VA_ARGS__);                         \
		int n_libc = snprintf(libc, sizeof(libc), __VA_ARGS__);                            \
		CHECK(n_ours == n_libc && strcmp(ours, libc) == 0);                                \
		if (n_ours != n_libc || strcmp(ours, libc) != 0)                                   \
			printf("    ours %d '%s', libc %d '%s'\n", n_ours, ours, n_libc, libc);    \
	} while (0)

static void text_formats_like_snprintf(void)
{
	/* volatile: the compiler would otherwise warn that the libc call is cut. */
	const char *volatile long_text = "abcdef";
	volatile int long_number = -123456;

	SAME_AS_SNPRINTF(64, "plain text");
	SAME_AS_SNPRINTF(64, "%s|%8s|%-8s|%.2s|%.*s|%s", "abc", "abc", "abc", "abc", 3, "abcdef",
			 "");
	SAME_AS_SNPRINTF(64, "%d %i %d %d %5d %-5d| %05d %05d %.3d", 0, -1, INT_MIN, INT_MAX, 42,
			 42, 42, -42, 7);
	SAME_AS_SNPRINTF(64, "%u %x %X %04x %02x %x", 0u, 255u, 255u, 0xabu, 0x5u, UINT_MAX);
	SAME_AS_SNPRINTF(128, "%lu %ld %ld %llu %llx %zu %lld", ULONG_MAX, LONG_MIN, 5L, ULLONG_MAX,
			 0x1234abcdULL, (size_t)12345, LLONG_MIN);
	SAME_AS_SNPRINTF(64, "%" PRIu32 " %" PRIu64 " %" PRIx64, UINT32_MAX, UINT64_MAX,
			 (uint64_t)0xdeadbeef);
	SAME_AS_SNPRINTF(64, "%c|%3c|%-3c|%%", 'a', 'b', 'c');
	SAME_AS_SNPRINTF(64, "%*d|%-*d|%.0u|%.0u", 6, 12, 6, 12, 0u, 3u);
	SAME_AS_SNPRINTF(64, "%hhu %hu %hhd %hd", (unsigned char)200, (unsigned short)60000,
			 (signed char)-100, (short)-30000);
	/* Cut to the buffer, always terminated, and the length it wanted. */
	SAME_AS_SNPRINTF(4, "%s", long_text);
	SAME_AS_SNPRINTF(4, "%d", long_number);
	SAME_AS_SNPRINTF(1, "%s", long_text);
	text_prints_long_lines_whole();
	CHECK(text_format(NULL, 0, "%s%u", "ab", 123u) == 5);
}

static void text_reads_numbers_and_lines(void)
{
	static const char lines[] = "one\n\nthree\r\nlast";
	static char too_long[TEXT_LINE_MAX + 2];
	static char skipped[3 * TEXT_LINE_MAX];
	struct text_lines r;
	unsigned long n;
	const char *end;
	char *line;
	int fd;

	end = text_decimal("4095x", 4095, &n);
	CHECK(end && *end == 'x' && n == 4095);
	CHECK(text_decimal("4096", 4095, &n) == NULL);
	CHECK(text_decimal("", 10, &n) == NULL && text_decimal("-1", 10, &n) == NULL);
	CHECK(text_decimal("+1", 10, &n) == NULL && text_decimal(" 1", 10, &n) == NULL);
	CHECK(text_decimal("5", 1, &n) == NULL && text_decimal("1", 1, &n) && n == 1);
	CHECK(text_decimal("18446744073709551616", ULONG_MAX, &n) == NULL || sizeof(long) < 8);
	end = text_decimal("0000000000000000000000007", 7, &n);
	CHECK(end && !*end && n == 7);

	fd = fd_with(lines, sizeof(lines) - 1);
	text_lines_init(&r, fd);
	CHECK(text_line(&r, &line) == LINE_OK && strcmp(line, "one") == 0);
	CHECK(text_line(&r, &line) == LINE_OK && strcmp(line, "") == 0);
	CHECK(text_line(&r, &line) == LINE_OK && strcmp(line, "three\r") == 0);
	CHECK(text_line(&r, &line) == LINE_OK && strcmp(line, "last") == 0);
	CHECK(text_line(&r, &line) == LINE_EOF);
	close(fd);
	/* A line that fills the buffer without its newline is refused, not split... */
	memset(too_long, 'y', sizeof(too_long) - 1);
	fd = fd_with(too_long, sizeof(too_long) - 1);
	text_lines_init(&r, fd);
	CHECK(text_line(&r, &line) == LINE_TOO_LONG);
	CHECK(text_line(&r, &line) == LINE_EOF);
	close(fd);
	/* ...and skipped up to its newline, so a reader may go on after it. */
	memset(skipped, 'z', sizeof(skipped) - 1);
	text_format(skipped + sizeof(skipped) - 8, 8, "\nafter\n");
	fd = fd_with(skipped, sizeof(skipped) - 1);
	text_lines_init(&r, fd);
	CHECK(text_line(&r, &line) == LINE_TOO_LONG);
	CHECK(text_line(&r, &line) == LINE_OK && strcmp(line, "after") == 0);
	CHECK(text_line(&r, &line) == LINE_EOF && text_line(&r, &line) == LINE_EOF);
	close(fd);
	/* One byte shorter fits, with its newline. */
	too_long[TEXT_LINE_MAX - 1] = '\n';
	fd = fd_with(too_long, TEXT_LINE_MAX);
	text_lines_init(&r, fd);
	CHECK(text_line(&r, &line) == LINE_OK && strlen(line) == TEXT_LINE_MAX - 1);
	CHECK(text_line(&r, &line) == LINE_EOF);
	close(fd);
	text_lines_init(&r, -1);
	CHECK(text_line(&r, &line) == LINE_ERROR);
}

static int cmp_keys(const void *a, const void *b)
{
	return addr_cmp(a, b);
}

/* addr_sort() against the C library's qsort(), on sizes that exercise the heap's edges. */
static void keys_sort_and_search(void)
{
	static const size_t sizes[] = { 0, 1, 2, 3, 7, 64, 1000 };
	struct addr_key *ours = mem_alloc(1000 * sizeof(*ours));
	struct addr_key *libc = malloc(1000 * sizeof(*libc));
	struct {
		struct addr_key key;
		uint64_t drops;
	} rec[5];
	unsigned int seed = 1, i, s;

	if (!ours || !libc)
		abort();
	for (s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		for (i = 0; i < sizes[s]; i++) {
			memset(&ours[i], 0, sizeof(ours[i]));
			seed = seed * 1103515245u + 12345u;
			ours[i].family = (seed >> 16) & 1 ? ADDR_IPV4 : ADDR_IPV6;
			ours[i].prefixlen = ADDR_FAMILY_BITS + ((seed >> 8) & 31);
			ours[i].addr[0] = (uint8_t)(seed >> 24); /* repeats, on purpose */
			ours[i].addr[15] = (uint8_t)(seed >> 20) & 3;
		}
		memcpy(libc, ours, sizes[s] * sizeof(*ours));
		addr_sort(ours, sizes[s], sizeof(*ours));
		qsort(libc, sizes[s], sizeof(*libc), cmp_keys);
		CHECK(memcmp(ours, libc, sizes[s] * sizeof(*ours)) == 0);
		for (i = 0; i < sizes[s]; i++)
			CHECK(addr_find(&libc[i], ours, sizes[s]));
	}
	CHECK(!addr_find(&libc[0], ours, 0));
	memset(&libc[0], 0xff, sizeof(libc[0]));
	CHECK(!addr_find(&libc[0], ours, 1000));
	/* Records that start with a key move whole, their payload with them. */
	memset(rec, 0, sizeof(rec));
	for (i = 0; i < 5; i++) {
		rec[i].key.family = ADDR_IPV4;
		rec[i].key.addr[3] = (uint8_t)(5 - i);
		rec[i].drops = 5 - i;
	}
	addr_sort(rec, 5, sizeof(rec[0]));
	for (i = 0; i < 5; i++)
		CHECK(rec[i].key.addr[3] == i + 1 && rec[i].drops == i + 1);
	mem_free(ours);
	free(libc);
}

/* The heap of the static binary (mmap) and of the test builds (malloc) keep the same contract. */
static void memory_grows_and_keeps_bytes(void)
{
	unsigned char *p = mem_alloc(100), *q;
	size_t i;

	CHECK(p != NULL);
	if (!p)
		return;
	for (i = 0; i < 100; i++)
		CHECK(p[i] == 0);
	memset(p, 0x5a, 100);
	q = mem_resize(p, 1u << 20);
	CHECK(q != NULL);
	if (!q) {
		mem_free(p);
		return;
	}
	for (i = 0; i < 100; i++)
		CHECK(q[i] == 0x5a);
	q[(1u << 20) - 1] = 1;
	p = mem_resize(q, 10);
	CHECK(p != NULL && p[9] == 0x5a);
	mem_free(p ? p : q);
	mem_free(NULL);
	CHECK(mem_alloc(SIZE_MAX) == NULL && mem_resize(NULL, SIZE_MAX - 8) == NULL);
}

/* ---- disassembler -------------------------------------------------------------- */

#define INSN(c, d, s, o, i)                                                                        \
	{                                                                                          \
		.code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i)                \
	}

/* Disassembles slot i of an exact-size heap copy of insns, so that ASan sees any over-read. */
static size_t disasm_copy(const struct bpf_insn *insns, size_t cnt, size_t i,
			  const struct disasm_maps *maps, char *line, size_t len)
{
	uint8_t *copy = malloc(cnt * sizeof(*insns) + 1);
	size_t used;

	if (!copy)
		abort();
	memcpy(copy, insns, cnt * sizeof(*insns));
	used = disasm_insn(copy, cnt, i, maps, line, len);
	free(copy);
	return used;
}

/* Slot 0 of insns prints as want and takes want_used slots; says what it got if not. */
static int disasm_is(const struct bpf_insn *insns, size_t cnt, const struct disasm_maps *maps,
		     const char *want, size_t want_used)
{
	char line[96];
	size_t used = disasm_copy(insns, cnt, 0, maps, line, sizeof(line));

	if (strcmp(line, want) == 0 && used == want_used)
		return 1;
	printf("    disasm: got \"%s\" (%zu slots), want \"%s\" (%zu)\n", line, used, want,
	       want_used);
	return 0;
}

/* The examples of the kernel's syntax, one slot each. */
static const struct {
	struct bpf_insn insn;
	const char *text;
} disasm_cases[] = {
	{ INSN(BPF_ALU64 | BPF_MOV | BPF_X, 1, 10, 0, 0), "r1 = r10" },
	{ INSN(BPF_ALU64 | BPF_ADD | BPF_K, 2, 0, 0, -4), "r2 += -4" },
	{ INSN(BPF_ALU | BPF_MOV | BPF_K, 0, 0, 0, 1), "w0 = 1" },
	{ INSN(BPF_ALU | BPF_MOV | BPF_X, 1, 2, 0, 0), "w1 = w2" },
	{ INSN(BPF_ALU64 | BPF_ARSH | BPF_K, 1, 0, 0, 3), "r1 s>>= 3" },
	{ INSN(BPF_ALU64 | BPF_LSH | BPF_K, 3, 0, 0, 32), "r3 <<= 32" },
	{ INSN(BPF_ALU64 | BPF_AND | BPF_K, 1, 0, 0, 65535), "r1 &= 65535" },
	{ INSN(BPF_ALU64 | BPF_MOV | BPF_K, 9, 0, 0, INT32_MIN), "r9 = -2147483648" },
	{ INSN(BPF_ALU64 | BPF_NEG | BPF_K, 1, 0, 0, 0), "r1 = -r1" },
	{ INSN(BPF_ALU | BPF_NEG | BPF_K, 7, 0, 0, 0), "w7 = -w7" },
	{ INSN(BPF_ALU | BPF_END | BPF_TO_BE, 1, 0, 0, 16), "r1 = be16 r1" },
	{ INSN(BPF_ALU | BPF_END | BPF_TO_LE, 1, 0, 0, 32), "r1 = le32 r1" },
	{ INSN(BPF_ALU | BPF_END | BPF_TO_BE, 10, 0, 0, 64), "r10 = be64 r10" },
	{ INSN(BPF_LDX | BPF_MEM | BPF_W, 0, 1, 16, 0), "r0 = *(u32 *)(r1 +16)" },
	{ INSN(BPF_LDX | BPF_MEM | BPF_H, 2, 3, -2, 0), "r2 = *(u16 *)(r3 -2)" },
	{ INSN(BPF_LDX | BPF_MEM | BPF_B, 4, 5, 0, 0), "r4 = *(u8 *)(r5 +0)" },
	{ INSN(BPF_LDX | BPF_MEM | BPF_DW, 1, 10, -32768, 0), "r1 = *(u64 *)(r10 -32768)" },
	{ INSN(BPF_STX | BPF_MEM | BPF_W, 10, 1, -4, 0), "*(u32 *)(r10 -4) = r1" },
	{ INSN(BPF_STX | BPF_MEM | BPF_H, 1, 2, 6, 0), "*(u16 *)(r1 +6) = r2" },
	{ INSN(BPF_STX | BPF_MEM | BPF_B, 10, 7, -20, 0), "*(u8 *)(r10 -20) = r7" },
	{ INSN(BPF_STX | BPF_MEM | BPF_DW, 10, 9, -8, 0), "*(u64 *)(r10 -8) = r9" },
	{ INSN(BPF_ST | BPF_MEM | BPF_DW, 10, 0, -8, 0), "*(u64 *)(r10 -8) = 0" },
	{ INSN(BPF_ST | BPF_MEM | BPF_W, 1, 0, 32767, -1), "*(u32 *)(r1 +32767) = -1" },
	{ INSN(BPF_ST | BPF_MEM | BPF_H, 2, 0, 2, 258), "*(u16 *)(r2 +2) = 258" },
	{ INSN(BPF_ST | BPF_MEM | BPF_B, 3, 0, -1, 7), "*(u8 *)(r3 -1) = 7" },
	{ INSN(BPF_STX | BPF_ATOMIC | BPF_DW, 1, 2, 0, BPF_ADD), "lock *(u64 *)(r1 +0) += r2" },
	{ INSN(BPF_STX | BPF_XADD | BPF_W, 0, 1, 4, BPF_ADD), "lock *(u32 *)(r0 +4) += r1" },
	{ INSN(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 5, 0), "if r0 == 0x0 goto pc+5" },
	{ INSN(BPF_JMP | BPF_JNE | BPF_X, 1, 2, -3, 0), "if r1 != r2 goto pc-3" },
	{ INSN(BPF_JMP32 | BPF_JGT | BPF_K, 1, 0, 2, 5), "if w1 > 0x5 goto pc+2" },
	{ INSN(BPF_JMP | BPF_JSGT | BPF_K, 0, 0, 1, -1), "if r0 s> 0xffffffff goto pc+1" },
	{ INSN(BPF_JMP | BPF_JA, 0, 0, 7, 0), "goto pc+7" },
	{ INSN(BPF_JMP | BPF_JA, 0, 0, -1, 0), "goto pc-1" },
	{ INSN(BPF_JMP | BPF_JA, 0, 0, 0, 0), "goto pc+0" },
	{ INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0), "exit" },
	{ INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_map_lookup_elem),
	  "call bpf_map_lookup_elem#1" },
	{ INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_perf_event_output),
	  "call bpf_perf_event_output#25" },
	{ INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_skb_load_bytes),
	  "call bpf_skb_load_bytes#26" },
	{ INSN(BPF_JMP | BPF_CALL, 0, 0, 0, 12), "call #12" },
	{ INSN(BPF_JMP | BPF_CALL, 0, 0, 0, -1), "call #-1" },
	{ INSN(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_CALL, 0, 5), "call pc+5" },
	{ INSN(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_CALL, 0, INT32_MIN), "call pc-2147483648" },
	/* Not decoded: the line says so and names the opcode. */
	{ INSN(0, 0, 0, 0, 0), "invalid (code 0x00)" },
	{ INSN(0xff, 0, 0, 0, 0), "invalid (code 0xff)" },
	{ INSN(BPF_ALU64 | 0xe0 | BPF_K, 1, 0, 0, 0), "invalid (code 0xe7)" },
	{ INSN(BPF_ALU64 | BPF_END | BPF_TO_LE, 1, 0, 0, 16), "invalid (code 0xd7)" }, /* bswap */
	{ INSN(BPF_ALU64 | BPF_DIV | BPF_K, 1, 0, 1, 3), "invalid (code 0x37)" },      /* sdiv */
	{ INSN(BPF_ALU64 | BPF_MOV | BPF_X, 1, 2, 8, 0), "invalid (code 0xbf)" },      /* movsx */
	{ INSN(BPF_LD | BPF_ABS | BPF_W, 0, 0, 0, 12), "invalid (code 0x20)" },
	{ INSN(BPF_LDX | 0x80 | BPF_W, 0, 1, 0, 0), "invalid (code 0x81)" }, /* ldsx */
	{ INSN(BPF_ST | BPF_ATOMIC | BPF_W, 1, 0, 0, 0), "invalid (code 0xc2)" },
	{ INSN(BPF_STX | BPF_ATOMIC | BPF_DW, 1, 2, 0, BPF_ADD | BPF_FETCH),
	  "invalid (code 0xdb)" },
	{ INSN(BPF_STX | BPF_ATOMIC | BPF_DW, 1, 2, 0, BPF_XCHG), "invalid (code 0xdb)" },
	{ INSN(BPF_JMP32 | BPF_JA, 0, 0, 0, 4), "invalid (code 0x06)" }, /* gotol */
	{ INSN(BPF_JMP | BPF_JA | BPF_X, 1, 0, 0, 0), "invalid (code 0x0d)" },
	{ INSN(BPF_JMP | BPF_CALL, 0, 2, 0, 1), "invalid (code 0x85)" }, /* kfunc */
	{ INSN(BPF_JMP | BPF_CALL | BPF_X, 1, 0, 0, 0), "invalid (code 0x8d)" },
	{ INSN(BPF_JMP32 | BPF_CALL, 0, 0, 0, 1), "invalid (code 0x86)" },
	{ INSN(BPF_JMP32 | BPF_EXIT, 0, 0, 0, 0), "invalid (code 0x96)" },
	{ INSN(BPF_JMP | 0xe0 | BPF_K, 0, 0, 0, 0), "invalid (code 0xe5)" },
	/* Registers past r10 exist in no instruction. */
	{ INSN(BPF_ALU64 | BPF_MOV | BPF_X, 11, 1, 0, 0), "invalid (code 0xbf)" },
	{ INSN(BPF_ALU64 | BPF_MOV | BPF_X, 1, 15, 0, 0), "invalid (code 0xbf)" },
	{ INSN(BPF_LDX | BPF_MEM | BPF_W, 0, 12, 0, 0), "invalid (code 0x61)" },
	{ INSN(BPF_JMP | BPF_EXIT, 15, 15, 0, 0), "invalid (code 0x95)" },
};

static void disasm_prints_the_kernels_syntax(void)
{
	size_t i;

	for (i = 0; i < sizeof(disasm_cases) / sizeof(disasm_cases[0]); i++)
		CHECK(disasm_is(&disasm_cases[i].insn, 1, NULL, disasm_cases[i].text, 1));
}

/* Every operator of both ALU classes and both jump classes, with an imm and with a register. */
static void disasm_prints_every_operator(void)
{
	static const struct {
		uint8_t op;
		const char *text;
	} alu[] = { { BPF_ADD, "+=" }, { BPF_SUB, "-=" }, { BPF_MUL, "*=" },  { BPF_DIV, "/=" },
		    { BPF_OR, "|=" },  { BPF_AND, "&=" }, { BPF_LSH, "<<=" }, { BPF_RSH, ">>=" },
		    { BPF_MOD, "%=" }, { BPF_XOR, "^=" }, { BPF_MOV, "=" },   { BPF_ARSH, "s>>=" } },
	  jmp[] = { { BPF_JEQ, "==" }, { BPF_JGT, ">" },   { BPF_JGE, ">=" },	{ BPF_JSET, "&" },
		    { BPF_JNE, "!=" }, { BPF_JSGT, "s>" }, { BPF_JSGE, "s>=" }, { BPF_JLT, "<" },
		    { BPF_JLE, "<=" }, { BPF_JSLT, "s<" }, { BPF_JSLE, "s<=" } };
	char want[64];
	size_t i, c;

	for (c = 0; c < 2; c++) {
		uint8_t cls = c ? BPF_ALU : BPF_ALU64, jcls = c ? BPF_JMP32 : BPF_JMP;
		char w = c ? 'w' : 'r';

		for (i = 0; i < sizeof(alu) / sizeof(alu[0]); i++) {
			struct bpf_insn k = INSN(cls | alu[i].op | BPF_K, 3, 0, 0, -7),
					x = INSN(cls | alu[i].op | BPF_X, 10, 9, 0, 0);

			snprintf(want, sizeof(want), "%c3 %s -7", w, alu[i].text);
			CHECK(disasm_is(&k, 1, NULL, want, 1));
			snprintf(want, sizeof(want), "%c10 %s %c9", w, alu[i].text, w);
			CHECK(disasm_is(&x, 1, NULL, want, 1));
		}
		for (i = 0; i < sizeof(jmp) / sizeof(jmp[0]); i++) {
			struct bpf_insn k = INSN(jcls | jmp[i].op | BPF_K, 4, 0, 12, 0x7f),
					x = INSN(jcls | jmp[i].op | BPF_X, 0, 10, -12, 0);

			snprintf(want, sizeof(want), "if %c4 %s 0x7f goto pc+12", w, jmp[i].text);
			CHECK(disasm_is(&k, 1, NULL, want, 1));
			snprintf(want, sizeof(want), "if %c0 %s %c10 goto pc-12", w, jmp[i].text,
				 w);
			CHECK(disasm_is(&x, 1, NULL, want, 1));
		}
	}
}

/* ld_imm64: the value of both slots, or the map an fd stands for; never a read past the end. */
static void disasm_reads_ld_imm64_whole(void)
{
	static const int fds[] = { 3, 5 };
	static const uint32_t ids[] = { 17, 42 };
	const struct disasm_maps maps = { fds, ids, 2 };
	struct bpf_insn two[2] = { INSN(BPF_LD | BPF_IMM | BPF_DW, 1, 0, 0, (int32_t)0x89abcdef),
				   INSN(0, 0, 0, 0, 0x01234567) };
	char line[64];

	CHECK(disasm_is(two, 2, NULL, "r1 = 0x123456789abcdef", 2));
	two[0].imm = -1;
	two[1].imm = -1;
	two[0].dst_reg = 3;
	CHECK(disasm_is(two, 2, NULL, "r3 = 0xffffffffffffffff", 2));
	two[0].imm = 0;
	two[1].imm = 0;
	two[0].dst_reg = 1;
	CHECK(disasm_is(two, 2, NULL, "r1 = 0x0", 2));
	/* After relocation: the id of the map whose fd it holds, else the fd. */
	two[0].src_reg = BPF_PSEUDO_MAP_FD;
	two[0].imm = 5;
	CHECK(disasm_is(two, 2, &maps, "r1 = map[id:42]", 2));
	two[0].imm = 3;
	CHECK(disasm_is(two, 2, &maps, "r1 = map[id:17]", 2));
	two[0].imm = 9;
	CHECK(disasm_is(two, 2, &maps, "r1 = map[fd:9]", 2));
	two[0].imm = 5;
	CHECK(disasm_is(two, 2, NULL, "r1 = map[fd:5]", 2));
	/* Other pseudo sources (a map value, a BTF id, ...) keep their number in sight. */
	two[0].src_reg = BPF_PSEUDO_MAP_VALUE;
	two[0].imm = 7;
	CHECK(disasm_is(two, 2, &maps, "r1 = 0x7 (src_reg 2)", 2));
	/* In the last slot it is cut short, and uses one slot (ASan checks the read). */
	two[0].src_reg = 0;
	CHECK(disasm_is(two, 1, NULL, "invalid (code 0x18)", 1));
	CHECK(disasm_copy(two, 2, 1, NULL, line, sizeof(line)) == 1 &&
	      strcmp(line, "invalid (code 0x00)") == 0);
	/* A second slot with anything but the value in it is no ld_imm64. */
	two[1].code = BPF_JMP | BPF_EXIT;
	CHECK(disasm_is(two, 2, NULL, "invalid (code 0x18)", 1));
	two[1].code = 0;
	two[1].src_reg = 1;
	CHECK(disasm_is(two, 2, NULL, "invalid (code 0x18)", 1));
	/* The ld_imm64 of 4 bytes: BPF_W, not BPF_DW. */
	two[1].src_reg = 0;
	two[0].code = BPF_LD | BPF_IMM | BPF_W;
	CHECK(disasm_is(two, 2, NULL, "invalid (code 0x00)", 1));
}

/* Any buffer, however small, is terminated and never overrun; past the last slot is no read. */
static void disasm_truncates_safely(void)
{
	const struct bpf_insn ldx = INSN(BPF_LDX | BPF_MEM | BPF_W, 0, 1, 16, 0);
	char buf[32];

	memset(buf, 'x', sizeof(buf));
	CHECK(disasm_copy(&ldx, 1, 0, NULL, buf, 1) == 1 && buf[0] == '\0' && buf[1] == 'x');
	memset(buf, 'x', sizeof(buf));
	CHECK(disasm_copy(&ldx, 1, 0, NULL, buf, 5) == 1 && strcmp(buf, "r0 =") == 0 &&
	      buf[5] == 'x');
	memset(buf, 'x', sizeof(buf));
	CHECK(disasm_copy(&ldx, 1, 0, NULL, buf, 0) == 1 && buf[0] == 'x');
	CHECK(disasm_insn(NULL, 0, 0, NULL, NULL, 0) == 1);
	CHECK(disasm_copy(&ldx, 1, 1, NULL, buf, sizeof(buf)) == 1 &&
	      strcmp(buf, "invalid (code 0x00)") == 0);
	CHECK(disasm_copy(&ldx, 1, SIZE_MAX, NULL, buf, sizeof(buf)) == 1);
}

/* Every byte pattern of the opcode and register fields decodes to something, in bounds. */
static void disasm_survives_every_opcode(void)
{
	struct bpf_insn two[2] = { INSN(0, 0, 0, 0, 0), INSN(0, 0, 0, 0, 0) };
	unsigned int code, regs;
	char line[64];

	for (code = 0; code < 256; code++)
		for (regs = 0; regs < 256; regs++) {
			size_t used;

			two[0].code = (uint8_t)code;
			two[0].dst_reg = regs & 15;
			two[0].src_reg = regs >> 4;
			two[0].off = (int16_t)(code * 257);
			two[0].imm = (int32_t)(code * 0x01010101u);
			used = disasm_copy(two, 2, 0, NULL, line, sizeof(line));
			CHECK(used == 1 || (used == 2 && code == (BPF_LD | BPF_IMM | BPF_DW)));
			CHECK(strlen(line) > 0 && strlen(line) < 48);
		}
}

/* The real program, slot by slot: all of it decodes, and the map loads are ld_imm64s. */
static void disasm_reads_the_real_program(void)
{
	struct elf_obj obj;
	char err[512], line[96];
	int fds[ELF_MAX_MAPS];
	uint32_t ids[ELF_MAX_MAPS];
	struct disasm_maps maps = { fds, ids, 0 };
	size_t i, r, used, wide = 0, named = 0;

	CHECK(elf_obj_parse(&obj, object, object_len, err, sizeof(err)) == 0);
	if (!obj.insns)
		return;
	for (i = 0; i < obj.insn_cnt; i += used) {
		used = disasm_insn(obj.insns, obj.insn_cnt, i, NULL, line, sizeof(line));
		if (strstr(line, "invalid"))
			printf("    disasm: instruction %zu: %s\n", i, line);
		CHECK(!strstr(line, "invalid"));
		wide += used == 2;
	}
	CHECK(i == obj.insn_cnt);
	/* clang leaves "rN = 0x0" for each map; the other ld_imm64s are 64-bit constants. */
	CHECK(obj.reloc_cnt == 4 && wide >= obj.reloc_cnt);
	for (r = 0; r < obj.reloc_cnt; r++) {
		const struct map_reloc *rel = &obj.relocs[r];

		CHECK(disasm_insn(obj.insns, obj.insn_cnt, rel->insn_index, NULL, line,
				  sizeof(line)) == 2);
		CHECK(strlen(line) == 8 && line[0] == 'r' && strcmp(line + 2, " = 0x0") == 0);
	}
	/* Relocated as the loader does it, each names its map by id. */
	for (i = 0; i < obj.map_cnt; i++) {
		fds[i] = 100 + (int)i;
		ids[i] = 500 + (uint32_t)i;
	}
	maps.cnt = obj.map_cnt;
	for (r = 0; r < obj.reloc_cnt; r++) {
		struct bpf_insn insn;
		uint8_t *at = obj.insns + (size_t)obj.relocs[r].insn_index * sizeof(insn);
		char want[32];

		memcpy(&insn, at, sizeof(insn));
		insn.src_reg = BPF_PSEUDO_MAP_FD;
		insn.imm = fds[obj.relocs[r].map_index];
		memcpy(at, &insn, sizeof(insn));
		CHECK(disasm_insn(obj.insns, obj.insn_cnt, obj.relocs[r].insn_index, &maps, line,
				  sizeof(line)) == 2);
		snprintf(want, sizeof(want), "r%u = map[id:%u]", (unsigned int)insn.dst_reg,
			 ids[obj.relocs[r].map_index]);
		CHECK(strcmp(line, want) == 0);
	}
	for (i = 0; i < obj.insn_cnt; i += used) {
		used = disasm_insn(obj.insns, obj.insn_cnt, i, &maps, line, sizeof(line));
		named += strstr(line, "map[id:") != NULL;
		CHECK(!strstr(line, "invalid"));
	}
	CHECK(named == obj.reloc_cnt);
	elf_obj_free(&obj);
}

/* ---- BTF ------------------------------------------------------------------------ */

/* Parse `o`, then its BTF; 0 and *b filled (free both), or -1 with err. */
static int parse_btf(const uint8_t *o, size_t len, struct elf_obj *obj, struct btf_obj *b,
		     char *err, size_t err_len)
{
	if (elf_obj_parse(obj, o, len, err, err_len))
		return -1;
	if (btf_parse(b, obj, err, err_len) == 0)
		return 0;
	elf_obj_free(obj);
	return -1;
}

/* btf_parse() of a copy of the object must fail with `needle` in the message. */
static int btf_rejects(const uint8_t *o, const char *needle)
{
	struct elf_obj obj;
	struct btf_obj b = { 0 };
	char err[512] = "";
	int parsed = parse_btf(o, object_len, &obj, &b, err, sizeof(err)) == 0;
	int ok = !parsed && strstr(err, needle);

	if (parsed) {
		btf_free(&b);
		elf_obj_free(&obj);
	}
	if (!ok)
		printf("    expected a BTF error containing '%s', got '%s'\n", needle, err);
	return ok;
}

static size_t btf_offset(const uint8_t *o)
{
	return get_shdr(o, find_section(o, ".BTF")).sh_offset;
}

/* Where the NUL-framed string `s` is in the .BTF string section of `o` (0: nowhere). */
static size_t btf_string(const uint8_t *o, const char *str)
{
	size_t at = btf_offset(o);
	struct btf_header h;
	size_t i, n = strlen(str);

	memcpy(&h, o + at, sizeof(h));
	at += h.hdr_len + h.str_off;
	for (i = 1; i + n < h.str_len; i++)
		if (o[at + i - 1] == '\0' && memcmp(o + at + i, str, n + 1) == 0)
			return at + i;
	return 0;
}

static void btf_reads_the_real_object(void)
{
	struct elf_obj obj;
	struct btf_obj b = { 0 };
	char err[512];
	uint32_t key, value, prev = 0, i, id;
	size_t maps_fixed = 0;

	if (parse_btf(object, object_len, &obj, &b, err, sizeof(err))) {
		printf("    %s\n", err);
		CHECK(0);
		return;
	}
	CHECK(b.type_cnt > 10 && b.datasec_cnt == 2);
	CHECK(b.func_info_cnt == 1 && b.func_info_rec_size >= 8);
	CHECK(b.line_info_cnt > 10 && b.line_info_rec_size >= 16);
	/* Offsets in instructions now, ascending, the first at 0, all inside the program. */
	for (i = 0; i < b.line_info_cnt; i++) {
		uint32_t insn;

		memcpy(&insn, b.line_info + (size_t)i * b.line_info_rec_size, sizeof(insn));
		/* Strictly increasing, as the kernel wants. */
		CHECK(insn < obj.insn_cnt && (i == 0 ? insn == 0 : insn > prev));
		prev = insn;
	}
	/* The maps DATASEC: the section's size, each variable at its symbol's offset, in order. */
	for (id = 1; id <= b.type_cnt; id++) {
		struct btf_type t;
		struct btf_var_secinfo v[ELF_MAX_MAPS];
		uint32_t k, n;

		memcpy(&t, b.data + b.type_off[id], sizeof(t));
		n = BTF_INFO_VLEN(t.info);
		if (BTF_INFO_KIND(t.info) != BTF_KIND_DATASEC || n != obj.map_cnt)
			continue;
		CHECK(t.size == 20 * obj.map_cnt);
		memcpy(v, b.data + b.type_off[id] + sizeof(t), n * sizeof(v[0]));
		for (k = 0; k < n; k++)
			CHECK(v[k].offset == 20 * k && v[k].size == 20);
		maps_fixed++;
	}
	CHECK(maps_fixed == 1);
	/* Typed maps name their key and value; EVENTS does not. */
	CHECK(btf_map_types(&b, "BLOCKLIST", &key, &value) == 0 && key && value && key != value);
	CHECK(btf_map_types(&b, "BLOCKNETS", &i, &id) == 0 && i == key && id == value);
	CHECK(btf_map_types(&b, "CONFIG", &i, &id) == 0 && i != key && id != value);
	CHECK(btf_map_types(&b, "EVENTS", &i, &id) < 0);
	CHECK(btf_map_types(&b, "NOSUCH", &i, &id) < 0);
	btf_free(&b);
	elf_obj_free(&obj);
}

static void btf_rejects_bad_headers(void)
{
	uint8_t *c = copy_object();
	size_t at = btf_offset(c);
	struct btf_header h, orig;

	memcpy(&orig, c + at, sizeof(orig));
	h = orig;
	h.magic = 0x9feb; /* the other byte order */
	memcpy(c + at, &h, sizeof(h));
	CHECK(btf_rejects(c, ".BTF: no BTF header of this byte order"));
	h = orig;
	h.hdr_len = 0x7fffffff;
	memcpy(c + at, &h, sizeof(h));
	CHECK(btf_rejects(c, "not inside the section"));
	h = orig;
	h.type_len = 0x7ffffff0;
	memcpy(c + at, &h, sizeof(h));
	CHECK(btf_rejects(c, "not inside the section"));
	h = orig;
	h.str_len = 0;
	memcpy(c + at, &h, sizeof(h));
	CHECK(btf_rejects(c, "does not begin and end with NUL"));
	h = orig;
	h.str_len -= 1; /* the last string loses its NUL */
	memcpy(c + at, &h, sizeof(h));
	CHECK(btf_rejects(c, "does not begin and end with NUL"));
	h = orig;
	h.type_off = 2;
	h.type_len -= 4;
	memcpy(c + at, &h, sizeof(h));
	CHECK(btf_rejects(c, ".BTF: types at offset 2, not 4-byte aligned"));
	/* Strings inside the types: the fix-ups would rewrite names while reading them. */
	h = orig;
	h.str_off = h.type_off + 4;
	h.str_len = 8;
	memcpy(c + at, &h, sizeof(h));
	CHECK(btf_rejects(c, "or overlapping"));
	h = orig;
	h.type_off = h.str_off;
	h.type_len = 12;
	memcpy(c + at, &h, sizeof(h));
	CHECK(btf_rejects(c, "or overlapping"));
	free(c);
}

/* The maps DATASEC with two entries swapped: put back in offset order. */
static void btf_sorts_datasec_entries(void)
{
	uint8_t *c = copy_object();
	size_t at = btf_offset(c), off;
	struct btf_header h;
	struct elf_obj obj;
	struct btf_obj b = { 0 };
	char err[512];
	uint32_t id;
	int swapped = 0;

	memcpy(&h, c + at, sizeof(h));
	for (off = at + h.hdr_len + h.type_off;
	     !swapped && off < at + h.hdr_len + h.type_off + h.type_len;) {
		struct btf_type t;
		struct btf_var_secinfo v[2];
		uint32_t kind, vlen;

		memcpy(&t, c + off, sizeof(t));
		kind = BTF_INFO_KIND(t.info);
		vlen = BTF_INFO_VLEN(t.info);
		if (kind == BTF_KIND_DATASEC && vlen >= 2) {
			memcpy(v, c + off + sizeof(t), sizeof(v));
			memcpy(c + off + sizeof(t), &v[1], sizeof(v[1]));
			memcpy(c + off + sizeof(t) + sizeof(v[1]), &v[0], sizeof(v[0]));
			swapped = 1;
		}
		/* The kinds of this object: their sizes after the header. */
		off += sizeof(t) +
		       (kind == BTF_KIND_INT || kind == BTF_KIND_VAR	       ? 4
			: kind == BTF_KIND_ARRAY			       ? 12
			: kind == BTF_KIND_STRUCT || kind == BTF_KIND_DATASEC  ? 12 * vlen
			: kind == BTF_KIND_FUNC_PROTO || kind == BTF_KIND_ENUM ? 8 * vlen
									       : 0);
	}
	CHECK(swapped);
	CHECK(parse_btf(c, object_len, &obj, &b, err, sizeof(err)) == 0);
	for (id = 1; b.data && id <= b.type_cnt; id++) {
		struct btf_type t;
		struct btf_var_secinfo v[ELF_MAX_MAPS];
		uint32_t k, n;

		memcpy(&t, b.data + b.type_off[id], sizeof(t));
		n = BTF_INFO_VLEN(t.info);
		if (BTF_INFO_KIND(t.info) != BTF_KIND_DATASEC || n < 2 || n > ELF_MAX_MAPS)
			continue;
		memcpy(v, b.data + b.type_off[id] + sizeof(t), n * sizeof(v[0]));
		for (k = 1; k < n; k++)
			CHECK(v[k - 1].offset < v[k].offset);
	}
	if (b.data) {
		btf_free(&b);
		elf_obj_free(&obj);
	}
	free(c);
}

static void btf_rejects_bad_types(void)
{
	uint8_t *c = copy_object();
	size_t at = btf_offset(c), first;
	struct btf_header h;
	struct btf_type t, orig;

	memcpy(&h, c + at, sizeof(h));
	first = at + h.hdr_len + h.type_off;
	memcpy(&orig, c + first, sizeof(orig));
	t = orig;
	t.info = 31u << 24;
	memcpy(c + first, &t, sizeof(t));
	CHECK(btf_rejects(c, ".BTF: type 1: unknown kind 31"));
	t = orig;
	t.info = (uint32_t)BTF_KIND_STRUCT << 24 | 0xffff;
	memcpy(c + first, &t, sizeof(t));
	CHECK(btf_rejects(c, ".BTF: type 1 (kind 4, 65535 members): cut short"));
	memcpy(c + first, &orig, sizeof(orig));
	/* A DATASEC whose section does not exist, and a variable without a symbol. */
	c[btf_string(c, "maps") + 3] = 'z';
	CHECK(btf_rejects(c, "DATASEC type") && btf_rejects(c, "'mapz': no ELF section"));
	c[btf_string(c, "mapz") + 3] = 's';
	c[btf_string(c, "BLOCKLIST") + 8] = 'X';
	CHECK(btf_rejects(c, "DATASEC 'maps': entry 0 (type"));
	free(c);
}

/* .BTF.ext: where the header is, and the first record of a kind. */
static void btf_rejects_bad_ext(void)
{
	uint8_t *c = copy_object();
	size_t ext = get_shdr(c, find_section(c, ".BTF.ext")).sh_offset, line;
	uint32_t hdr[8], v;

	memcpy(hdr, c + ext,
	       sizeof(hdr)); /* magic/version/flags, hdr_len, func off/len, line off/len */
	c[ext] ^= 0xff;
	CHECK(btf_rejects(c, ".BTF.ext: no header"));
	c[ext] ^= 0xff;
	/* func_info's record size 4 */
	v = 4;
	memcpy(c + ext + hdr[1] + hdr[2], &v, 4);
	CHECK(btf_rejects(c, ".BTF.ext: func_info at"));
	v = 8;
	memcpy(c + ext + hdr[1] + hdr[2], &v, 4);
	/* line_info: the first record's offset not on an instruction, then beyond the program. */
	line = ext + hdr[1] + hdr[4] + 4 + 8;
	memcpy(&v, c + line, 4);
	v += 3;
	memcpy(c + line, &v, 4);
	CHECK(btf_rejects(c, ".BTF.ext: line_info record 0: byte offset 3 is not an instruction"));
	v = 0x7ffffff8;
	memcpy(c + line, &v, 4);
	CHECK(btf_rejects(c, "is not an instruction of the program"));
	v = 0;
	memcpy(c + line, &v, 4);
	/* A section entry claiming more records than there are bytes. */
	v = 0x10000000;
	memcpy(c + ext + hdr[1] + hdr[4] + 4 + 4, &v, 4);
	CHECK(btf_rejects(c, ".BTF.ext: line_info: the section entry at 4 is cut short"));
	free(c);
}

/*
 * Every length of .BTF and .BTF.ext from 0 up, each cut copied into a
 * buffer of exactly that size, so that ASan sees any read past the cut:
 * only the whole section parses.
 */
static void btf_survives_every_truncation(void)
{
	struct elf_obj obj;
	struct btf_obj b = { 0 };
	char err[512];
	struct elf_bytes full_btf, full_ext;
	size_t n;

	CHECK(elf_obj_parse(&obj, object, object_len, err, sizeof(err)) == 0);
	full_btf = obj.btf;
	full_ext = obj.btf_ext;
	CHECK(full_btf.len > 0 && full_ext.len > 0);
	for (n = 0; n < full_btf.len; n++) {
		uint8_t *cut = malloc(n ? n : 1);

		memcpy(cut, full_btf.p, n);
		obj.btf.p = cut;
		obj.btf.len = n;
		err[0] = '\0';
		CHECK(btf_parse(&b, &obj, err, sizeof(err)) != 0 && err[0] != '\0');
		free(cut);
	}
	obj.btf = full_btf;
	for (n = 1; n < full_ext.len; n++) {
		uint8_t *cut = malloc(n);

		memcpy(cut, full_ext.p, n);
		obj.btf_ext.p = cut;
		obj.btf_ext.len = n;
		err[0] = '\0';
		CHECK(btf_parse(&b, &obj, err, sizeof(err)) != 0 && err[0] != '\0');
		free(cut);
	}
	/* Without .BTF.ext at all: the types, and no records. */
	obj.btf_ext.len = 0;
	CHECK(btf_parse(&b, &obj, err, sizeof(err)) == 0 && b.line_info_cnt == 0 &&
	      b.func_info_cnt == 0);
	btf_free(&b);
	obj.btf_ext = full_ext;
	elf_obj_free(&obj);
}

static int read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	long n;

	if (!f)
		return -1;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	object = malloc((size_t)n);
	object_len = fread(object, 1, (size_t)n, f);
	fclose(f);
	return object_len == (size_t)n ? 0 : -1;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc != 2 || read_file(argv[1])) {
		fprintf(stderr, "usage: unit BPF_OBJECT (cannot read %s)\n",
			argc > 1 ? argv[1] : "");
		return 2;
	}
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
	RUN(elf_handles_nobits_sections);
	RUN(elf_rejects_unknown_map_types);
	RUN(elf_rejects_relocations_to_special_sections);
	RUN(elf_license_rules);
	RUN(elf_escapes_names_in_messages);
	RUN(elf_rejects_btf_defined_maps);
	RUN(ring_reads_samples_lost_and_unknown);
	RUN(ring_reads_a_record_that_wraps);
	RUN(ring_follows_32_bit_counters);
	RUN(ring_survives_corrupt_headers);
	RUN(cpu_lists);
	RUN(prefixes_parse_both_families);
	RUN(address_files);
	RUN(text_formats_like_snprintf);
	RUN(text_reads_numbers_and_lines);
	RUN(keys_sort_and_search);
	RUN(memory_grows_and_keeps_bytes);
	RUN(disasm_prints_the_kernels_syntax);
	RUN(disasm_prints_every_operator);
	RUN(disasm_reads_ld_imm64_whole);
	RUN(disasm_truncates_safely);
	RUN(disasm_survives_every_opcode);
	RUN(disasm_reads_the_real_program);
	RUN(btf_reads_the_real_object);
	RUN(btf_rejects_bad_headers);
	RUN(btf_rejects_bad_types);
	RUN(btf_rejects_bad_ext);
	RUN(btf_sorts_datasec_entries);
	RUN(btf_survives_every_truncation);
	free(object);
	return check_fail_cnt ? 1 : 0;
}
