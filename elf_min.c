/* SPDX-License-Identifier: MIT */
/*
 * elf_min.c - read a BPF ELF64 relocatable object without libelf.
 *
 * Step 3 of a run (loader.c, object.c) reads the object; elf_obj_parse()
 * takes it in these parts, lettered so as not to be taken for the run's
 * steps:
 *   3a. The ELF header: magic, 64-bit, this host's byte order, relocatable,
 *      machine EM_BPF, section headers of the size we expect.
 *   3b. The section-name table (e_shstrndx), then every section header: find
 *      the symbol table, the program section (`cgroup_skb/...`; the one
 *      the caller names, when the object holds more than one), `maps` and
 *      `license`, and refuse what this loader does not support.
 *   3c. The program's instructions, copied so the loader can patch them.
 *   3d. The map definitions: one per symbol in `maps`, sized by st_size.
 *   3e. The license string.
 *   3f. The program's relocations (`.rel<program section>`): each must put a
 *      map's address into an ld_imm64 instruction.
 *
 * Every byte of the object is untrusted. All reads go through elf_span(), the one
 * overflow-safe bounds check, and copy with memcpy() because nothing in the
 * buffer is guaranteed to be aligned.
 */
#include "elf_min.h"

#include <elf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "mem.h"
#include "text.h"

#ifndef EM_BPF
#define EM_BPF 247
#endif
/* Relocation types from the kernel's Documentation/bpf/llvm_reloc.rst. */
#define R_BPF_64_64 1	   /* ld_imm64: a map or global variable address */
#define R_BPF_64_32 10	   /* call: a BPF-to-BPF function call */
#define BPF_LD_IMM_DW 0x18 /* opcode of ld_imm64: BPF_LD | BPF_IMM | BPF_DW */

#define LEGACY_MAP_DEF_SIZE sizeof(struct legacy_map_def)
/*
 * The highest enum bpf_map_type this reader knows (BPF_MAP_TYPE_ARENA, 6.9).
 * The kernel has the last word on which types it supports; this only keeps
 * garbage from reaching it.
 */
#define MAP_TYPE_MAX 33
#define MAP_TYPE_RINGBUF 27

/* Everything parse needs while it walks the object. */
struct reader {
	struct elf_bytes file;
	Elf64_Ehdr eh;
	uint32_t shnum;
	struct elf_bytes shstrtab;
	uint32_t symtab_index;
	struct elf_bytes symtab;
	struct elf_bytes strtab; /* the symbol table's own (sh_link) */
	size_t sym_cnt;
	uint32_t prog_index, maps_index, license_index, prog_rel_index, btf_index, btf_ext_index;
	uint32_t first_prog_index; /* the object's first program, whichever is taken */
	uint32_t prog_cnt;
	const char *want;   /* the program section to take; NULL: the only one */
	uint8_t *relocated; /* one flag per instruction slot, while reading relocations */
	struct elf_bytes prog, maps;
	char *err;
	size_t err_len;
};

/*
 * The one bounds check: a pointer to `size` bytes at `off` inside `b`, or
 * NULL when any of them lies outside. Written so that it cannot overflow:
 * `off + size` is never computed.
 */
const uint8_t *elf_span(const struct elf_bytes *b, uint64_t off, uint64_t size)
{
	if (off > b->len || size > b->len - off)
		return NULL;
	return b->p + off;
}

int elf_read(const struct elf_bytes *b, uint64_t off, void *dst, size_t size)
{
	const uint8_t *p = elf_span(b, off, size);

	if (!p)
		return -1;
	memcpy(dst, p, size);
	return 0;
}

/* A NUL-terminated string at `off` that ends inside the table, or NULL. */
const char *elf_string(const struct elf_bytes *table, uint64_t off)
{
	const uint8_t *p = elf_span(table, off, 1);

	if (!p || !memchr(p, '\0', table->len - off))
		return NULL;
	return (const char *)p;
}

__attribute__((format(printf, 2, 3))) static void set_error(struct reader *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	text_vformat(r->err, r->err_len, fmt, ap);
	va_end(ap);
}

/* Record the error and evaluate to -1, for `return fail(r, "...", ...);`. */
#define fail(r, ...) (set_error((r), __VA_ARGS__), -1)

/*
 * Names go into the model already escaped: whoever prints them later (the
 * loader's messages) cannot forget to. Names that need escaping can never
 * match the map names the loader looks for, so nothing else changes.
 */
