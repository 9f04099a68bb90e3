/* SPDX-License-Identifier: MIT */
/*
 * btf.c - read the object's BTF and make it loadable (btf.h).
 *
 * Step 6 of a run (loader.c, maps.c) reads the BTF before creating the
 * maps; btf_parse() takes it in these parts, in order:
 *   6a. Copy .BTF and check its header: magic, version, and that the type
 *      and string sections lie inside it.
 *   6b. Walk the types once, noting where each starts. A type's length
 *      depends on its kind (a struct's members follow it), so type id N can
 *      only be found by walking the N - 1 before it.
 *   6c. Fix each DATASEC: its size from the ELF section of the same name,
 *      each variable's offset from the ELF symbol of the same name, and the
 *      variables put in offset order, which the kernel insists on.
 *   6d. From .BTF.ext, copy the func_info and line_info records of the
 *      program's section, their offsets turned from bytes into instructions.
 *
 * BPF_BTF_LOAD checks all of it again; what is checked here is everything
 * this file reads or writes, so that no byte of the object can make it read
 * or write outside a buffer.
 */
#include "btf.h"

#include <stdarg.h>
#include <string.h>

#include <linux/bpf.h>
#include <linux/btf.h>

#include "mem.h"
#include "text.h"

/* What .BTF.ext starts with (libbpf's struct btf_ext_header; not in the uapi). */
struct btf_ext_header {
	uint16_t magic;
	uint8_t version;
	uint8_t flags;
	uint32_t hdr_len;
	uint32_t func_info_off;
	uint32_t func_info_len;
	uint32_t line_info_off;
	uint32_t line_info_len;
};

#define BTF_TYPE_SIZE sizeof(struct btf_type)
#define EXT_REC_MAX 252u /* the kernel's MAX_FUNCINFO_REC_SIZE; today's are 8 and 16 */
#define TYPEDEF_HOPS 16	 /* typedefs and qualifiers followed before giving up */
/*
 * Each variable is looked up among the ELF symbols and sorted by insertion:
 * quadratic, so a hostile object could make it take minutes. A section of
 * maps holds at most ELF_MAX_MAPS; this leaves room for data sections.
 */
#define DATASEC_VARS_MAX 1024u

struct btf_reader {
	struct btf_obj *b;
	const struct elf_obj *obj;
	struct elf_bytes all; /* b->data */
	char *err;
	size_t err_len;
};

__attribute__((format(printf, 2, 3))) static int fail(struct btf_reader *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	text_vformat(r->err, r->err_len, fmt, ap);
	va_end(ap);
	return -1;
}

static struct elf_bytes view(const struct btf_obj *b)
{
	struct elf_bytes all = { b->data, b->len };

	return all;
}

/* Type `id`'s header into *t: 0, or -1 for id 0 or one past the last. */
static int get_type(const struct btf_obj *b, uint32_t id, struct btf_type *t)
{
	struct elf_bytes all = view(b);

	if (id == 0 || id > b->type_cnt)
		return -1;
	return elf_read(&all, b->type_off[id], t, BTF_TYPE_SIZE);
}

/* The name at `off` in the string section: "" for none, NULL if it is not inside. */
static const char *name_at(const struct btf_obj *b, uint32_t off)
{
	struct elf_bytes strings = { b->data + b->str_off, b->str_len };

	return elf_string(&strings, off);
}

/* What follows a type's header, in bytes, by kind; -1 for a kind we do not know. */
static int64_t extra_size(uint32_t kind, uint32_t vlen)
{
	switch (kind) {
	case BTF_KIND_INT:
	case BTF_KIND_VAR:
	case BTF_KIND_DECL_TAG:
		return 4;
	case BTF_KIND_ARRAY:
		return (int64_t)sizeof(struct btf_array);
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		return (int64_t)vlen * (int64_t)sizeof(struct btf_member);
	case BTF_KIND_ENUM:
		return (int64_t)vlen * (int64_t)sizeof(struct btf_enum);
	case BTF_KIND_FUNC_PROTO:
		return (int64_t)vlen * (int64_t)sizeof(struct btf_param);
	case BTF_KIND_DATASEC:
		return (int64_t)vlen * (int64_t)sizeof(struct btf_var_secinfo);
	case BTF_KIND_ENUM64:
		return (int64_t)vlen * (int64_t)sizeof(struct btf_enum64);
	case BTF_KIND_PTR:
	case BTF_KIND_FWD:
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_CONST:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_FUNC:
	case BTF_KIND_FLOAT:
	case BTF_KIND_TYPE_TAG:
		return 0;
	default:
		return -1;
	}
}

