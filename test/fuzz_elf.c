/* SPDX-License-Identifier: MIT */
/*
 * fuzz_elf.c - libFuzzer target for the ELF reader (`make fuzz`).
 *
 * Whatever the bytes, elf_obj_parse() must return without reading outside
 * them (ASan), without undefined behaviour (UBSan), and either an error
 * message or a model whose promises hold: the ones the loader relies on when
 * it patches instructions and creates maps without checking again. Then the
 * same for the object's BTF (btf_parse(), btf_map_types()), which the
 * loader reads before creating maps (step 6).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../btf.h"
#include "../elf_min.h"
#include "../lz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void require(int cond)
{
	if (!cond)
		abort();
}

static int terminated(const char *s, size_t cap)
{
	return memchr(s, '\0', cap) != NULL;
}

/* The BTF model's promises: what BPF_PROG_LOAD is handed stays inside the program. */
static void check_btf(const struct elf_obj *obj)
{
	struct btf_obj b = { 0 };
	char err[256];
	uint32_t i, key, value;

	if (!obj->btf.len)
		return;
	if (btf_parse(&b, obj, err, sizeof(err)) != 0) {
		require(err[0] != '\0' && terminated(err, sizeof(err)));
		return;
	}
	require(b.data && b.len == obj->btf.len);
	for (i = 0; i < b.func_info_cnt; i++) {
		uint32_t insn;

		memcpy(&insn, b.func_info + (size_t)i * b.func_info_rec_size, sizeof(insn));
		require(insn < obj->insn_cnt);
	}
	for (i = 0; i < b.line_info_cnt; i++) {
		uint32_t insn;

		memcpy(&insn, b.line_info + (size_t)i * b.line_info_rec_size, sizeof(insn));
		require(insn < obj->insn_cnt);
	}
	for (i = 0; i < obj->map_cnt; i++)
		if (btf_map_types(&b, obj->maps[i].name, &key, &value) == 0)
			require(key && value && key <= b.type_cnt && value <= b.type_cnt);
	btf_free(&b);
}

/*
 * A packed input (lz.h) is unpacked first, as step 3 unpacks the embedded
 * object: the unpacker gets every byte the fuzzer makes, and what it
 * unpacks goes on to the ELF reader.
 */
static int parse_input(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t unpacked = lz_unpacked_size(data, size);
	uint8_t *out;

	if (!unpacked)
		return parse_input(data, size);
	if (unpacked > (1u << 20) || !(out = malloc(unpacked)))
		return 0;
	if (lz_unpack(data, size, out, unpacked) == 0)
		parse_input(out, unpacked);
	free(out);
	return 0;
}

static int parse_input(const uint8_t *data, size_t size)
{
	struct elf_obj obj;
	char err[512];
	size_t i;

	/* Either program of the object, by the input's length: both parse paths get fuzzed. */
	if (elf_obj_parse(&obj, data, size, size % 2 ? "cgroup/skb/ringbuf" : "cgroup/skb", err,
			  sizeof(err)) != 0) {
		require(err[0] != '\0' && terminated(err, sizeof(err)));
		return 0;
	}
	require(obj.insn_cnt > 0 && obj.insns && obj.insn_cnt <= size / 8);
	require(terminated(obj.license, sizeof(obj.license)));
	require(terminated(obj.prog_section, sizeof(obj.prog_section)));
	require(terminated(obj.prog_name, sizeof(obj.prog_name)));
	require(obj.map_cnt <= ELF_MAX_MAPS);
	for (i = 0; i < obj.map_cnt; i++) {
		require(terminated(obj.maps[i].name, sizeof(obj.maps[i].name)));
		/* A ring buffer (27) has no keys and values; every other map has both. */
		require(obj.maps[i].type && (obj.maps[i].type == 27 ||
					     (obj.maps[i].key_size && obj.maps[i].value_size)));
	}
	for (i = 0; i < obj.reloc_cnt; i++) {
		const struct map_reloc *r = &obj.relocs[i];

		/* Both slots of the ld_imm64 are inside the program... */
		require(r->insn_index + 1u < obj.insn_cnt);
		/* ...it is an ld_imm64, and the map it names exists. */
		require(obj.insns[(size_t)r->insn_index * 8] == 0x18);
		require(r->map_index < obj.map_cnt);
	}
	check_btf(&obj);
	elf_obj_free(&obj);
	return 0;
}