static void copy_name(char *dst, const char *src)
{
	char esc[ELF_ESC_MAX];

	text_format(dst, ELF_NAME_MAX, "%s", text_escape(src, esc, sizeof(esc)));
}

static const char *byte_order_name(uint8_t data)
{
	return data == ELFDATA2LSB   ? "little-endian"
	       : data == ELFDATA2MSB ? "big-endian"
				     : "of unknown byte order";
}

/* 3a: the ELF header. */
static int check_header(struct reader *r)
{
	static const uint8_t host_data =
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
		ELFDATA2LSB;
#else
		ELFDATA2MSB;
#endif
	const Elf64_Ehdr *eh = &r->eh;
	uint64_t table_size;

	if (elf_read(&r->file, 0, &r->eh, sizeof(r->eh)))
		return fail(r, "ELF header: file is %zu bytes, shorter than an ELF64 header (%zu)",
			    r->file.len, sizeof(r->eh));
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0)
		return fail(r, "ELF header: bad magic, not an ELF file");
	if (eh->e_ident[EI_CLASS] != ELFCLASS64)
		return fail(r, "ELF header: class %u, want ELFCLASS64 (BPF objects are 64-bit)",
			    eh->e_ident[EI_CLASS]);
	if (eh->e_ident[EI_DATA] != host_data)
		return fail(r,
			    "ELF header: object is %s but this host is %s: rebuild with -target %s",
			    byte_order_name(eh->e_ident[EI_DATA]), byte_order_name(host_data),
			    host_data == ELFDATA2LSB ? "bpfel" : "bpfeb");
	if (eh->e_ident[EI_VERSION] != EV_CURRENT || eh->e_version != EV_CURRENT)
		return fail(r, "ELF header: version %u, want %u", eh->e_version, EV_CURRENT);
	if (eh->e_type != ET_REL)
		return fail(r, "ELF header: type %u, want ET_REL (an object from `clang -c`)",
			    eh->e_type);
	/* Old LLVM wrote EM_NONE; libbpf and cilium/ebpf accept it too. */
	if (eh->e_machine != EM_BPF && eh->e_machine != EM_NONE)
		return fail(r,
			    "ELF header: machine %u, want EM_BPF (%u): build with clang -target bpf",
			    eh->e_machine, EM_BPF);
	if (eh->e_shentsize != sizeof(Elf64_Shdr))
		return fail(r, "ELF header: section header size %u, want %zu", eh->e_shentsize,
			    sizeof(Elf64_Shdr));
	/* 0 means "more than 0xff00 sections, count in section 0": never from clang. */
	if (eh->e_shnum == 0)
		return fail(r,
			    "ELF header: e_shnum is 0 (no sections, or extended numbering, which is not supported)");
	if (eh->e_shstrndx == SHN_XINDEX)
		return fail(r,
			    "ELF header: section-name table index is SHN_XINDEX (extended numbering), which is not supported");
	if (eh->e_shstrndx == SHN_UNDEF || eh->e_shstrndx >= eh->e_shnum)
		return fail(r, "ELF header: section-name table index %u out of range (%u sections)",
			    eh->e_shstrndx, eh->e_shnum);
	r->shnum = eh->e_shnum;
	table_size = (uint64_t)r->shnum * sizeof(Elf64_Shdr); /* <= 65535 * 64 */
	if (!elf_span(&r->file, eh->e_shoff, table_size))
		return fail(r,
			    "ELF header: section header table at offset 0x%llx (%llu bytes) runs past the end of the file (%zu bytes)",
			    (unsigned long long)eh->e_shoff, (unsigned long long)table_size,
			    r->file.len);
	return 0;
}

static void section_header(const struct reader *r, uint32_t index, Elf64_Shdr *sh)
{
	/* In bounds: check_header() checked the whole table. */
	memcpy(sh, r->file.p + r->eh.e_shoff + (uint64_t)index * sizeof(*sh), sizeof(*sh));
}

/* The printable name of section `index`, for messages. */
static const char *section_name(const struct reader *r, uint32_t index, char *out, size_t out_len)
{
	Elf64_Shdr sh;
	const char *name;

	if (index >= r->shnum)
		return "?";
	section_header(r, index, &sh);
	name = r->shstrtab.p ? elf_string(&r->shstrtab, sh.sh_name) : NULL;
	return name ? text_escape(name, out, out_len) : "?";
}

