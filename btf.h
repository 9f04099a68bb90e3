/* SPDX-License-Identifier: MIT */
/*
 * btf.h - the object's BTF, read by hand and made ready for the kernel.
 *
 * clang -g puts two sections in a BPF object: .BTF, the types (of the maps,
 * the program's function, its variables) and a string table; and .BTF.ext,
 * which ties instructions to functions (func_info) and to source lines
 * (line_info). Loaded with BPF_BTF_LOAD and handed to BPF_MAP_CREATE and
 * BPF_PROG_LOAD, they let `bpftool map dump` print keys and values field by
 * field, `bpftool prog dump xlated` print the C source beside the
 * instructions, and the verifier name the source line it rejects.
 *
 * What the kernel will not take as clang writes it, btf_parse() fixes in its
 * own copy, as libbpf does: clang leaves each data section's size and its
 * variables' offsets at 0 (DATASEC), because only the linker knows them; the
 * ELF section headers and symbols say what they are. .BTF.ext counts
 * instruction offsets in bytes; the kernel wants instruction numbers.
 *
 * Like elf_min.c it makes no system calls and trusts no byte: every read
 * goes through elf_span().
 */
#ifndef BTF_H
#define BTF_H

#include <stddef.h>
#include <stdint.h>

#include "elf_min.h"

struct btf_obj {
	uint8_t *data; /* a copy of .BTF, fixed up: what BPF_BTF_LOAD gets */
	size_t len;
	uint32_t type_cnt;  /* type ids run from 1 to type_cnt */
	uint32_t *type_off; /* where type id i starts in data, [i] for 1..type_cnt */
	uint32_t str_off, str_len;
	uint32_t datasec_cnt; /* data sections whose size and offsets were fixed */
	/* The program section's records from .BTF.ext, offsets in instructions. */
	uint8_t *func_info, *line_info;
	uint32_t func_info_rec_size, func_info_cnt;
	uint32_t line_info_rec_size, line_info_cnt;
};

/*
 * Read obj->btf and obj->btf_ext (the latter may be empty) for obj's program.
 * 0 and `b` filled, to be freed with btf_free(); or -1 with one line in
 * `err` naming the part at fault, and nothing to free.
 */
int btf_parse(struct btf_obj *b, const struct elf_obj *obj, char *err, size_t err_len);
void btf_free(struct btf_obj *b);

/*
 * The key and value types of map `name`, declared in prog.bpf.c with
 * TYPED_MAP_DEF (common.h): the members `key` and `value` of the struct
 * type of its variable, zero-length arrays of those types. 0 and the type
 * ids; -1 if the map's variable does not name them.
 */
int btf_map_types(const struct btf_obj *b, const char *name, uint32_t *key_id, uint32_t *value_id);

#endif