/* 6a and 6b: the header, then one walk over the types. */
static int read_types(struct btf_reader *r)
{
	struct btf_obj *b = r->b;
	struct btf_header h;
	struct elf_bytes body, types;
	uint64_t off;
	int pass;

	if (elf_read(&r->all, 0, &h, sizeof(h)) || h.magic != BTF_MAGIC || h.version != BTF_VERSION)
		return fail(r, ".BTF: no BTF header of this byte order and version %d",
			    BTF_VERSION);
	body.p = elf_span(&r->all, h.hdr_len, 0);
	body.len = body.p ? b->len - h.hdr_len : 0;
	types.p = body.p ? elf_span(&body, h.type_off, h.type_len) : NULL;
	types.len = h.type_len;
	/*
	 * Types and strings must not overlap, as the kernel insists: fix-ups
	 * write into the types, and must never rewrite a name while it is used.
	 */
	if (h.hdr_len < sizeof(h) || !types.p || !elf_span(&body, h.str_off, h.str_len) ||
	    ((uint64_t)h.type_off + h.type_len > h.str_off &&
	     (uint64_t)h.str_off + h.str_len > h.type_off))
		return fail(r,
			    ".BTF: header length %u, types at %u (%u bytes), strings at %u (%u bytes): not inside the section (%zu bytes), or overlapping",
			    h.hdr_len, h.type_off, h.type_len, h.str_off, h.str_len, b->len);
	if (h.type_off % 4)
		return fail(r, ".BTF: types at offset %u, not 4-byte aligned", h.type_off);
	if (h.str_len == 0 || body.p[h.str_off] != '\0' ||
	    body.p[(uint64_t)h.str_off + h.str_len - 1] != '\0')
		return fail(r,
			    ".BTF: the string section (%u bytes) does not begin and end with NUL",
			    h.str_len);
	b->str_off = h.hdr_len + h.str_off;
	b->str_len = h.str_len;

	/* Count first, then note each type's offset in an array of that size. */
	for (pass = 0; pass < 2; pass++) {
		uint32_t id = 0;

		for (off = 0; off < types.len; id++) {
			struct btf_type t;
			int64_t extra;

			if (elf_read(&types, off, &t, BTF_TYPE_SIZE))
				return fail(r, ".BTF: type %u at offset %llu: cut short", id + 1,
					    (unsigned long long)off);
			extra = extra_size(BTF_INFO_KIND(t.info), BTF_INFO_VLEN(t.info));
			if (extra < 0)
				return fail(r, ".BTF: type %u: unknown kind %u", id + 1,
					    BTF_INFO_KIND(t.info));
			if (!elf_span(&types, off + BTF_TYPE_SIZE, (uint64_t)extra))
				return fail(r, ".BTF: type %u (kind %u, %u members): cut short",
					    id + 1, BTF_INFO_KIND(t.info), BTF_INFO_VLEN(t.info));
			if (pass)
				b->type_off[id + 1] = (uint32_t)(types.p - b->data + off);
			off += BTF_TYPE_SIZE + (uint64_t)extra;
		}
		b->type_cnt = id;
		if (!pass) {
			b->type_off = mem_alloc(((size_t)id + 1) * sizeof(*b->type_off));
			if (!b->type_off)
				return fail(r, ".BTF: indexing %u types: out of memory", id);
		}
	}
	return 0;
}