/* The file bytes of a section; SHT_NOBITS has none to read. */
static int section_bytes(struct reader *r, uint32_t index, const Elf64_Shdr *sh,
			 struct elf_bytes *out)
{
	char esc[ELF_ESC_MAX];

	if (sh->sh_type == SHT_NOBITS)
		return fail(r, "section %u '%s': has no data in the file (SHT_NOBITS)", index,
			    section_name(r, index, esc, sizeof(esc)));
	out->p = elf_span(&r->file, sh->sh_offset, sh->sh_size);
	out->len = (size_t)sh->sh_size;
	if (!out->p)
		return fail(r,
			    "section %u '%s': offset 0x%llx size %llu runs past the end of the file (%zu bytes)",
			    index, section_name(r, index, esc, sizeof(esc)),
			    (unsigned long long)sh->sh_offset, (unsigned long long)sh->sh_size,
			    r->file.len);
	return 0;
}

static int is_program_section(const char *name)
{
	return strncmp(name, "cgroup_skb/", 11) == 0 || strncmp(name, "cgroup/skb", 10) == 0;
}

/* 3b: the section-name table, then each section header in turn. */
static int scan_sections(struct reader *r)
{
	Elf64_Shdr sh;
	char esc[ELF_ESC_MAX];
	uint32_t i;

	section_header(r, r->eh.e_shstrndx, &sh);
	if (sh.sh_type != SHT_STRTAB)
		return fail(r, "section %u: the section-name table has type %u, want SHT_STRTAB",
			    r->eh.e_shstrndx, sh.sh_type);
	if (section_bytes(r, r->eh.e_shstrndx, &sh, &r->shstrtab))
		return -1;

	for (i = 1; i < r->shnum; i++) {
		struct elf_bytes data;
		const char *name;

		section_header(r, i, &sh);
		name = elf_string(&r->shstrtab, sh.sh_name);
		if (!name)
			return fail(r,
				    "section %u: name offset %u is outside the section-name table or not NUL-terminated",
				    i, sh.sh_name);
		/* Every section's bytes must be inside the file; SHT_NOBITS has none. */
		if (sh.sh_type != SHT_NOBITS && section_bytes(r, i, &sh, &data))
			return -1;

		if (sh.sh_type == SHT_SYMTAB) {
			if (r->symtab_index)
				return fail(r,
					    "section %u '%s': a second symbol table (first is section %u)",
					    i, text_escape(name, esc, sizeof(esc)),
					    r->symtab_index);
			r->symtab_index = i;
		} else if (sh.sh_type == SHT_PROGBITS && (sh.sh_flags & SHF_EXECINSTR)) {
			if (sh.sh_size == 0)
				continue; /* clang always emits an empty .text */
			if (!is_program_section(name))
				return fail(r,
					    "section %u '%s': %llu bytes of code outside a cgroup_skb/ section (subprograms, BPF-to-BPF calls and other program types are not supported)",
					    i, text_escape(name, esc, sizeof(esc)),
					    (unsigned long long)sh.sh_size);
			if (!r->first_prog_index)
				r->first_prog_index = i;
			r->prog_cnt++;
			if (r->want && strcmp(name, r->want) != 0)
				continue; /* another program, not taken */
			if (r->prog_index)
				return fail(r,
					    "section %u '%s': a second program (first is section %u); this loader takes exactly one",
					    i, text_escape(name, esc, sizeof(esc)), r->prog_index);
			r->prog_index = i;
		} else if (strcmp(name, "maps") == 0) {
			r->maps_index = i;
		} else if (strcmp(name, "license") == 0) {
			r->license_index = i;
		} else if (strcmp(name, ".BTF") == 0) {
			r->btf_index = i;
		} else if (strcmp(name, ".BTF.ext") == 0) {
			r->btf_ext_index = i;
		} else if (strcmp(name, ".maps") == 0) {
			return fail(r,
				    "section %u '.maps': BTF-defined maps are not supported; declare maps as struct legacy_map_def in SEC(\"maps\")",
				    i);
		}
	}
	/* The one program there is stands in for the one asked for. */
	if (!r->prog_index && r->prog_cnt == 1)
		r->prog_index = r->first_prog_index;
	if (!r->prog_index && r->prog_cnt > 1)
		return fail(r, "%u programs, and none in a section named '%s'", r->prog_cnt,
			    text_escape(r->want, esc, sizeof(esc)));
	if (!r->prog_index)
		return fail(r,
			    "no program: no non-empty executable section named cgroup_skb/... or cgroup/skb");
	if (!r->symtab_index)
		return fail(r, "no symbol table (SHT_SYMTAB): was the object stripped?");
	return 0;
}

