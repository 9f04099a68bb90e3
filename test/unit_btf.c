/* SPDX-License-Identifier: MIT */
/*
 * unit_btf.c - tests of the BTF reader (btf.c) on the real object and on
 * hand-broken copies of it.
 */
#include <elf.h>
#include <linux/btf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "btf.h"
#include "check.h"
#include "elf_min.h"
#include "unit.h"

/* ---- BTF ------------------------------------------------------------------------ */

/* Parse `o`, then its BTF; 0 and *b filled (free both), or -1 with err. */
static int parse_btf(const uint8_t *o, size_t len, struct elf_obj *obj, struct btf_obj *b,
		     char *err, size_t err_len)
{
	if (elf_obj_parse(obj, o, len, "cgroup/skb", err, err_len))
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
	CHECK(btf_map_types(&b, "BLOCKLIST_A", &key, &value) == 0 && key && value && key != value);
	CHECK(btf_map_types(&b, "BLOCKNETS_A", &i, &id) == 0 && i == key && id == value);
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
	c[btf_string(c, "BLOCKLIST_A") + 8] = 'X';
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

	CHECK(elf_obj_parse(&obj, object, object_len, "cgroup/skb", err, sizeof(err)) == 0);
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

void unit_btf(void)
{
	RUN(btf_reads_the_real_object);
	RUN(btf_rejects_bad_headers);
	RUN(btf_rejects_bad_types);
	RUN(btf_rejects_bad_ext);
	RUN(btf_sorts_datasec_entries);
	RUN(btf_survives_every_truncation);
}