/* 6c for DATASEC `id`: size and offsets from the ELF object. */
static int fix_datasec(struct btf_reader *r, uint32_t id, struct btf_type *t)
{
	struct btf_obj *b = r->b;
	const char *name = name_at(b, t->name_off);
	char sec[ELF_ESC_MAX];
	uint32_t vlen = BTF_INFO_VLEN(t->info), index, k, j;
	uint64_t size;
	uint32_t at = b->type_off[id] + (uint32_t)BTF_TYPE_SIZE;

	/* For messages, escaped like every name the ELF reader prints. */
	text_escape(name ? name : "?", sec, sizeof(sec));
	if (vlen > DATASEC_VARS_MAX)
		return fail(r, ".BTF: DATASEC type %u '%s': %u variables, more than %u", id, sec,
			    vlen, DATASEC_VARS_MAX);
	/* The raw name: the types, which the fix-ups write, never overlap the strings. */
	if (!name || elf_obj_find_section(r->obj, name, &index, &size))
		return fail(r, ".BTF: DATASEC type %u '%s': no ELF section of that name", id, sec);
	if (size > UINT32_MAX)
		return fail(r, ".BTF: DATASEC type %u '%s': its section is %llu bytes, over 4 GiB",
			    id, sec, (unsigned long long)size);
	t->size = (uint32_t)size;
	memcpy(b->data + b->type_off[id], t, BTF_TYPE_SIZE);
	for (k = 0; k < vlen; k++) {
		struct btf_var_secinfo v;
		struct btf_type var;
		uint64_t value;

		/* In bounds: read_types() checked the whole entry array. */
		memcpy(&v, b->data + at + k * sizeof(v), sizeof(v));
		name = get_type(b, v.type, &var) == 0 && BTF_INFO_KIND(var.info) == BTF_KIND_VAR
			       ? name_at(b, var.name_off)
			       : NULL;
		/* The kernel wants each variable to start inside the section. */
		if (!name || elf_obj_symbol_value(r->obj, index, name, &value) || value >= size)
			return fail(r,
				    ".BTF: DATASEC '%s': entry %u (type %u) is not a variable with a symbol in that section",
				    sec, k, v.type);
		v.offset = (uint32_t)value;
		memcpy(b->data + at + k * sizeof(v), &v, sizeof(v));
	}
	/* Insertion sort by offset: a section holds a handful of variables. */
	for (k = 1; k < vlen; k++) {
		struct btf_var_secinfo cur, prev;

		memcpy(&cur, b->data + at + k * sizeof(cur), sizeof(cur));
		for (j = k; j > 0; j--) {
			memcpy(&prev, b->data + at + (j - 1) * sizeof(prev), sizeof(prev));
			if (prev.offset <= cur.offset)
				break;
			memcpy(b->data + at + j * sizeof(prev), &prev, sizeof(prev));
		}
		memcpy(b->data + at + j * sizeof(cur), &cur, sizeof(cur));
	}
	b->datasec_cnt++;
	return 0;
}

/*
 * 6d for one kind of record: the block of `what` in .BTF.ext is a record
 * size, then per section {name, count, records}. Ours are copied out, each
 * record's first field (insn_off) turned from bytes into instructions.
 */
static int read_ext_info(struct btf_reader *r, const struct elf_bytes *body, uint32_t off,
			 uint32_t len, uint32_t min_rec, const char *what, uint8_t **out,
			 uint32_t *rec_size, uint32_t *cnt)
{
	struct elf_bytes blk = { elf_span(body, off, len), len };
	/* The program section's name as the object spells it. */
	const char *prog = elf_obj_section_name(r->obj, r->obj->prog_index);
	uint32_t rec, hdr[2], i;
	uint64_t pos = 4;

	if (len == 0)
		return 0;
	if (!blk.p || elf_read(&blk, 0, &rec, sizeof(rec)) || rec < min_rec || rec % 4 ||
	    rec > EXT_REC_MAX)
		return fail(r,
			    ".BTF.ext: %s at %u (%u bytes): outside the section, or a bad record size",
			    what, off, len);
	for (; pos < blk.len; pos += (uint64_t)hdr[1] * rec) {
		const uint8_t *recs;
		const char *sec;

		if (elf_read(&blk, pos, hdr, sizeof(hdr)) ||
		    !(recs = elf_span(&blk, pos + sizeof(hdr), (uint64_t)hdr[1] * rec)))
			return fail(r, ".BTF.ext: %s: the section entry at %llu is cut short", what,
				    (unsigned long long)pos);
		pos += sizeof(hdr);
		sec = name_at(r->b, hdr[0]);
		if (!sec || !prog || strcmp(sec, prog) != 0 || hdr[1] == 0)
			continue;
		if (*out)
			return fail(r, ".BTF.ext: %s: a second entry for section '%s'", what,
				    r->obj->prog_section);
		*out = mem_alloc((size_t)hdr[1] * rec);
		if (!*out)
			return fail(r, ".BTF.ext: %s: copying %u records: out of memory", what,
				    hdr[1]);
		memcpy(*out, recs, (size_t)hdr[1] * rec);
		for (i = 0; i < hdr[1]; i++) {
			uint32_t insn_off;

			memcpy(&insn_off, *out + (size_t)i * rec, sizeof(insn_off));
			if (insn_off % BPF_INSN_SIZE ||
			    insn_off / BPF_INSN_SIZE >= r->obj->insn_cnt)
				return fail(r,
					    ".BTF.ext: %s record %u: byte offset %u is not an instruction of the program's %zu",
					    what, i, insn_off, r->obj->insn_cnt);
			insn_off /= BPF_INSN_SIZE;
			memcpy(*out + (size_t)i * rec, &insn_off, sizeof(insn_off));
		}
		*rec_size = rec;
		*cnt = hdr[1];
	}
	return 0;
}