/* The symbol table and its string table, checked once for later reads. */
static int load_symtab(struct reader *r)
{
	Elf64_Shdr sh, str;
	char esc[ELF_ESC_MAX];
	uint32_t i = r->symtab_index;

	section_header(r, i, &sh);
	if (sh.sh_entsize != sizeof(Elf64_Sym) || sh.sh_size % sizeof(Elf64_Sym) != 0)
		return fail(r,
			    "section %u '%s': symbol entry size %llu and table size %llu, want entries of %zu",
			    i, section_name(r, i, esc, sizeof(esc)),
			    (unsigned long long)sh.sh_entsize, (unsigned long long)sh.sh_size,
			    sizeof(Elf64_Sym));
	if (section_bytes(r, i, &sh, &r->symtab))
		return -1;
	r->sym_cnt = r->symtab.len / sizeof(Elf64_Sym);
	if (sh.sh_link == 0 || sh.sh_link >= r->shnum)
		return fail(r, "section %u '%s': string table index %u out of range", i,
			    section_name(r, i, esc, sizeof(esc)), sh.sh_link);
	section_header(r, sh.sh_link, &str);
	if (str.sh_type != SHT_STRTAB)
		return fail(r,
			    "section %u '%s': its string table (section %u) has type %u, want SHT_STRTAB",
			    i, section_name(r, i, esc, sizeof(esc)), sh.sh_link, str.sh_type);
	return section_bytes(r, sh.sh_link, &str, &r->strtab);
}

static int read_symbol(struct reader *r, uint64_t index, Elf64_Sym *sym, const char **name)
{
	if (index == 0 || index >= r->sym_cnt)
		return fail(r, "symbol %llu: out of range (%zu symbols)", (unsigned long long)index,
			    r->sym_cnt);
	/* index < sym_cnt keeps this inside the table; checked all the same. */
	if (elf_read(&r->symtab, index * sizeof(*sym), sym, sizeof(*sym)))
		return fail(r, "symbol %llu: outside the symbol table", (unsigned long long)index);
	*name = elf_string(&r->strtab, sym->st_name);
	if (!*name)
		return fail(r,
			    "symbol %llu: name offset %u is outside the string table or not NUL-terminated",
			    (unsigned long long)index, sym->st_name);
	return 0;
}

/* The function symbol at offset 0 of section `index`, into `out` (left empty if there is none). */
static int function_name(struct reader *r, uint32_t index, char out[ELF_NAME_MAX])
{
	uint64_t s;

	for (s = 1; s < r->sym_cnt; s++) {
		Elf64_Sym sym;
		const char *name;

		if (read_symbol(r, s, &sym, &name))
			return -1;
		if (sym.st_shndx == index && ELF64_ST_TYPE(sym.st_info) == STT_FUNC &&
		    sym.st_value == 0) {
			copy_name(out, name);
			break;
		}
	}
	return 0;
}

/* 3c: the instructions, copied so that relocation never writes into the object. */
static int load_program(struct reader *r, struct elf_obj *obj)
{
	Elf64_Shdr sh;
	char esc[ELF_ESC_MAX];

	section_header(r, r->prog_index, &sh);
	section_name(r, r->prog_index, esc, sizeof(esc));
	if (sh.sh_type != SHT_PROGBITS || section_bytes(r, r->prog_index, &sh, &r->prog))
		return fail(r, "section %u '%s': program has no data", r->prog_index, esc);
	if (r->prog.len % BPF_INSN_SIZE != 0)
		return fail(r,
			    "section %u '%s': size %zu is not a multiple of the %d-byte instruction",
			    r->prog_index, esc, r->prog.len, BPF_INSN_SIZE);
	copy_name(obj->prog_section, elf_string(&r->shstrtab, sh.sh_name));
	obj->insn_cnt = r->prog.len / BPF_INSN_SIZE;
	obj->insns = mem_alloc(r->prog.len);
	if (!obj->insns)
		return fail(r, "section %u '%s': copying %zu bytes: %s", r->prog_index, esc,
			    r->prog.len, strerror(ENOMEM));
	memcpy(obj->insns, r->prog.p, r->prog.len);

	/*
	 * The program's own name, and the object's: the first program's,
	 * which every program of the object goes by in the kernel (object.c).
	 */
	return function_name(r, r->prog_index, obj->prog_name) ||
	       function_name(r, r->first_prog_index, obj->name);
}

