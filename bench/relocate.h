/* SPDX-License-Identifier: MIT */
/*
 * relocate.h - step 8 (program.c) for the programs of bench/ and test/ that
 * load an object themselves (prog_cost.c, test/verifier_ways.c,
 * test/layout1_load.c): the same two rewrites of the instructions, without
 * the tool's trace and checks.
 */
#ifndef BENCH_RELOCATE_H
#define BENCH_RELOCATE_H

#include <stdint.h>
#include <string.h>

#include "bpf_sys.h"
#include "common.h"
#include "elf_min.h"

/* Each ld_imm64 that names a map gets that map's fd, fds[] indexed as obj->maps. */
static inline void relocate_maps(struct elf_obj *obj, const int *fds)
{
	size_t i;

	for (i = 0; i < obj->reloc_cnt; i++) {
		struct bpf_insn insn;
		uint8_t *at = obj->insns + (size_t)obj->relocs[i].insn_index * sizeof(insn);

		memcpy(&insn, at, sizeof(insn));
		insn.src_reg = BPF_PSEUDO_MAP_FD;
		insn.imm = fds[obj->relocs[i].map_index];
		memcpy(at, &insn, sizeof(insn));
	}
}

/* Each `rX = DIRECT_ACCESS_MARK` becomes `rX = direct` (prog.bpf.c, direct_access()). */
static inline void set_direct_access(struct elf_obj *obj, int32_t direct)
{
	size_t i;

	for (i = 0; i < obj->insn_cnt; i++) {
		struct bpf_insn insn;

		memcpy(&insn, obj->insns + i * sizeof(insn), sizeof(insn));
		if (insn.code == (BPF_ALU64 | BPF_MOV | BPF_K) && insn.imm == DIRECT_ACCESS_MARK) {
			insn.imm = direct;
			memcpy(obj->insns + i * sizeof(insn), &insn, sizeof(insn));
		}
	}
}

#endif