static int read_ext(struct btf_reader *r)
{
	const struct elf_bytes *ext = &r->obj->btf_ext;
	struct btf_ext_header h;
	struct elf_bytes body;
	struct btf_obj *b = r->b;

	if (!ext->len)
		return 0;
	if (elf_read(ext, 0, &h, sizeof(h)) || h.magic != BTF_MAGIC || h.version != BTF_VERSION ||
	    h.hdr_len < sizeof(h) || h.hdr_len > ext->len)
		return fail(r, ".BTF.ext: no header of this byte order and version %d",
			    BTF_VERSION);
	body.p = ext->p + h.hdr_len;
	body.len = ext->len - h.hdr_len;
	return read_ext_info(r, &body, h.func_info_off, h.func_info_len,
			     (uint32_t)sizeof(struct bpf_func_info), "func_info", &b->func_info,
			     &b->func_info_rec_size, &b->func_info_cnt) ||
	       read_ext_info(r, &body, h.line_info_off, h.line_info_len,
			     (uint32_t)sizeof(struct bpf_line_info), "line_info", &b->line_info,
			     &b->line_info_rec_size, &b->line_info_cnt);
}

int btf_parse(struct btf_obj *b, const struct elf_obj *obj, char *err, size_t err_len)
{
	struct btf_reader r = { b, obj, { NULL, 0 }, err, err_len };
	uint32_t id;
	int rc = -1;

	memset(b, 0, sizeof(*b));
	if (!obj->btf.len || obj->btf.len > UINT32_MAX) {
		fail(&r, ".BTF: %zu bytes", obj->btf.len);
		return -1;
	}
	b->data = mem_alloc(obj->btf.len);
	if (!b->data) {
		fail(&r, ".BTF: copying %zu bytes: out of memory", obj->btf.len);
		return -1;
	}
	memcpy(b->data, obj->btf.p, obj->btf.len);
	b->len = obj->btf.len;
	r.all = view(b);
	if (read_types(&r) == 0) {
		rc = 0;
		for (id = 1; rc == 0 && id <= b->type_cnt; id++) {
			struct btf_type t;

			if (get_type(b, id, &t) == 0 && BTF_INFO_KIND(t.info) == BTF_KIND_DATASEC)
				rc = fix_datasec(&r, id, &t);
		}
		if (rc == 0)
			rc = read_ext(&r);
	}
	if (rc)
		btf_free(b);
	return rc;
}

void btf_free(struct btf_obj *b)
{
	mem_free(b->data);
	mem_free(b->type_off);
	mem_free(b->func_info);
	mem_free(b->line_info);
	memset(b, 0, sizeof(*b));
}

/* Follow typedefs and qualifiers to the type they name. */
static uint32_t resolve(const struct btf_obj *b, uint32_t id, struct btf_type *t)
{
	int hops;

	for (hops = 0; hops < TYPEDEF_HOPS && get_type(b, id, t) == 0; hops++) {
		uint32_t kind = BTF_INFO_KIND(t->info);

		if (kind != BTF_KIND_TYPEDEF && kind != BTF_KIND_CONST &&
		    kind != BTF_KIND_VOLATILE && kind != BTF_KIND_RESTRICT)
			return id;
		id = t->type;
	}
	return 0;
}

int btf_map_types(const struct btf_obj *b, const char *name, uint32_t *key_id, uint32_t *value_id)
{
	struct elf_bytes all = view(b);
	struct btf_type t;
	uint32_t id, k;

	*key_id = *value_id = 0;
	for (id = 1; id <= b->type_cnt; id++) {
		const char *n;

		if (get_type(b, id, &t) || BTF_INFO_KIND(t.info) != BTF_KIND_VAR)
			continue;
		n = name_at(b, t.name_off);
		if (n && strcmp(n, name) == 0)
			break;
	}
	id = id <= b->type_cnt ? resolve(b, t.type, &t) : 0;
	if (!id || BTF_INFO_KIND(t.info) != BTF_KIND_STRUCT)
		return -1;
	for (k = 0; k < BTF_INFO_VLEN(t.info); k++) {
		struct btf_member m;
		struct btf_type mt;
		struct btf_array arr;
		const char *n;

		if (elf_read(&all, b->type_off[id] + BTF_TYPE_SIZE + k * sizeof(m), &m,
			     sizeof(m)) ||
		    get_type(b, m.type, &mt) || BTF_INFO_KIND(mt.info) != BTF_KIND_ARRAY ||
		    elf_read(&all, b->type_off[m.type] + BTF_TYPE_SIZE, &arr, sizeof(arr)))
			continue;
		n = name_at(b, m.name_off);
		if (arr.type == 0 || arr.type > b->type_cnt)
			continue;
		if (n && strcmp(n, "key") == 0)
			*key_id = arr.type;
		else if (n && strcmp(n, "value") == 0)
			*value_id = arr.type;
	}
	return *key_id && *value_id ? 0 : -1;
}