/* 3d: one legacy map definition per symbol in `maps`. */
static int load_maps(struct reader *r, struct elf_obj *obj)
{
	Elf64_Shdr sh;
	char esc[ELF_ESC_MAX];
	uint64_t s;

	if (!r->maps_index)
		return 0;
	section_header(r, r->maps_index, &sh);
	if (section_bytes(r, r->maps_index, &sh, &r->maps))
		return -1;

	for (s = 1; s < r->sym_cnt; s++) {
		struct legacy_map_def def;
		struct map_def *m;
		Elf64_Sym sym;
		const char *name;
		const uint8_t *bytes;
		size_t k;

		if (read_symbol(r, s, &sym, &name))
			return -1;
		if (sym.st_shndx != r->maps_index || ELF64_ST_TYPE(sym.st_info) == STT_SECTION)
			continue;
		text_escape(name, esc, sizeof(esc));
		if (obj->map_cnt == ELF_MAX_MAPS)
			return fail(r, "maps: symbol %llu '%s': more than %d maps",
				    (unsigned long long)s, esc, ELF_MAX_MAPS);
		/*
		 * Each symbol's st_size says how big its definition is: 20
		 * bytes from the kernel samples, 28 from Aya. Fields we do not
		 * know must be zero, so nothing the author asked for is
		 * silently ignored.
		 */
		if (sym.st_size < LEGACY_MAP_DEF_SIZE)
			return fail(r,
				    "maps: symbol %llu '%s': definition is %llu bytes, want at least %zu",
				    (unsigned long long)s, esc, (unsigned long long)sym.st_size,
				    LEGACY_MAP_DEF_SIZE);
		bytes = elf_span(&r->maps, sym.st_value, sym.st_size);
		if (!bytes)
			return fail(r,
				    "maps: symbol %llu '%s': offset 0x%llx size %llu runs past the end of the section (%zu bytes)",
				    (unsigned long long)s, esc, (unsigned long long)sym.st_value,
				    (unsigned long long)sym.st_size, r->maps.len);
		for (k = LEGACY_MAP_DEF_SIZE; k < sym.st_size; k++)
			if (bytes[k])
				return fail(r,
					    "maps: symbol %llu '%s': unsupported non-zero field at byte %zu of the definition (pinning or map-in-map?)",
					    (unsigned long long)s, esc, k);
		for (k = 0; k < obj->map_cnt; k++)
			if (strncmp(obj->maps[k].name, esc, ELF_NAME_MAX - 1) == 0)
				return fail(r, "maps: symbol %llu: a second map named '%s'",
					    (unsigned long long)s, esc);
		for (k = 0; k < obj->map_cnt; k++)
			if (sym.st_value < obj->maps[k].offset + LEGACY_MAP_DEF_SIZE &&
			    obj->maps[k].offset < sym.st_value + LEGACY_MAP_DEF_SIZE)
				return fail(r,
					    "maps: symbol %llu '%s' at offset 0x%llx overlaps map '%s'",
					    (unsigned long long)s, esc,
					    (unsigned long long)sym.st_value, obj->maps[k].name);
		memcpy(&def, bytes, sizeof(def));
		if (def.type > MAP_TYPE_MAX)
			return fail(r, "maps: symbol %llu '%s': unknown map type %u",
				    (unsigned long long)s, esc, def.type);
		/* A ring buffer (27) has records, not keys and values: its sizes are 0. */
		if (def.type == 0 ||
		    (def.type != MAP_TYPE_RINGBUF && (def.key_size == 0 || def.value_size == 0)))
			return fail(r,
				    "maps: symbol %llu '%s': type %u, key size %u, value size %u: none may be 0",
				    (unsigned long long)s, esc, def.type, def.key_size,
				    def.value_size);

		m = &obj->maps[obj->map_cnt++];
		copy_name(m->name, name);
		m->type = def.type;
		m->key_size = def.key_size;
		m->value_size = def.value_size;
		m->max_entries = def.max_entries;
		m->map_flags = def.map_flags;
		m->offset = sym.st_value;
		m->symbol_index = (uint32_t)s;
	}
	return 0;
}

/* 3e: the license, which decides whether GPL-only helpers may be used. */
static int load_license(struct reader *r, struct elf_obj *obj)
{
	Elf64_Shdr sh;
	struct elf_bytes lic = { 0 };
	const uint8_t *nul;

	if (!r->license_index) {
		/* As Aya does: Rust BPF programs have no license section. */
		text_format(obj->license, sizeof(obj->license), "GPL");
		return 0;
	}
	section_header(r, r->license_index, &sh);
	if (section_bytes(r, r->license_index, &sh, &lic))
		return -1;
	nul = lic.len ? memchr(lic.p, '\0', lic.len) : NULL;
	if (!nul)
		return fail(r, "section %u 'license': not NUL-terminated", r->license_index);
	if ((size_t)(nul - lic.p) >= sizeof(obj->license))
		return fail(r, "section %u 'license': %zu bytes, longer than the kernel's %zu",
			    r->license_index, (size_t)(nul - lic.p), sizeof(obj->license) - 1);
	memcpy(obj->license, lic.p, (size_t)(nul - lic.p) + 1);
	obj->license_from_object = 1;
	return 0;
}

/* Which map a relocation points at: by the byte offset inside `maps`. */
static int find_map_at(const struct elf_obj *obj, uint64_t offset)
{
	size_t i;

	for (i = 0; i < obj->map_cnt; i++)
		if (obj->maps[i].offset == offset)
			return (int)i;
	return -1;
}

/* 3f, for one entry of a relocation section. */
static int load_one_reloc(struct reader *r, struct elf_obj *obj, uint32_t rel_index,
			  const struct elf_bytes *rel, uint64_t n)
{
	char esc[ELF_ESC_MAX], sec[ELF_ESC_MAX], where[ELF_ESC_MAX + 96];
	Elf64_Rel rl;
	Elf64_Sym sym;
	const char *name;
	uint8_t insn[2 * BPF_INSN_SIZE];
	uint32_t type;
	int32_t imm;
	uint64_t map_offset;
	int map;

	if (elf_read(rel, n * sizeof(rl), &rl, sizeof(rl)))
		return fail(r, "section %u: relocation %llu: outside the section", rel_index,
			    (unsigned long long)n);
	text_format(where, sizeof(where), "section %u '%s': relocation %llu at offset 0x%llx",
		    rel_index, section_name(r, rel_index, sec, sizeof(sec)), (unsigned long long)n,
		    (unsigned long long)rl.r_offset);
	type = (uint32_t)ELF64_R_TYPE(rl.r_info);
	if (read_symbol(r, ELF64_R_SYM(rl.r_info), &sym, &name)) {
		char why[256];

		text_format(why, sizeof(why), "%s", r->err);
		return fail(r, "%s: %s", where, why);
	}
	text_escape(name, esc, sizeof(esc));
	if (type == R_BPF_64_32)
		return fail(r,
			    "%s: call to '%s': BPF-to-BPF calls are not supported (mark the function __always_inline)",
			    where, esc);
	if (type != R_BPF_64_64)
		return fail(r,
			    "%s: symbol '%s': relocation type %u is not supported (only R_BPF_64_64 for maps)",
			    where, esc, type);
	/* An ld_imm64 spans two 8-byte slots, so 16 bytes must be there. */
	if (rl.r_offset % BPF_INSN_SIZE != 0 || elf_read(&r->prog, rl.r_offset, insn, sizeof(insn)))
		return fail(r,
			    "%s: symbol '%s': not an instruction boundary with room for ld_imm64 (program is %zu bytes)",
			    where, esc, r->prog.len);
	if (insn[0] != BPF_LD_IMM_DW || insn[BPF_INSN_SIZE] != 0)
		return fail(r,
			    "%s: symbol '%s': instruction %llu has opcode 0x%02x, not ld_imm64 (0x18)",
			    where, esc, (unsigned long long)(rl.r_offset / BPF_INSN_SIZE), insn[0]);
	if (!r->maps_index || sym.st_shndx != r->maps_index) {
		char target[ELF_ESC_MAX];

		return fail(r,
			    "%s: symbol '%s' is in section %u '%s', not 'maps': global data is not supported",
			    where, esc, sym.st_shndx,
			    sym.st_shndx < r->shnum
				    ? section_name(r, sym.st_shndx, target, sizeof(target))
				    : "special");
	}
	/* A static map is named by its section symbol plus the imm as offset. */
	memcpy(&imm, insn + 4, sizeof(imm));
	map_offset = sym.st_value;
	if (ELF64_ST_TYPE(sym.st_info) == STT_SECTION)
		map_offset += (uint64_t)(int64_t)imm;
	else if (imm != 0)
		return fail(r, "%s: symbol '%s': ld_imm64 carries offset %d into a map definition",
			    where, esc, imm);
	map = find_map_at(obj, map_offset);
	if (map < 0)
		return fail(r,
			    "%s: symbol '%s': no map definition starts at offset 0x%llx of 'maps'",
			    where, esc, (unsigned long long)map_offset);

	if (r->relocated[rl.r_offset / BPF_INSN_SIZE])
		return fail(r, "%s: symbol '%s': a second relocation for instruction %llu", where,
			    esc, (unsigned long long)(rl.r_offset / BPF_INSN_SIZE));
	r->relocated[rl.r_offset / BPF_INSN_SIZE] = 1;
	obj->relocs[obj->reloc_cnt].insn_index = (uint32_t)(rl.r_offset / BPF_INSN_SIZE);
	obj->relocs[obj->reloc_cnt].map_index = (uint32_t)map;
	obj->relocs[obj->reloc_cnt].symbol_index = (uint32_t)ELF64_R_SYM(rl.r_info);
	obj->reloc_cnt++;
	return 0;
}

/* 3f: relocations of the program section; those of .BTF, .debug_* are not ours. */
static int load_relocs(struct reader *r, struct elf_obj *obj)
{
	char esc[ELF_ESC_MAX];
	uint32_t i;

	for (i = 1; i < r->shnum; i++) {
		Elf64_Shdr sh;
		struct elf_bytes rel;
		uint64_t n, cnt;
		struct map_reloc *grown;

		section_header(r, i, &sh);
		if (sh.sh_type == SHT_RELA)
			return fail(r,
				    "section %u '%s': SHT_RELA relocations; BPF objects use SHT_REL",
				    i, section_name(r, i, esc, sizeof(esc)));
		if (sh.sh_type != SHT_REL || sh.sh_info != r->prog_index)
			continue;
		/*
		 * clang writes one; more would let a small file repeat the same
		 * entries thousands of times and make us allocate for all.
		 */
		if (r->prog_rel_index)
			return fail(r,
				    "section %u '%s': a second relocation section for the program (first is section %u)",
				    i, section_name(r, i, esc, sizeof(esc)), r->prog_rel_index);
		r->prog_rel_index = i;
		if (sh.sh_entsize != sizeof(Elf64_Rel) || sh.sh_size % sizeof(Elf64_Rel) != 0)
			return fail(r,
				    "section %u '%s': entry size %llu and size %llu, want entries of %zu",
				    i, section_name(r, i, esc, sizeof(esc)),
				    (unsigned long long)sh.sh_entsize,
				    (unsigned long long)sh.sh_size, sizeof(Elf64_Rel));
		if (sh.sh_link != r->symtab_index)
			return fail(r, "section %u '%s': symbol table index %u, want %u", i,
				    section_name(r, i, esc, sizeof(esc)), sh.sh_link,
				    r->symtab_index);
		if (section_bytes(r, i, &sh, &rel))
			return -1;
		cnt = rel.len / sizeof(Elf64_Rel);
		/* At most one relocation per instruction slot can be valid. */
		if (cnt > obj->insn_cnt)
			return fail(r, "section %u '%s': %llu relocations for %zu instructions", i,
				    section_name(r, i, esc, sizeof(esc)), (unsigned long long)cnt,
				    obj->insn_cnt);
		grown = mem_resize(obj->relocs, (cnt + 1) * sizeof(*grown));
		if (grown)
			obj->relocs = grown;
		r->relocated = mem_alloc(obj->insn_cnt);
		if (!grown || !r->relocated)
			return fail(r, "section %u: room for %llu relocations: %s", i,
				    (unsigned long long)cnt, strerror(ENOMEM));
		for (n = 0; n < cnt; n++)
			if (load_one_reloc(r, obj, i, &rel, n))
				return -1;
	}
	return 0;
}

/* The bytes of an optional section (index 0: none), as a view for later. */
static void keep_section(const struct reader *r, uint32_t index, struct elf_bytes *out)
{
	Elf64_Shdr sh;

	if (!index)
		return;
	section_header(r, index, &sh);
	if (sh.sh_type == SHT_PROGBITS)
		out->p = elf_span(&r->file, sh.sh_offset, sh.sh_size);
	out->len = out->p ? (size_t)sh.sh_size : 0;
}

int elf_obj_parse(struct elf_obj *obj, const uint8_t *buf, size_t len, const char *program,
		  char *err, size_t err_len)
{
	struct reader r = { .file = { buf, len }, .want = program, .err = err, .err_len = err_len };
	int rc;

	memset(obj, 0, sizeof(*obj));
	if (err_len)
		err[0] = '\0';
	if (!buf)
		r.file.len = 0;
	rc = check_header(&r) || scan_sections(&r) || load_symtab(&r) || load_program(&r, obj) ||
	     load_maps(&r, obj) || load_license(&r, obj) || load_relocs(&r, obj);
	mem_free(r.relocated);
	if (rc) {
		elf_obj_free(obj);
		return -1;
	}
	obj->section_cnt = r.shnum;
	obj->prog_index = r.prog_index;
	obj->file = r.file;
	obj->shoff = r.eh.e_shoff;
	obj->shstrtab = r.shstrtab;
	obj->symtab = r.symtab;
	obj->strtab = r.strtab;
	/* scan_sections() checked that they lie in the file; btf.c checks what is in them. */
	keep_section(&r, r.btf_index, &obj->btf);
	keep_section(&r, r.btf_ext_index, &obj->btf_ext);
	return 0;
}

void elf_obj_free(struct elf_obj *obj)
{
	mem_free(obj->insns);
	mem_free(obj->relocs);
	memset(obj, 0, sizeof(*obj));
}

const struct map_def *elf_obj_find_map(const struct elf_obj *obj, const char *name)
{
	size_t i;

	for (i = 0; i < obj->map_cnt; i++)
		if (strcmp(obj->maps[i].name, name) == 0)
			return &obj->maps[i];
	return NULL;
}

/*
 * Lookups after parsing, on the views kept in the elf_obj: the same checks
 * as during parsing, since nothing here may trust the bytes either.
 */
/* Section `index`'s header and raw name (NULL if not in the table): 0, or -1 if out of range. */
static int raw_section(const struct elf_obj *obj, uint32_t index, Elf64_Shdr *sh, const char **name)
{
	if (index == 0 || index >= obj->section_cnt)
		return -1;
	/* In bounds: check_header() checked the whole table. */
	memcpy(sh, obj->file.p + obj->shoff + (uint64_t)index * sizeof(*sh), sizeof(*sh));
	*name = elf_string(&obj->shstrtab, sh->sh_name);
	return 0;
}

int elf_obj_section(const struct elf_obj *obj, uint32_t index, struct elf_section *out)
{
	Elf64_Shdr sh;
	const char *name;

	if (raw_section(obj, index, &sh, &name))
		return -1;
	copy_name(out->name, name ? name : "?");
	out->type = sh.sh_type;
	out->size = sh.sh_size;
	return 0;
}

const char *elf_obj_section_name(const struct elf_obj *obj, uint32_t index)
{
	Elf64_Shdr sh;
	const char *name;

	return raw_section(obj, index, &sh, &name) ? NULL : name;
}

/* Names compared as the object spells them, not as escaped for printing. */
int elf_obj_find_section(const struct elf_obj *obj, const char *name, uint32_t *index,
			 uint64_t *size)
{
	Elf64_Shdr sh;
	const char *n;
	uint32_t i;

	for (i = 1; raw_section(obj, i, &sh, &n) == 0; i++)
		if (n && strcmp(n, name) == 0) {
			*index = i;
			*size = sh.sh_size;
			return 0;
		}
	return -1;
}

int elf_obj_symbol_value(const struct elf_obj *obj, uint32_t index, const char *name,
			 uint64_t *value)
{
	size_t i, cnt = obj->symtab.len / sizeof(Elf64_Sym);

	for (i = 1; i < cnt; i++) {
		Elf64_Sym sym;
		const char *n;

		memcpy(&sym, obj->symtab.p + i * sizeof(sym), sizeof(sym));
		n = elf_string(&obj->strtab, sym.st_name);
		if (sym.st_shndx == index && n && strcmp(n, name) == 0) {
			*value = sym.st_value;
			return 0;
		}
	}
	return -1;
}
